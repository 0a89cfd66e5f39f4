"""Recruitment views: the JSON API and the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_openapi3 import validate_request

from ..accounts.auth import admin_required, candidate_required
from ..accounts.documents import send_document
from ..accounts.models import Document, Profile, User
from ..accounts.profiles import DOCUMENT_LABELS
from ..core.api import SESSION_AUTH, api_blueprint, json_response, responses
from ..core.errors import Invalid, ServiceError
from ..core.path_params import ActivityPath, ApplicationPath
from ..scheduling.models import Booking
from ..selection import service as selection
from . import service
from .forms import ActivityForm, ApplicationFilterForm, DecisionForm
from .models import Activity, Application
from .schemas import (
    ActivityIn,
    ActivityListOut,
    ActivityOut,
    AdminApplicationListOut,
    ApplicationBookingOut,
    ApplicationDetailOut,
    ApplicationDocumentPath,
    ApplicationListOut,
    ApplicationOut,
    ApplicationRowOut,
    ApplicationsQuery,
    CandidateDocumentOut,
    CandidateProfileOut,
    CheckOut,
    DecisionIn,
    DecisionOut,
    EligibilityOut,
    HistoryOut,
    OpenActivityListOut,
    OpenActivityOut,
    TimelineStepOut,
)

api = api_blueprint("recruitment_api", __name__, "recruitment")
pages = Blueprint("recruitment", __name__)


# --- serialising --------------------------------------------------------------


def _activity_out(overview: service.ActivityOverview) -> ActivityOut:
    activity = overview.activity
    return ActivityOut(
        id=activity.id,
        office_id=activity.office_id,
        name=activity.name,
        registration_opens_at=activity.registration_opens_at,
        registration_closes_at=activity.registration_closes_at,
        booking_opens_at=activity.booking_opens_at,
        booking_closes_at=activity.booking_closes_at,
        announcement_at=activity.announcement_at,
        test_question_count=activity.test_question_count,
        test_duration_seconds=activity.test_duration_seconds,
        blueprint=activity.blueprint,
        min_education=activity.min_education,
        preferred_min_age=activity.preferred_min_age,
        preferred_max_age=activity.preferred_max_age,
        show_score_to_candidates=activity.show_score_to_candidates,
        application_counts=overview.counts,
    )


def _open_activity_out(activity: Activity) -> OpenActivityOut:
    return OpenActivityOut(
        id=activity.id,
        name=activity.name,
        office_name=activity.office.name,
        registration_opens_at=activity.registration_opens_at,
        registration_closes_at=activity.registration_closes_at,
        booking_opens_at=activity.booking_opens_at,
        booking_closes_at=activity.booking_closes_at,
        announcement_at=activity.announcement_at,
        test_question_count=activity.test_question_count,
        test_duration_seconds=activity.test_duration_seconds,
        min_education=activity.min_education,
    )


def _booking_out(booking: Booking | None) -> ApplicationBookingOut | None:
    if booking is None:
        return None
    session = booking.session
    return ApplicationBookingOut(
        session_id=session.id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        place=session.place,
    )


def _timeline_out(steps: list[service.TimelineStep]) -> list[TimelineStepOut]:
    return [
        TimelineStepOut(key=s.key, label=s.label, state=s.state, at=s.at, note=s.note)
        for s in steps
    ]


def _application_out(mine: service.MyApplication) -> ApplicationOut:
    application = mine.application
    return ApplicationOut(
        application_id=application.id,
        activity_id=application.activity_id,
        activity_name=application.activity.name,
        status=application.status,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        decision_reason=application.decision_reason,
        booking=_booking_out(mine.booking),
        # Null until the final selection is published (then also the status says so).
        result=result.as_dict() if (result := selection.published_result(application)) else None,
        timeline=_timeline_out(mine.timeline),
    )


def _eligibility_out(e: service.Eligibility) -> EligibilityOut:
    return EligibilityOut(
        meets_hard_rules=e.meets_hard_rules,
        meets_preferences=e.meets_preferences,
        age=e.age,
        in_region=e.in_region,
        nik_flags=e.nik_flags,
        checks=[CheckOut(rule=c.rule, hard=c.hard, ok=c.ok, message=c.message) for c in e.checks],
    )


def _row_out(row: service.ApplicationRow) -> ApplicationRowOut:
    application = row.application
    return ApplicationRowOut(
        application_id=application.id,
        activity_id=application.activity_id,
        activity_name=application.activity.name,
        full_name=row.profile.full_name,
        nik=row.masked_nik,
        education=row.profile.education,
        status=application.status,
        submitted_at=application.submitted_at,
        eligibility=_eligibility_out(row.eligibility),
    )


def _profile_out(profile: Profile, user: User) -> CandidateProfileOut:
    return CandidateProfileOut(
        nik=profile.nik,
        full_name=profile.full_name,
        email=user.email,
        birth_date=profile.birth_date,
        gender=profile.gender,
        address=profile.address,
        village=profile.village,
        district=profile.district,
        regency_code=profile.regency_code,
        phone=profile.phone,
        education=profile.education,
    )


def _document_out(application: Application, document: Document) -> CandidateDocumentOut:
    return CandidateDocumentOut(
        kind=document.kind,
        label=str(DOCUMENT_LABELS[document.kind]),
        content_type=document.content_type,
        size=document.size,
        uploaded_at=document.uploaded_at,
        download_url=url_for(
            "recruitment_api.api_admin_document",
            application_id=application.id,
            kind=document.kind,
        ),
    )


def _detail_out(detail: service.ApplicationDetail) -> ApplicationDetailOut:
    application = detail.application
    return ApplicationDetailOut(
        application_id=application.id,
        activity_id=application.activity_id,
        activity_name=application.activity.name,
        status=application.status,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        decision_reason=application.decision_reason,
        profile=_profile_out(detail.profile, application.user),
        eligibility=_eligibility_out(detail.eligibility),
        documents=[_document_out(application, d) for d in detail.documents],
        booking=_booking_out(detail.booking),
        timeline=_timeline_out(detail.timeline),
        history=[
            HistoryOut(at=h.at, actor=h.actor, action=h.action, details=h.details)
            for h in detail.history
        ],
    )


def _filters(query: ApplicationsQuery) -> service.ApplicationFilters:
    return service.ApplicationFilters(**query.model_dump())


# --- JSON API: admins -----------------------------------------------------------


@api.post("/admin/activities", responses=responses(201, ActivityOut), security=SESSION_AUTH)
@admin_required
@validate_request()
def api_create_activity(body: ActivityIn) -> Response:
    activity = service.create_activity(current_user, service.ActivityData(**body.model_dump()))
    return json_response(_activity_out(service.overview_of(activity)), 201)


@api.get("/admin/activities", responses=responses(200, ActivityListOut), security=SESSION_AUTH)
@admin_required
def api_admin_activities() -> Response:
    overviews = service.list_activities_for_admin(current_user)
    return json_response(ActivityListOut(items=[_activity_out(o) for o in overviews]))


@api.put(
    "/admin/activities/<int:activity_id>",
    responses=responses(200, ActivityOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_update_activity(path: ActivityPath, body: ActivityIn) -> Response:
    data = service.ActivityData(**body.model_dump())
    activity = service.update_activity(current_user, path.activity_id, data)
    return json_response(_activity_out(service.overview_of(activity)))


@api.get(
    "/admin/applications",
    responses=responses(200, AdminApplicationListOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_admin_applications(query: ApplicationsQuery) -> Response:
    rows = service.admin_list_applications(current_user, _filters(query))
    return json_response(
        AdminApplicationListOut(count=len(rows), items=[_row_out(r) for r in rows])
    )


@api.get(
    "/admin/applications/<int:application_id>",
    responses=responses(200, ApplicationDetailOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_admin_application(path: ApplicationPath) -> Response:
    detail = service.admin_application_detail(current_user, path.application_id)
    return json_response(_detail_out(detail))


@api.get(
    "/admin/applications/<int:application_id>/documents/<kind>",
    responses=responses(200, None),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_admin_document(path: ApplicationDocumentPath) -> Response:
    """The file itself, as an attachment (audited)."""
    return send_document(service.admin_document(current_user, path.application_id, path.kind))


@api.post(
    "/admin/applications/<int:application_id>/decision",
    responses=responses(200, DecisionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_decide(path: ApplicationPath, body: DecisionIn) -> Response:
    application = service.decide(current_user, path.application_id, body.decision, body.reason)
    return json_response(
        DecisionOut(
            application_id=application.id,
            status=application.status,
            decided_at=application.decided_at,
            decision_reason=application.decision_reason,
        )
    )


# --- JSON API: candidates -------------------------------------------------------


@api.get("/activities", responses=responses(200, OpenActivityListOut), security=SESSION_AUTH)
@candidate_required
def api_open_activities() -> Response:
    """Activities open for registration now."""
    activities = service.open_activities()
    return json_response(OpenActivityListOut(items=[_open_activity_out(a) for a in activities]))


@api.post(
    "/activities/<int:activity_id>/applications",
    responses=responses(201, ApplicationOut),
    security=SESSION_AUTH,
)
@candidate_required
@validate_request()
def api_apply(path: ActivityPath) -> Response:
    application = service.apply(current_user, path.activity_id)
    return json_response(
        _application_out(service.my_application(current_user, application.id)), 201
    )


@api.get("/me/applications", responses=responses(200, ApplicationListOut), security=SESSION_AUTH)
@candidate_required
def api_my_applications() -> Response:
    mine = service.my_applications(current_user)
    return json_response(ApplicationListOut(items=[_application_out(m) for m in mine]))


@api.get(
    "/me/applications/<int:application_id>",
    responses=responses(200, ApplicationOut),
    security=SESSION_AUTH,
)
@candidate_required
@validate_request()
def api_my_application(path: ApplicationPath) -> Response:
    return json_response(
        _application_out(service.my_application(current_user, path.application_id))
    )


# --- pages: candidates ----------------------------------------------------------


@pages.route("/lamaran")
@candidate_required
def my_applications() -> Any:
    return _overview_page()


def _overview_page(status: int = 200) -> Any:
    overview = service.candidate_overview(current_user)
    return render_template("recruitment/my_applications.html", overview=overview), status


@pages.route("/lamaran/<id:application_id>")
@candidate_required
def application_page(application_id: int) -> Any:
    mine = service.my_application(current_user, application_id)
    return render_template("recruitment/application.html", mine=mine)


@pages.route("/kegiatan/<id:activity_id>/lamar", methods=["POST"])
@candidate_required
def apply_page(activity_id: int) -> Any:
    """The "Lamar" button (CSRF is checked for every POST by CSRFProtect)."""
    try:
        application = service.apply(current_user, activity_id)
    except ServiceError as e:
        flash(e.message, "error")
        return _overview_page(e.status)
    flash(_("Lamaran Anda telah dikirim."), "success")
    return redirect(url_for(".application_page", application_id=application.id), 303)


# --- pages: admins ----------------------------------------------------------------


@pages.route("/admin/kegiatan")
@admin_required
def admin_activities() -> Any:
    overviews = service.list_activities_for_admin(current_user)
    return render_template("recruitment/admin_activities.html", overviews=overviews)


@pages.route("/admin/kegiatan/baru", methods=["GET", "POST"])
@admin_required
def admin_activity_new() -> Any:
    form = ActivityForm()
    if form.validate_on_submit():
        try:
            service.create_activity(current_user, form.to_data())
        except Invalid as e:
            form.show_service_errors(e.details)
            return _activity_form_page(form, None, 422)
        flash(_("Kegiatan telah dibuat."), "success")
        return redirect(url_for(".admin_activities"), 303)
    return _activity_form_page(form, None, 422 if form.errors else 200)


@pages.route("/admin/kegiatan/<id:activity_id>/ubah", methods=["GET", "POST"])
@admin_required
def admin_activity_edit(activity_id: int) -> Any:
    activity = service.activity_for_admin(current_user, activity_id)
    form = ActivityForm()
    if form.validate_on_submit():
        try:
            service.update_activity(current_user, activity_id, form.to_data())
        except Invalid as e:
            form.show_service_errors(e.details)
            return _activity_form_page(form, activity, 422)
        flash(_("Kegiatan telah diperbarui."), "success")
        return redirect(url_for(".admin_activities"), 303)
    if request.method == "GET":
        form.fill(activity)
    return _activity_form_page(form, activity, 422 if form.errors else 200)


def _activity_form_page(form: ActivityForm, activity: Activity | None, status: int) -> Any:
    return render_template("recruitment/activity_form.html", form=form, activity=activity), status


@pages.route("/admin/lamaran")
@admin_required
def admin_applications() -> Any:
    form = ApplicationFilterForm(formdata=request.args)
    form.set_activities([o.activity for o in service.list_activities_for_admin(current_user)])
    rows = service.admin_list_applications(current_user, form.filters())
    return render_template("recruitment/admin_applications.html", form=form, rows=rows)


@pages.route("/admin/lamaran/<id:application_id>", methods=["GET", "POST"])
@admin_required
def admin_application(application_id: int) -> Any:
    """The application's detail and the decision form, which posts to this page.

    Every showing of the page is audited, so a refused decision redirects back
    (the audit row of a page answered with an error status would be rolled back).
    """
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            service.decide(current_user, application_id, form.decision.data, form.reason.data)
        except ServiceError as e:
            flash(e.message, "error")
        else:
            flash(_("Keputusan telah disimpan."), "success")
        return redirect(url_for(".admin_application", application_id=application_id), 303)
    detail = service.admin_application_detail(current_user, application_id)
    return render_template(
        "recruitment/admin_application.html",
        detail=detail,
        form=form,
        flag_labels=service.NIK_FLAG_LABELS,
        document_labels=DOCUMENT_LABELS,
        audit_labels=service.AUDIT_LABELS,
        status_labels=service.STATUS_LABELS,
    )


@pages.route("/admin/lamaran/<id:application_id>/dokumen/<kind>")
@admin_required
def admin_document(application_id: int, kind: str) -> Response:
    return send_document(service.admin_document(current_user, application_id, kind))
