"""Scheduling views: the JSON API and the pages.

There is deliberately no route that changes or cancels a booking: the only
write on bookings is POST /api/v1/me/bookings (and its page twin, the POST of
the confirmation page). A test walks the URL map to keep it that way.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import admin_required, candidate_required, role_required
from ..accounts.models import Role
from ..accounts.offices import office_zone
from ..core.api import (
    SESSION_AUTH,
    MessageOut,
    api_blueprint,
    json_response,
    out,
    responses,
    validate_request,
)
from ..core.clock import parse_local
from ..core.errors import Conflict, Invalid, NotFound, ServiceError
from ..core.path_params import ActivityPath, SessionPath
from . import service
from .forms import ConfirmForm, SessionEditForm, SessionForm
from .schemas import (
    AlreadyBookedOut,
    BookingIn,
    BookingListOut,
    BookingOut,
    RosterOut,
    RosterRowOut,
    SessionIn,
    SessionListOut,
    SessionOut,
    SessionUpdateIn,
    booking_out,
    session_out,
)

api = api_blueprint("scheduling_api", __name__, "scheduling")
pages = Blueprint("scheduling", __name__)
candidate_or_admin = role_required(Role.CANDIDATE, Role.ADMIN)


# --- JSON API: sessions -------------------------------------------------------------


@api.get(
    "/activities/<int:activity_id>/sessions",
    responses=responses(200, SessionListOut),
    security=SESSION_AUTH,
)
@candidate_or_admin
@validate_request()
def api_sessions(path: ActivityPath) -> Response:
    """The activity's sessions with seats left (admins of its office, its applicants)."""
    sessions = service.sessions_of_activity(current_user, path.activity_id)
    return json_response(SessionListOut(items=[session_out(s) for s in sessions]))


@api.post(
    "/activities/<int:activity_id>/sessions",
    responses=responses(201, SessionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_create_session(path: ActivityPath, body: SessionIn) -> Response:
    session = service.create_session(
        current_user, path.activity_id, body.starts_at, body.capacity, body.place
    )
    return json_response(session_out(session), 201)


@api.patch(
    "/admin/sessions/<int:session_id>",
    responses=responses(200, SessionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_update_session(path: SessionPath, body: SessionUpdateIn) -> Response:
    """Capacity (never below the seats booked), place, closed to new bookings."""
    place = (body.place or "") if "place" in body.model_fields_set else None
    session = service.update_session(
        current_user, path.session_id, capacity=body.capacity, place=place, closed=body.closed
    )
    return json_response(session_out(session))


@api.delete(
    "/admin/sessions/<int:session_id>",
    responses=responses(200, MessageOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_delete_session(path: SessionPath) -> Response:
    """Only a session nobody has booked (409 `session_has_bookings` otherwise)."""
    service.delete_session(current_user, path.session_id)
    return json_response(MessageOut(message=_("Sesi telah dihapus.")))


@api.get(
    "/admin/sessions/<int:session_id>/roster",
    responses=responses(200, RosterOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_roster(path: SessionPath) -> Response:
    roster = service.roster(current_user, path.session_id)
    return json_response(
        RosterOut(
            session=session_out(roster.session),
            rows=[out(RosterRowOut, r, nik=r.masked_nik) for r in roster.rows],
        )
    )


@api.get(
    "/admin/sessions/<int:session_id>/roster.csv",
    responses=responses(200, None),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_roster_csv(path: SessionPath) -> Response:
    """The attendance list (UTF-8 with BOM, safe from formula injection), as a download."""
    content = service.roster_csv(current_user, path.session_id)
    return Response(
        content,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="peserta-sesi-{path.session_id}.csv"'
        },
    )


# --- JSON API: bookings -------------------------------------------------------------


@api.post(
    "/me/bookings",
    responses={**responses(201, BookingOut), 409: AlreadyBookedOut},
    security=SESSION_AUTH,
)
@candidate_required
@validate_request()
def api_book(body: BookingIn) -> Response:
    """Choose a session, once and for all: it can never be changed or cancelled."""
    return json_response(booking_out(service.book(current_user, body.session_id)), 201)


@api.get("/me/bookings", responses=responses(200, BookingListOut), security=SESSION_AUTH)
@candidate_required
def api_my_bookings() -> Response:
    bookings = service.my_bookings(current_user)
    return json_response(BookingListOut(items=[booking_out(b) for b in bookings]))


# --- pages: candidates --------------------------------------------------------------


@pages.route("/sesi")
@candidate_required
def choose_session() -> Any:
    choices = service.session_choices(current_user)
    return render_template("scheduling/choose.html", choices=choices)


@pages.route("/sesi/<id:session_id>/konfirmasi", methods=["GET", "POST"])
@candidate_required
def confirm_session(session_id: int) -> Any:
    """GET: the session and the warning that the choice is final. POST: book."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            service.book(current_user, session_id)
        except ServiceError as e:
            return _refused(e)
        flash(_("Sesi ujian Anda telah dipilih. Rinciannya juga dikirim ke surel Anda."), "success")
        return redirect(url_for(".my_booking"), 303)
    try:
        session = service.check_bookable(current_user, session_id)
    except ServiceError as e:
        return _refused(e)
    status = 422 if form.errors else 200
    return render_template("scheduling/confirm.html", form=form, session=session), status


def _refused(error: ServiceError) -> Any:
    """Back to where the candidate can see why: their booking, or the session list."""
    if isinstance(error, NotFound):
        raise error
    flash(error.message, "error")
    target = ".my_booking" if error.code == "already_booked" else ".choose_session"
    return redirect(url_for(target), 303)


@pages.route("/sesi/saya")
@candidate_required
def my_booking() -> Any:
    """The booked session; on purpose without any control to change or cancel it."""
    bookings = service.my_bookings(current_user)
    return render_template("scheduling/my_booking.html", bookings=bookings)


# --- pages: admins ------------------------------------------------------------------


@pages.route("/admin/kegiatan/<id:activity_id>/sesi", methods=["GET", "POST"])
@admin_required
def admin_sessions(activity_id: int) -> Any:
    """The activity's sessions and the form to add one, which posts to this page."""
    form = SessionForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.create_session(
                current_user,
                activity_id,
                parse_local(form.starts_at.data, office_zone(current_user)),
                form.capacity.data,
                form.place.data,
            )
        except Invalid as e:
            form.show_service_error(e)
            status = 422
        else:
            flash(_("Sesi telah dibuat."), "success")
            return redirect(url_for(".admin_sessions", activity_id=activity_id), 303)
    elif form.errors:
        status = 422
    activity, sessions = service.admin_sessions(current_user, activity_id)
    return (
        render_template(
            "scheduling/admin_sessions.html",
            activity=activity,
            sessions=sessions,
            form=form,
        ),
        status,
    )


@pages.route("/admin/sesi/<id:session_id>/ubah", methods=["POST"])
@admin_required
def admin_session_update(session_id: int) -> Any:
    form = SessionEditForm()
    if not form.validate():
        flash(next(iter(form.errors.values()))[0], "error")
        return _back_to_sessions(session_id)
    return _admin_change(
        session_id,
        _("Sesi telah diperbarui."),
        capacity=form.capacity.data,
        place=form.place.data or "",
    )


@pages.route("/admin/sesi/<id:session_id>/tutup", methods=["POST"])
@admin_required
def admin_session_close(session_id: int) -> Any:
    return _admin_change(session_id, _("Sesi ditutup untuk pemilihan baru."), closed=True)


@pages.route("/admin/sesi/<id:session_id>/buka", methods=["POST"])
@admin_required
def admin_session_reopen(session_id: int) -> Any:
    return _admin_change(session_id, _("Sesi dibuka kembali untuk pemilihan."), closed=False)


def _admin_change(session_id: int, done: str, **changes: Any) -> Any:
    """Apply `changes`, then back to the list with what happened (also a refusal)."""
    try:
        service.update_session(current_user, session_id, **changes)
    except (Conflict, Invalid) as e:
        flash(e.message, "error")
    else:
        flash(done, "success")
    return _back_to_sessions(session_id)


@pages.route("/admin/sesi/<id:session_id>/hapus", methods=["POST"])
@admin_required
def admin_session_delete(session_id: int) -> Any:
    back = _back_to_sessions(session_id)  # read before the session is gone
    try:
        service.delete_session(current_user, session_id)
    except Conflict as e:
        flash(e.message, "error")
    else:
        flash(_("Sesi telah dihapus."), "success")
    return back


def _back_to_sessions(session_id: int) -> Any:
    """A redirect to the session's activity list (404 for another office's session)."""
    activity_id = service.session_for_admin(current_user, session_id).activity_id
    return redirect(url_for(".admin_sessions", activity_id=activity_id), 303)


@pages.route("/admin/sesi/<id:session_id>/peserta")
@admin_required
def admin_roster(session_id: int) -> Any:
    roster = service.roster(current_user, session_id)
    return render_template("scheduling/admin_roster.html", roster=roster)
