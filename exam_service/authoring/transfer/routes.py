"""Bank import and export: JSON API and pages (author role)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from question_bank import FORMATS

from ...accounts.auth import author_required
from ...core.api import SESSION_AUTH, api_blueprint, json_response, responses, validate_request
from ...core.errors import Invalid, ServiceError
from ...core.uploads import read_limited
from ..models import QuestionStatus
from . import service as transfer
from .forms import FORMAT_LABELS, ImportForm
from .schemas import ExportQuery, ImportReportOut, ImportUpload
from .service import ExportFile, ImportOptions, ImportResult, UnreadableFile

api = api_blueprint("authoring_transfer_api", __name__, "bank")
pages = Blueprint("authoring_transfer", __name__)


# --- JSON API -------------------------------------------------------------------------


@api.post("/bank/import", responses=responses(200, ImportReportOut), security=SESSION_AUTH)
@author_required
@validate_request()
def api_import(form: ImportUpload) -> Response:
    """Import a file: a report per item. All or nothing unless `partial`; drafts unless
    `status=active`; an external id the bank holds is refused as a duplicate; unknown
    category codes are created. 422 `unreadable_file` (with `report`) for a broken file."""
    options = ImportOptions(
        fmt=form.format,
        partial=form.partial,
        status=QuestionStatus(form.status),
        category=form.category.strip(),
        difficulty=form.difficulty,
    )
    result = transfer.import_file(current_user, read_limited(form.file.stream), options)
    return json_response(ImportReportOut.model_validate(result))


@api.get("/bank/export", responses=responses(200, None), security=SESSION_AUTH)
@author_required
@validate_request()
def api_export(query: ExportQuery) -> Response:
    """The current version of every matching question as a file (QTI: a ZIP package)."""
    return _download(transfer.export_bank(query.format, query.status, query.category))


# --- pages: import and export ---------------------------------------------------------


@pages.route("/bank/impor", methods=["GET", "POST"])
@author_required
def import_page() -> Any:
    form = ImportForm()
    result: ImportResult | None = None
    status = 200
    if form.validate_on_submit():
        try:
            data = read_limited(form.file.data.stream)
            result = transfer.import_file(current_user, data, form.to_options())
        except UnreadableFile as e:
            result, status = e.result, 422
        except ServiceError as e:
            flash(e.message, "error")
            status = e.status
        else:
            if result.imported:
                flash(_("%(n)d soal telah diimpor.", n=result.imported), "success")
    elif form.is_submitted():
        status = 422
    return render_template(
        "authoring/transfer/import.html",
        form=form,
        result=result,
        formats=FORMATS,
        format_labels=FORMAT_LABELS,
        template_formats=transfer.TEMPLATE_FORMATS,
    ), status


@pages.route("/bank/impor/templat.<fmt>")
@author_required
def column_template(fmt: str) -> Response:
    """The CSV/XLSX column template (see question_bank/formats/README.md)."""
    return _download(transfer.column_template(fmt))


@pages.route("/bank/ekspor/<fmt>")
@author_required
def export_page(fmt: str) -> Any:
    status = request.args.get("status") or None
    try:
        exported = transfer.export_bank(
            fmt, QuestionStatus(status) if status in set(QuestionStatus) else None
        )
    except Invalid as e:
        flash(e.message, "error")
        return redirect(url_for(".import_page"), 303)
    return _download(exported)


def _download(exported: ExportFile) -> Response:
    return Response(
        exported.content,
        content_type=exported.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )
