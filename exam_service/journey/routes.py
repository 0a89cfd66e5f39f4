"""Journey views: the candidate's applications with their timeline, and the
admin's file of one application with the decision form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import admin_required, candidate_required
from ..accounts.models import Document
from ..accounts.profiles import DOCUMENT_LABELS, EDUCATION_LABELS, missing_for_application
from ..core.api import SESSION_AUTH, api_blueprint, json_response, out, responses, validate_request
from ..core.errors import ServiceError
from ..core.path_params import ActivityPath, ApplicationPath
from ..notifications.service import recent_notices
from ..recruitment import declarations
from ..recruitment import service as recruitment
from ..recruitment.forms import ApplyForm, DecisionForm
from ..recruitment.models import Activity, Application
from ..recruitment.schemas import (
    ApplicationBookingOut,
    ApplicationDetailOut,
    ApplicationListOut,
    ApplicationOut,
    ApplyIn,
    CandidateDocumentOut,
    CandidateProfileOut,
)
from ..scheduling.models import Booking
from ..selection import service as selection
from . import funnel
from . import service as journey

api = api_blueprint("journey_api", __name__, "recruitment")
pages = Blueprint("journey", __name__)


def _booking_out(booking: Booking | None) -> ApplicationBookingOut | None:
    if booking is None:
        return None
    return out(ApplicationBookingOut, booking.session, session_id=booking.session_id)


def _application_out(mine: journey.MyApplication) -> ApplicationOut:
    application = mine.application
    # Null until the final selection is published (then also the status says so).
    result = selection.published_result(application)
    return out(
        ApplicationOut,
        application,
        application_id=application.id,
        activity_name=application.activity.name,
        booking=_booking_out(mine.booking),
        declarations=declarations.answers_of(application),
        result=result.as_dict() if result else None,
        timeline=mine.timeline,
    )


def _document_out(application: Application, document: Document) -> CandidateDocumentOut:
    return out(
        CandidateDocumentOut,
        document,
        label=str(DOCUMENT_LABELS[document.kind]),
        download_url=url_for(
            "recruitment_api.api_admin_document",
            application_id=application.id,
            kind=document.kind,
        ),
    )


def _detail_out(detail: journey.ApplicationDetail) -> ApplicationDetailOut:
    application = detail.application
    return out(
        ApplicationDetailOut,
        application,
        application_id=application.id,
        activity_name=application.activity.name,
        profile=out(CandidateProfileOut, detail.profile, email=application.user.email),
        eligibility=detail.eligibility,
        documents=[
            _document_out(application, slot.document) for slot in detail.documents if slot.document
        ],
        declarations=declarations.answers_of(application),
        booking=_booking_out(detail.booking),
        timeline=detail.timeline,
        history=detail.history,
    )


@api.get(
    "/admin/applications/<int:application_id>",
    responses=responses(200, ApplicationDetailOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_admin_application(path: ApplicationPath) -> Response:
    detail = journey.admin_application_detail(current_user, path.application_id)
    return json_response(_detail_out(detail))


@api.post(
    "/activities/<int:activity_id>/applications",
    responses=responses(201, ApplicationOut),
    security=SESSION_AUTH,
)
@candidate_required
@validate_request()
def api_apply(path: ActivityPath, body: ApplyIn) -> Response:
    application = recruitment.apply(current_user, path.activity_id, body.model_dump())
    return json_response(
        _application_out(journey.my_application(current_user, application.id)), 201
    )


@api.get("/me/applications", responses=responses(200, ApplicationListOut), security=SESSION_AUTH)
@candidate_required
def api_my_applications() -> Response:
    mine = journey.my_applications(current_user)
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
        _application_out(journey.my_application(current_user, path.application_id))
    )


@pages.route("/lamaran")
@candidate_required
def my_applications() -> Any:
    return _overview_page()


def _overview_page(status: int = 200) -> Any:
    overview = journey.candidate_overview(current_user)
    notices = recent_notices(current_user.id)
    page = render_template("journey/my_applications.html", overview=overview, notices=notices)
    return page, status


@pages.route("/lamaran/<id:application_id>")
@candidate_required
def application_page(application_id: int) -> Any:
    mine = journey.my_application(current_user, application_id)
    return render_template(
        "journey/application.html", mine=mine, declarations=declarations.DECLARATIONS
    )


@pages.route("/kegiatan/<id:activity_id>/lamar", methods=["GET", "POST"])
@candidate_required
def apply_page(activity_id: int) -> Any:
    """The activity's requirements and the declarations, then "Kirim lamaran"."""
    activity = recruitment.activity_by_id(activity_id)
    form = ApplyForm()
    if form.validate_on_submit():
        try:
            application = recruitment.apply(current_user, activity_id, form.answers())
        except ServiceError as e:
            form.show_service_error(e)
            return _apply_form(activity, form, e.status)
        flash(_("Lamaran Anda telah dikirim."), "success")
        return redirect(url_for(".application_page", application_id=application.id), 303)
    return _apply_form(activity, form, 422 if form.errors else 200)


def _apply_form(activity: Activity, form: ApplyForm, status: int) -> Any:
    page = render_template(
        "journey/apply.html",
        activity=activity,
        form=form,
        missing=missing_for_application(current_user.id),
        shortfall=recruitment.education_shortfall(current_user.id, activity),
        already=recruitment.own_application(current_user.id, activity.id),
        registration_open=recruitment.registration_open(activity),
        education_labels=EDUCATION_LABELS,
    )
    return page, status


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
            recruitment.decide(current_user, application_id, form.decision.data, form.reason.data)
        except ServiceError as e:
            flash(e.message, "error")
        else:
            flash(_("Keputusan telah disimpan."), "success")
        return redirect(url_for(".admin_application", application_id=application_id), 303)
    detail = journey.admin_application_detail(current_user, application_id)
    return render_template(
        "journey/admin_application.html",
        detail=detail,
        form=form,
        flag_labels=recruitment.NIK_FLAG_LABELS,
        document_labels=DOCUMENT_LABELS,
        audit_labels=recruitment.AUDIT_LABELS,
        status_labels=recruitment.STATUS_LABELS,
    )


@pages.route("/admin/kegiatan/<id:activity_id>")
@admin_required
def admin_activity(activity_id: int) -> Any:
    """The admin's home for one recruitment: its funnel, its phases and every page of it."""
    return render_template(
        "journey/admin_activity.html",
        funnel=funnel.activity_funnel(current_user, activity_id),
        phase_labels=funnel.PHASE_LABELS,
        state_labels=funnel.STATE_LABELS,
    )
