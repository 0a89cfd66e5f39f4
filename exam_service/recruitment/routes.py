"""Recruitment views: the JSON API and the pages."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ValidationError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from ..accounts.auth import admin_required, candidate_required
from ..accounts.documents import send_document
from ..accounts.offices import office_zone
from ..core.api import SESSION_AUTH, api_blueprint, json_response, out, responses, validate_request
from ..core.clock import to_local, utcnow
from ..core.errors import Invalid
from ..core.path_params import ActivityPath, ApplicationPath
from . import declarations, listing, service
from .forms import ActivityForm, ApplicationFilterForm
from .models import Activity
from .schemas import (
    ActivityIn,
    ActivityListOut,
    ActivityOut,
    AdminApplicationListOut,
    ApplicationDocumentPath,
    ApplicationRowOut,
    ApplicationsExportQuery,
    ApplicationsQuery,
    BulkDecisionIn,
    BulkDecisionOut,
    BulkPaperDocumentsIn,
    BulkPaperDocumentsOut,
    DecisionIn,
    DecisionOut,
    OpenActivityListOut,
    OpenActivityOut,
    PaperDocumentsIn,
    PaperDocumentsOut,
    SkippedOut,
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
        documents_complete=row.documents_complete,
        declarations=declarations.answers_of(application),
    )


def _filters(query: ApplicationsQuery) -> service.ApplicationFilters:
    """The service's filters; a plain name (region, nik) wins over its older twin."""
    values = query.model_dump(include=set(_FILTER_FIELDS))
    return service.ApplicationFilters(**{**values, **_plain_filters(query)})


def _plain_filters(query: ApplicationsQuery) -> dict[str, Any]:
    """The filters given by their plain names (those the pages link with)."""
    values: dict[str, Any] = {"q": (query.q or "").strip() or None, "meets": tuple(query.meets)}
    plain = {
        "in_region": (query.region, "in"),
        "nik_flagged": (query.nik, "flagged"),
        "documents_complete": (query.documents, "complete"),
        "eligible": (query.eligible, "yes"),
        "paper_received": (query.paper, "received"),
    }
    for name, (given, yes) in plain.items():
        if given is not None:
            values[name] = given == yes
    return values


_FILTER_FIELDS = (
    "activity_id",
    "status",
    "education",
    "min_age",
    "max_age",
    "in_region",
    "nik_flagged",
)


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
    """The office's applications matching the filters; 50 a page with `page`."""
    listing_page = listing.list_page(current_user, _filters(query), query.sort, query.page)
    return json_response(
        AdminApplicationListOut(
            count=len(listing_page.rows),
            items=[_row_out(r) for r in listing_page.rows],
            total=listing_page.total,
            page=listing_page.page,
            pages=listing_page.pages,
            eligible=listing_page.eligible,
        )
    )


@api.get(
    "/admin/applications/export",
    responses=responses(200, None),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_export_applications(query: ApplicationsExportQuery) -> Response:
    """The filtered list as a CSV or XLSX attachment; NIKs masked unless `full_nik`
    (audited as `export_full_nik`)."""
    table = listing.export_table(current_user, _filters(query), query.sort, query.full_nik)
    return _export_response(table, query.format)


def _export_response(table: listing.ExportTable, export_format: str) -> Response:
    if export_format == "xlsx":
        data = listing.to_xlsx(table)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = listing.to_csv(table)
        mimetype = "text/csv; charset=utf-8"
    stamp = to_local(utcnow(), office_zone(current_user)).strftime("%Y%m%d-%H%M")
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="lamaran-{stamp}.{export_format}"'},
    )


@api.post(
    "/admin/applications/decisions",
    responses=responses(200, BulkDecisionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_bulk_decide(body: BulkDecisionIn) -> Response:
    """One decision for many applications, in one transaction: each is decided
    (and audited, and told to the candidate) like a single decision; those that
    cannot be are listed in `skipped` with the reason, the others are decided."""
    filters = _filters(body.filter or ApplicationsQuery())
    result = listing.bulk_decide(
        current_user, body.decision, body.reason, filters, body.application_ids
    )
    return json_response(_bulk_out(result))


def _bulk_out(result: listing.BulkResult) -> BulkDecisionOut:
    return BulkDecisionOut(
        decision=result.decision,
        decided_count=len(result.decided),
        decided_ids=result.decided,
        skipped=[out(SkippedOut, s) for s in result.skipped],
        message=result.summary(),
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


@api.post(
    "/admin/applications/<int:application_id>/paper-documents",
    responses=responses(200, PaperDocumentsOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_paper_documents(path: ApplicationPath, body: PaperDocumentsIn) -> Response:
    """Mark the printed documents received (or undo a mark); audited."""
    changed = service.mark_paper_documents(current_user, path.application_id, body.received)
    application = service.application_for_admin(current_user, path.application_id)
    return json_response(
        out(PaperDocumentsOut, application, application_id=application.id, changed=changed)
    )


@api.post(
    "/admin/applications/paper-documents",
    responses=responses(200, BulkPaperDocumentsOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_bulk_paper_documents(body: BulkPaperDocumentsIn) -> Response:
    """Mark the printed documents of many applications received; ids that are not
    the office's are left out."""
    result = listing.bulk_mark_paper(current_user, body.application_ids)
    return json_response(
        BulkPaperDocumentsOut(
            marked_ids=result.marked, unchanged_ids=result.unchanged, message=result.summary()
        )
    )


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
            service.create_activity(current_user, form.to_data(office_zone(current_user)))
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
            service.update_activity(current_user, activity_id, form.to_data(activity.office.zone))
        except Invalid as e:
            form.show_service_error(e)
            return _activity_form_page(form, activity, 422)
        flash(_("Kegiatan telah diperbarui."), "success")
        return redirect(url_for(".admin_activities"), 303)
    if request.method == "GET":
        form.fill(activity, activity.office.zone)
    return _activity_form_page(form, activity, 422 if form.errors else 200)


def _activity_form_page(form: ActivityForm, activity: Activity | None, status: int) -> Any:
    return render_template("recruitment/activity_form.html", form=form, activity=activity), status


# The list's own query parameters besides the filter form's (plain names that other
# pages link with); an invalid one is ignored, like an invalid filter.
_PAGE_ARGS = ("region", "nik", "documents", "eligible", "paper", "q", "sort", "page")


def _page_filters(
    args: MultiDict[str, str] | None = None,
) -> tuple[ApplicationFilterForm, ApplicationsQuery, service.ApplicationFilters]:
    """The list's filters from the query string (or `args`)."""
    args = request.args if args is None else args
    form = ApplicationFilterForm(formdata=args)
    form.set_activities([o.activity for o in service.list_activities_for_admin(current_user)])
    values: dict[str, Any] = {}
    for key in _PAGE_ARGS:
        raw = args.get(key, "").strip()
        if raw and _valid({key: raw}):
            values[key] = raw
    values["meets"] = [key for key in args.getlist("meets") if _valid({"meets": [key]})]
    query = ApplicationsQuery.model_validate(values)
    filters = replace(form.filters(), **_plain_filters(query))
    return form, query, filters


def _valid(values: dict[str, Any]) -> bool:
    try:
        ApplicationsQuery.model_validate(values)
    except ValidationError:
        return False
    return True


def _filter_args() -> list[tuple[str, str]]:
    """The list's filters and sort (not the page) as query pairs, to carry along."""
    return [
        (key, value)
        for key, value in request.args.items(multi=True)
        if key not in {"page", "format", "full_nik", "_"} and value != ""
    ]


@pages.route("/admin/lamaran")
@admin_required
def admin_applications() -> Any:
    form, query, filters = _page_filters()
    listing_page = listing.list_page(current_user, filters, query.sort, query.page or 1)
    return render_template(
        "recruitment/admin_applications.html",
        form=form,
        query=query,
        listing=listing_page,
        rows=listing_page.rows,
        filter_args=_filter_args(),
        sort_labels=listing.SORT_LABELS,
        preference_labels=service.PREFERENCE_FILTERS,
    )


def _list_form() -> tuple[list[tuple[str, str]], str, list[int]]:
    """What a form posted from the list carries: the list's filters (as `f.<name>`
    fields, so they never mix with the form's own), the way back to the list with
    them, and the ticked application ids."""
    filter_pairs = [
        (key[2:], value) for key, value in request.form.items(multi=True) if key.startswith("f.")
    ]
    back = url_for(".admin_applications") + ("?" + urlencode(filter_pairs) if filter_pairs else "")
    ids = [int(v) for v in request.form.getlist("application_ids") if v.isdigit()]
    return filter_pairs, back, ids


@pages.route("/admin/lamaran/keputusan", methods=["POST"])
@admin_required
def admin_bulk_decision() -> Any:
    """A bulk decision in two steps: the count to confirm, then the decision."""
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")
    filter_pairs, back, ids = _list_form()
    selected = request.form.get("scope") == "selected"
    if selected and not ids:
        flash(_("Pilih dahulu lamaran yang akan diputuskan."), "error")
        return redirect(back, 303)
    filters = _page_filters(ImmutableMultiDict(filter_pairs))[2]
    try:
        service.checked_decision(decision, reason)
        if request.form.get("confirmed") != "1":
            plan = listing.plan_bulk(current_user, decision, filters, ids if selected else None)
            return render_template(
                "recruitment/admin_applications_confirm.html",
                plan=plan,
                decision=decision,
                reason=reason,
                selected=selected,
                ids=ids,
                filter_pairs=filter_pairs,
                back=back,
                skip_counts=Counter(str(s.message) for s in plan.skipped).most_common(),
            )
        result = listing.bulk_decide(
            current_user, decision, reason, filters, ids if selected else None
        )
    except Invalid as e:
        flash(e.message, "error")
        return redirect(back, 303)
    flash(result.summary(), "success" if result.decided else "info")
    return redirect(back, 303)


@pages.route("/admin/lamaran/berkas-fisik", methods=["POST"])
@admin_required
def admin_bulk_paper() -> Any:
    """The ticked applications' printed documents marked received (from the list)."""
    back, ids = _list_form()[1:]
    if not ids:
        flash(_("Centang dahulu lamaran yang berkas fisiknya sudah diterima."), "error")
        return redirect(back, 303)
    result = listing.bulk_mark_paper(current_user, ids)
    flash(result.summary(), "success" if result.marked else "info")
    return redirect(back, 303)


@pages.route("/admin/lamaran/<id:application_id>/berkas-fisik", methods=["POST"])
@admin_required
def admin_paper_documents(application_id: int) -> Any:
    """Mark one application's printed documents received, or undo it (its detail page)."""
    received = request.form.get("received") == "1"
    if service.mark_paper_documents(current_user, application_id, received):
        flash(
            _("Berkas fisik ditandai sudah diterima.")
            if received
            else _("Tanda berkas fisik diterima dibatalkan."),
            "success",
        )
    return redirect(url_for("journey.admin_application", application_id=application_id), 303)


@pages.route("/admin/lamaran/ekspor")
@admin_required
def admin_export() -> Response:
    """The filtered list as CSV or XLSX; the full NIK only when asked (audited)."""
    query, filters = _page_filters()[1:]
    export_format = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    full_nik = request.args.get("full_nik") == "1"
    table = listing.export_table(current_user, filters, query.sort, full_nik=full_nik)
    return _export_response(table, export_format)


@pages.route("/admin/lamaran/<id:application_id>/dokumen/<kind>")
@admin_required
def admin_document(application_id: int, kind: str) -> Response:
    return send_document(service.admin_document(current_user, application_id, kind))
