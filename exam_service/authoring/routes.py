"""Authoring views: the question bank's JSON API and pages (author role).

Authors see questions, keys and points, never candidates' personal data.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_openapi3 import FileStorage
from pydantic import BaseModel

from question_bank import OPTION_LETTERS, Difficulty

from ..accounts.auth import author_required
from ..core.api import SESSION_AUTH, api_blueprint, json_response, out, responses, validate_request
from ..core.errors import Invalid, ServiceError
from ..core.path_params import id_arg
from . import images, service
from .forms import (
    DIFFICULTY_LABELS,
    STATUS_LABELS,
    CategoryForm,
    CategoryRenameForm,
    QuestionFilterForm,
    QuestionForm,
    StatusForm,
)
from .models import QuestionStatus
from .schemas import (
    BankPreviewOptionOut,
    BankPreviewOut,
    BankQuestionOut,
    CategoryIn,
    CategoryListOut,
    CategoryOut,
    CategoryPath,
    CategoryRenameIn,
    ImageOut,
    QuestionIn,
    QuestionListOut,
    QuestionPath,
    QuestionQuery,
    StatusIn,
    VersionListOut,
    category_out,
    question_out,
    version_out,
)
from .service import QuestionDraft, QuestionFilter

api = api_blueprint("authoring_api", __name__, "bank")
pages = Blueprint("authoring", __name__)


class ImageForm(BaseModel):
    file: FileStorage


# --- JSON API: questions ------------------------------------------------------------


@api.get("/bank/questions", responses=responses(200, QuestionListOut), security=SESSION_AUTH)
@author_required
@validate_request()
def api_questions(query: QuestionQuery) -> Response:
    """Search and filter the bank (25 per page, newest first)."""
    found = service.search_questions(
        QuestionFilter(
            query.category_id,
            query.status,
            query.difficulty,
            query.q,
            query.page,
            practice=query.practice,
        )
    )
    return json_response(out(QuestionListOut, found, items=[question_out(q) for q in found.items]))


@api.post("/bank/questions", responses=responses(201, BankQuestionOut), security=SESSION_AUTH)
@author_required
@validate_request()
def api_create_question(body: QuestionIn) -> Response:
    """A new question, as a draft."""
    return json_response(question_out(service.create_question(current_user, body.to_draft())), 201)


@api.get(
    "/bank/questions/<int:question_id>",
    responses=responses(200, BankQuestionOut),
    security=SESSION_AUTH,
)
@author_required
@validate_request()
def api_question(path: QuestionPath) -> Response:
    return json_response(question_out(service.get_question(path.question_id)))


@api.put(
    "/bank/questions/<int:question_id>",
    responses=responses(200, BankQuestionOut),
    security=SESSION_AUTH,
)
@author_required
@validate_request()
def api_update_question(path: QuestionPath, body: QuestionIn) -> Response:
    """Edit: a draft changes in place; an active or retired question gets a new version."""
    question = service.update_question(current_user, path.question_id, body.to_draft())
    return json_response(question_out(question))


@api.post(
    "/bank/questions/<int:question_id>/status",
    responses=responses(200, BankQuestionOut),
    security=SESSION_AUTH,
)
@author_required
@validate_request()
def api_set_status(path: QuestionPath, body: StatusIn) -> Response:
    """draft -> active -> retired -> active (409 `status_not_allowed` otherwise)."""
    return json_response(
        question_out(service.set_status(current_user, path.question_id, body.status))
    )


@api.get(
    "/bank/questions/<int:question_id>/versions",
    responses=responses(200, VersionListOut),
    security=SESSION_AUTH,
)
@author_required
@validate_request()
def api_versions(path: QuestionPath) -> Response:
    versions = service.versions_of(path.question_id)
    return json_response(VersionListOut(items=[version_out(v) for v in versions]))


@api.post("/bank/preview", responses=responses(200, BankPreviewOut), security=SESSION_AUTH)
@author_required
@validate_request()
def api_preview(body: QuestionIn) -> Response:
    """The question as a candidate's page shows it, with what is still wrong."""
    return json_response(_preview_out(body.to_draft()))


@api.post("/bank/images", responses=responses(201, ImageOut), security=SESSION_AUTH)
@author_required
@validate_request()
def api_upload_image(form: ImageForm) -> Response:
    """A question image (JPEG or PNG, re-encoded without metadata); use `name` in a question."""
    name = images.store_image(form.file.stream)
    return json_response(ImageOut(name=name, url=images.image_url(name) or ""), 201)


# --- JSON API: categories -----------------------------------------------------------


@api.get("/bank/categories", responses=responses(200, CategoryListOut), security=SESSION_AUTH)
@author_required
def api_categories() -> Response:
    rows = service.list_categories()
    return json_response(CategoryListOut(items=[category_out(c, n) for c, n in rows]))


@api.post("/bank/categories", responses=responses(201, CategoryOut), security=SESSION_AUTH)
@author_required
@validate_request()
def api_create_category(body: CategoryIn) -> Response:
    category = service.create_category(current_user, body.slug, body.name)
    return json_response(category_out(category, {}), 201)


@api.patch(
    "/bank/categories/<int:category_id>",
    responses=responses(200, CategoryOut),
    security=SESSION_AUTH,
)
@author_required
@validate_request()
def api_rename_category(path: CategoryPath, body: CategoryRenameIn) -> Response:
    category = service.rename_category(current_user, path.category_id, body.name)
    return json_response(category_out(category, {}))


# --- pages: questions ---------------------------------------------------------------


@pages.route("/bank/soal")
@author_required
def question_list() -> Any:
    categories = [c for c, _counts in service.list_categories()]
    form = QuestionFilterForm(request.args)
    form.set_categories(categories)
    form.validate()
    found = service.search_questions(_filter_of(form, request.args.get("page", "1")))
    return render_template(
        "authoring/questions.html",
        form=form,
        found=found,
        labels=_labels(),
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@pages.route("/bank/soal/baru", methods=["GET", "POST"])
@author_required
def new_question() -> Any:
    return _edit(None)


@pages.route("/bank/soal/<id:question_id>", methods=["GET", "POST"])
@author_required
def edit_question(question_id: int) -> Any:
    return _edit(question_id)


@pages.route("/bank/soal/<id:question_id>/status", methods=["POST"])
@author_required
def change_status(question_id: int) -> Any:
    form = StatusForm()
    if form.validate_on_submit():
        try:
            service.set_status(current_user, question_id, QuestionStatus(form.status.data))
            flash(_("Status soal telah diubah."), "success")
        except ValueError:
            flash(_("Status tidak dikenal."), "error")
        except ServiceError as e:
            flash(e.message, "error")
    return redirect(url_for(".edit_question", question_id=question_id), 303)


@pages.route("/bank/soal/<id:question_id>/riwayat")
@author_required
def question_history(question_id: int) -> Any:
    question = service.get_question(question_id)
    versions = service.versions_of(question_id)
    return render_template(
        "authoring/history.html",
        question=question,
        versions=[version_out(v) for v in versions],
        labels=_labels(),
        keys=OPTION_LETTERS,
    )


@pages.route("/bank-images/<name>")
@login_required
def bank_image(name: str) -> Response:
    """Question images, for every signed-in user (candidates see them in their test)."""
    return images.send_image(name)


def _edit(question_id: int | None) -> Any:
    question = service.get_question(question_id) if question_id is not None else None
    categories = [c for c, _counts in service.list_categories()]
    form = QuestionForm()
    form.set_categories(categories)
    if question is not None:
        form.practice_editable = service.practice_editable(question)
        if not form.practice_editable:
            form.practice.data = question.practice  # shown, not taken from the post
    if question is not None and not form.is_submitted():
        assert question.current_version is not None
        form.fill_from(question.category_id, question.current_version)
        form.fill_practice(question.practice, question.explanation)
    status = 200
    if form.validate_on_submit():
        try:
            saved = _save(question_id, form)
        except ServiceError as e:
            # Refusals of the upload itself carry no field: they are about the image.
            form.show_service_error(e, default_field="stem" if isinstance(e, Invalid) else "image")
            status = 422
        else:
            flash(_("Soal telah disimpan."), "success")
            return redirect(url_for(".edit_question", question_id=saved.id), 303)
    elif form.is_submitted():
        status = 422
    return render_template(
        "authoring/edit.html",
        form=form,
        question=question,
        labels=_labels(),
        has_categories=bool(categories),
        image_url=images.image_url(form.image_name.data or None),
        moves=service.STATUS_MOVES[QuestionStatus(question.status)] if question else (),
    ), status


def _save(question_id: int | None, form: QuestionForm) -> Any:
    image_name = None if form.remove_image.data else (form.image_name.data or None)
    upload = form.image.data
    if upload and getattr(upload, "filename", ""):
        image_name = images.store_image(upload.stream)
    draft = form.to_draft(image_name)
    if question_id is None:
        return service.create_question(current_user, draft)
    return service.update_question(current_user, question_id, draft)


def _filter_of(form: QuestionFilterForm, page: str) -> QuestionFilter:
    return QuestionFilter(
        category_id=id_arg(request.args, "category_id"),
        status=QuestionStatus(form.status.data) if form.status.data else None,
        difficulty=Difficulty(form.difficulty.data) if form.difficulty.data else None,
        text=form.q.data or "",
        page=int(page) if page.isdigit() else 1,
        practice=form.practice_value(),
    )


def _labels() -> dict[str, Any]:
    return {"difficulty": DIFFICULTY_LABELS, "status": STATUS_LABELS}


def _preview_out(draft: QuestionDraft) -> BankPreviewOut:
    shown = service.preview(draft)
    return out(
        BankPreviewOut,
        shown,
        text=shown.stem,
        image_url=images.image_url(draft.image_name)
        if images.is_stored(draft.image_name)
        else None,
        options=[
            BankPreviewOptionOut(key=OPTION_LETTERS[i], text=t) for i, t in enumerate(shown.options)
        ],
    )


# --- pages: categories --------------------------------------------------------------


@pages.route("/bank/kategori", methods=["GET", "POST"])
@author_required
def categories_page() -> Any:
    form = CategoryForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.create_category(current_user, form.slug.data, form.name.data)
        except Invalid as e:
            form.show_service_error(e)
            status = 422
        else:
            flash(_("Kategori telah ditambahkan."), "success")
            return redirect(url_for(".categories_page"), 303)
    elif form.is_submitted():
        status = 422
    rows = service.list_categories()
    return render_template(
        "authoring/categories.html",
        form=form,
        rows=rows,
        rename_form=CategoryRenameForm(),
        statuses=list(QuestionStatus),
        labels=_labels(),
    ), status


@pages.route("/bank/kategori/<id:category_id>", methods=["POST"])
@author_required
def rename_category(category_id: int) -> Any:
    form = CategoryRenameForm()
    if form.validate_on_submit():
        try:
            service.rename_category(current_user, category_id, form.name.data)
            flash(_("Nama kategori telah diubah."), "success")
        except ServiceError as e:
            flash(e.message, "error")
    return redirect(url_for(".categories_page"), 303)
