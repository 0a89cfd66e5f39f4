"""Final selection views: the rule, preview and schedule (admins), the outcome and
review requests (candidates), and the public, printable announcement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import admin_required, candidate_required
from ..accounts.offices import office_zone
from ..authoring.bank import category_names
from ..core.api import SESSION_AUTH, api_blueprint, json_response, out, responses, validate_request
from ..core.clock import parse_local, show_page_in, utcnow
from ..core.errors import Invalid, ServiceError
from ..core.formatting import decimal_text
from ..core.path_params import ActivityPath, ApplicationPath
from . import service as selection
from .forms import AnswerForm, ReviewForm, ScheduleForm, rule_form
from .schemas import (
    AdminReviewListOut,
    AdminReviewOut,
    CategoryResultOut,
    MyResultOut,
    PreviewRowOut,
    ReviewAnswerIn,
    ReviewIn,
    ReviewOut,
    ReviewPath,
    RuleIn,
    ScheduleIn,
    SelectionOut,
    SelectionPreviewOut,
)

api = api_blueprint("selection_api", __name__, "final selection")
pages = Blueprint("selection", __name__)


# --- serialising --------------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _minimums(minimums: dict[str, str]) -> dict[str, str]:
    return {slug: decimal_text(Decimal(value)) for slug, value in minimums.items()}


def _selection_out(state: selection.SelectionState) -> SelectionOut:
    rule, activity = state.rule, state.activity
    return out(
        SelectionOut,
        state,
        activity_id=activity.id,
        method=rule.method if rule else None,
        quota=rule.quota if rule else None,
        threshold=_text(rule.threshold) if rule else None,
        category_minimums=_minimums(rule.category_minimums) if rule else {},
        announcement_at=activity.announcement_at,
        published_at=rule.published_at if rule else None,
        tie_break_rule=str(selection.TIE_BREAK_RULE),
    )


def _preview_row(row: selection.Ranked) -> PreviewRowOut:
    c = row.candidate
    return out(
        PreviewRowOut,
        c,
        nik=c.masked_nik,
        score=_text(c.score),
        max_score=_text(c.max_score),
        category_scores={k: decimal_text(v) for k, v in c.category_scores.items()},
        rank=row.rank,
        passed=row.passed,
        reason=row.reason,
    )


def _admin_review_out(row: selection.ReviewRow) -> AdminReviewOut:
    outcome = None
    if row.outcome is not None:
        outcome = "passed" if row.outcome.passed else "not_passed"
    return out(
        AdminReviewOut, row.review, full_name=row.full_name, nik=row.masked_nik, outcome=outcome
    )


# --- JSON API: admins -----------------------------------------------------------------------


@api.get(
    "/admin/activities/<int:activity_id>/selection",
    responses=responses(200, SelectionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_selection(path: ActivityPath) -> Response:
    return json_response(_selection_out(selection.state_for_admin(current_user, path.activity_id)))


@api.put(
    "/admin/activities/<int:activity_id>/selection",
    responses=responses(200, SelectionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_set_rule(path: ActivityPath, body: RuleIn) -> Response:
    """Quota (top N) or a threshold on the total, optional minimums per category."""
    data = selection.RuleData(body.method, body.quota, body.threshold, body.category_minimums)
    selection.set_rule(current_user, path.activity_id, data)
    return json_response(_selection_out(selection.state_for_admin(current_user, path.activity_id)))


@api.get(
    "/admin/activities/<int:activity_id>/selection/preview",
    responses=responses(200, SelectionPreviewOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_preview(path: ActivityPath) -> Response:
    """Who passes under the current rule and scores; nothing is published."""
    rows = selection.preview(current_user, path.activity_id)
    state = selection.state_for_admin(current_user, path.activity_id)
    return json_response(
        SelectionPreviewOut(
            selection=_selection_out(state),
            passed_count=sum(r.passed for r in rows),
            rows=[_preview_row(r) for r in rows],
        )
    )


@api.post(
    "/admin/activities/<int:activity_id>/selection/schedule",
    responses=responses(200, SelectionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_schedule(path: ActivityPath, body: ScheduleIn) -> Response:
    """Publish the outcome at `announcement_at` (also the activity's announcement date)."""
    selection.schedule(current_user, path.activity_id, body.announcement_at)
    return json_response(_selection_out(selection.state_for_admin(current_user, path.activity_id)))


@api.delete(
    "/admin/activities/<int:activity_id>/selection/schedule",
    responses=responses(200, SelectionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_unschedule(path: ActivityPath) -> Response:
    selection.unschedule(current_user, path.activity_id)
    return json_response(_selection_out(selection.state_for_admin(current_user, path.activity_id)))


@api.get(
    "/admin/activities/<int:activity_id>/review-requests",
    responses=responses(200, AdminReviewListOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_reviews(path: ActivityPath) -> Response:
    rows = selection.reviews_for_admin(current_user, path.activity_id)
    return json_response(AdminReviewListOut(items=[_admin_review_out(r) for r in rows]))


@api.post(
    "/admin/review-requests/<int:review_id>/answer",
    responses=responses(200, ReviewOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_answer_review(path: ReviewPath, body: ReviewAnswerIn) -> Response:
    review = selection.answer_review(current_user, path.review_id, body.answer)
    return json_response(ReviewOut.model_validate(review))


# --- JSON API: candidates ---------------------------------------------------------------------


def _my_result_out(user: Any, application_id: int) -> MyResultOut:
    mine = selection.my_result(user, application_id)
    result = mine.result
    review = selection.my_review(user, application_id)
    if result is None:
        return MyResultOut(
            application_id=mine.application.id,
            published=False,
            status=None,
            published_at=None,
            score=None,
            max_score=None,
            rank=None,
            categories=[],
            method=None,
            threshold=None,
            quota=None,
            review=review,
        )
    return out(
        MyResultOut,
        result,
        published=True,
        score=_text(result.score),
        max_score=_text(result.max_score),
        categories=[
            out(
                CategoryResultOut,
                c,
                score=decimal_text(c.score),
                max_score=decimal_text(c.max_score),
                minimum=_text(c.minimum),
            )
            for c in result.categories
        ],
        threshold=_text(result.threshold),
        review=review,
    )


@api.get(
    "/me/applications/<int:application_id>/result",
    responses=responses(200, MyResultOut),
    security=SESSION_AUTH,
)
@candidate_required
@validate_request()
def api_my_result(path: ApplicationPath) -> Response:
    """The final result once announced; before, `published` is false and nothing else shows."""
    return json_response(_my_result_out(current_user, path.application_id))


@api.post(
    "/me/applications/<int:application_id>/review-request",
    responses=responses(201, ReviewOut),
    security=SESSION_AUTH,
)
@candidate_required
@validate_request()
def api_request_review(path: ApplicationPath, body: ReviewIn) -> Response:
    """Ask for a human review of the announced result (once per application)."""
    review = selection.request_review(current_user, path.application_id, body.reason)
    return json_response(ReviewOut.model_validate(review), 201)


# --- pages: admins --------------------------------------------------------------------------


@pages.route("/admin/kegiatan/<id:activity_id>/seleksi-akhir", methods=["GET", "POST"])
@admin_required
def admin_selection(activity_id: int) -> Any:
    """The rule (a form posting to this page), the schedule and the preview."""
    state = selection.state_for_admin(current_user, activity_id)
    form = rule_form(state.categories, category_names(state.categories))
    status = 200
    if form.validate_on_submit():
        try:
            selection.set_rule(current_user, activity_id, form.to_data())
        except Invalid as e:
            form.show_service_error(e)
            status = 422
        except ServiceError as e:
            flash(e.message, "error")
            return redirect(url_for(".admin_selection", activity_id=activity_id), 303)
        else:
            flash(_("Aturan seleksi akhir telah disimpan."), "success")
            return redirect(url_for(".admin_selection", activity_id=activity_id), 303)
    elif form.errors:
        status = 422
    elif request.method == "GET" and state.rule is not None:
        form.fill(state.rule)
    return _selection_page(activity_id, form, ScheduleForm(), status)


def _selection_page(activity_id: int, form: Any, schedule_form: ScheduleForm, status: int) -> Any:
    state = selection.state_for_admin(current_user, activity_id)
    rows = selection.preview(current_user, activity_id) if state.rule is not None else []
    schedule_form.fill(state.activity.announcement_at, state.activity.office.zone)
    return (
        render_template(
            "selection/admin.html",
            state=state,
            form=form,
            schedule_form=schedule_form,
            rows=rows,
            passed_count=sum(r.passed for r in rows),
            tie_break_rule=selection.TIE_BREAK_RULE,
        ),
        status,
    )


@pages.route("/admin/kegiatan/<id:activity_id>/seleksi-akhir/jadwal", methods=["POST"])
@admin_required
def admin_schedule(activity_id: int) -> Any:
    schedule_form = ScheduleForm()
    if schedule_form.validate_on_submit():
        try:
            at = parse_local(schedule_form.announcement_at.data, office_zone(current_user))
            selection.schedule(current_user, activity_id, at)
        except Invalid as e:
            schedule_form.show_service_error(e, default_field="announcement_at")
        except ServiceError as e:
            flash(e.message, "error")
            return redirect(url_for(".admin_selection", activity_id=activity_id), 303)
        else:
            flash(_("Pengumuman hasil akhir telah dijadwalkan."), "success")
            return redirect(url_for(".admin_selection", activity_id=activity_id), 303)
    state = selection.state_for_admin(current_user, activity_id)
    form = rule_form(state.categories, category_names(state.categories))
    if state.rule is not None:
        form.fill(state.rule)
    return _selection_page(activity_id, form, schedule_form, 422)


@pages.route("/admin/kegiatan/<id:activity_id>/seleksi-akhir/batal", methods=["POST"])
@admin_required
def admin_unschedule(activity_id: int) -> Any:
    try:
        selection.unschedule(current_user, activity_id)
    except ServiceError as e:
        flash(e.message, "error")
    else:
        flash(_("Jadwal pengumuman dibatalkan."), "success")
    return redirect(url_for(".admin_selection", activity_id=activity_id), 303)


@pages.route("/admin/kegiatan/<id:activity_id>/peninjauan")
@admin_required
def admin_reviews(activity_id: int) -> Any:
    state = selection.state_for_admin(current_user, activity_id)
    return render_template(
        "selection/reviews.html",
        activity=state.activity,
        rows=selection.reviews_for_admin(current_user, activity_id),
        form=AnswerForm(),
    )


@pages.route("/admin/peninjauan/<id:review_id>/jawab", methods=["POST"])
@admin_required
def admin_answer_review(review_id: int) -> Any:
    form = AnswerForm()
    if not form.validate():
        flash(next(iter(form.errors.values()))[0], "error")
    else:
        try:
            selection.answer_review(current_user, review_id, form.answer.data)
        except (Invalid, ServiceError) as e:
            if e.status == 404:
                raise
            flash(e.message, "error")
        else:
            flash(_("Jawaban telah dikirim."), "success")
    activity_id = request.form.get("activity_id", type=int)
    if activity_id is None:
        return redirect(url_for("recruitment.admin_activities"), 303)
    return redirect(url_for(".admin_reviews", activity_id=activity_id), 303)


# --- pages: candidates and the public ---------------------------------------------------------


@pages.route("/lamaran/<id:application_id>/hasil", methods=["GET", "POST"])
@candidate_required
def my_result_page(application_id: int) -> Any:
    """The announced result and, once announced, the request for a human review."""
    form = ReviewForm()
    status = 200
    if form.validate_on_submit():
        try:
            selection.request_review(current_user, application_id, form.reason.data)
        except Invalid as e:
            form.show_service_error(e, default_field="reason")
            status = 422
        except ServiceError as e:
            if e.status == 404:
                raise
            flash(e.message, "error")
            return redirect(url_for(".my_result_page", application_id=application_id), 303)
        else:
            flash(_("Permintaan peninjauan telah dikirim."), "success")
            return redirect(url_for(".my_result_page", application_id=application_id), 303)
    elif form.errors:
        status = 422
    mine = selection.my_result(current_user, application_id)
    show_page_in(mine.application.activity.office.zone)
    return (
        render_template(
            "selection/my_result.html",
            mine=mine,
            application=mine.application,
            result=mine.result,
            review=selection.my_review(current_user, application_id),
            form=form,
            printed_at=utcnow(),
        ),
        status,
    )


@pages.route("/pengumuman/<id:activity_id>")
def announcement_page(activity_id: int) -> Any:
    """Public and printable: who passed (names, masked NIKs), once announced."""
    announcement = selection.announcement(activity_id)
    show_page_in(announcement.activity.office.zone)
    return render_template("selection/announcement.html", announcement=announcement)
