"""Recruitment views: the JSON API and the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_openapi3 import validate_request

from ..accounts.auth import admin_required, candidate_required
from ..accounts.documents import send_document
from ..core.api import SESSION_AUTH, api_blueprint, json_response, out, responses
from ..core.errors import Invalid
from ..core.path_params import ActivityPath, ApplicationPath
from . import service
from .forms import ActivityForm, ApplicationFilterForm
from .models import Activity
from .schemas import (
    ActivityIn,
    ActivityListOut,
    ActivityOut,
    AdminApplicationListOut,
    ApplicationDocumentPath,
    ApplicationRowOut,
    ApplicationsQuery,
    DecisionIn,
    DecisionOut,
    OpenActivityListOut,
    OpenActivityOut,
)

api = api_blueprint("recruitment_api", __name__, "recruitment")
pages = Blueprint("recruitment", __name__)


# --- serialising --------------------------------------------------------------


def _activity_out(overview: service.ActivityOverview) -> ActivityOut:
    return out(ActivityOut, overview.activity, application_counts=overview.counts)


def _row_out(row: service.ApplicationRow) -> ApplicationRowOut:
    application = row.application
    return out(
        ApplicationRowOut,
        application,
        application_id=application.id,
        activity_name=application.activity.name,
        full_name=row.profile.full_name,
        nik=row.masked_nik,
        education=row.profile.education,
        eligibility=row.eligibility,
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
    return json_response(out(DecisionOut, application, application_id=application.id))


# --- JSON API: candidates -------------------------------------------------------


@api.get("/activities", responses=responses(200, OpenActivityListOut), security=SESSION_AUTH)
@candidate_required
def api_open_activities() -> Response:
    """Activities open for registration now."""
    activities = service.open_activities()
    items = [out(OpenActivityOut, a, office_name=a.office.name) for a in activities]
    return json_response(OpenActivityListOut(items=items))


# --- pages: candidates ----------------------------------------------------------


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
            form.show_service_error(e)
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
            form.show_service_error(e)
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


@pages.route("/admin/lamaran/<id:application_id>/dokumen/<kind>")
@admin_required
def admin_document(application_id: int, kind: str) -> Response:
    return send_document(service.admin_document(current_user, application_id, kind))
