"""Exam views: the attempt API and the candidate's test page."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user

from question_bank import FaultyRule

from ..accounts.auth import admin_required, candidate_required
from ..core.api import (
    SESSION_AUTH,
    MessageOut,
    api_blueprint,
    json_response,
    out,
    responses,
    validate_request,
)
from ..core.clock import utcnow
from ..core.database import after_commit
from ..core.errors import ServiceError
from ..core.observability import ANSWERS_SAVED
from ..core.path_params import ActivityPath, AttemptPath, SessionPath, id_arg
from ..scheduling import service as scheduling
from . import service, supervision
from .models import Attempt, AttemptStatus
from .schemas import (
    AccommodationIn,
    AccommodationOut,
    AnswerIn,
    AnswerOut,
    AnswerPath,
    AttemptOut,
    AttemptStatusOut,
    BookingPath,
    ExtensionIn,
    ExtensionOut,
    IntegrityEventIn,
    IntegrityEventListOut,
    IntegrityEventOut,
    ItemRulingIn,
    ItemRulingOut,
    MonitorOut,
    MonitorRowOut,
    MonitorSessionOut,
    ReceiptOut,
    ReopenIn,
    ReopenOut,
    SessionExtensionIn,
    SessionExtensionOut,
    StartSessionOut,
)

api = api_blueprint("exam_api", __name__, "exam")
# [user id, attempt id] of the attempt the candidate started or last saved an answer to:
# the next save skips looking it up (service.save_answer takes it as a hint, checked by
# the gate), and the status poll reads it from Redis.
ATTEMPT_IN_SESSION = "exam_attempt"
pages = Blueprint("exam", __name__)


def _attempt_out(attempt: Attempt) -> AttemptOut:
    now = utcnow()
    in_progress = attempt.status == AttemptStatus.IN_PROGRESS
    receipt = None
    if attempt.status == AttemptStatus.FINISHED and attempt.finished_at and attempt.answers_hash:
        receipt = out(ReceiptOut, attempt, finish_reason=attempt.finish_reason or "")
    return out(
        AttemptOut,
        attempt,
        attempt_id=attempt.id,
        server_time=now,
        remaining_seconds=service.remaining_seconds(attempt, now),
        question_count=len(attempt.items),
        questions=service.questions_payload(attempt) if in_progress else [],
        answers=service.saved_answers(attempt.id) if in_progress else {},
        receipt=receipt,
    )


@api.post("/me/attempt", responses=responses(200, AttemptOut), security=SESSION_AUTH)
@candidate_required
def api_start_attempt() -> Response:
    """Start the test of the session open now, or resume it (idempotent)."""
    attempt = service.start(current_user.id)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        _remember_attempt(attempt.id)
    return json_response(_attempt_out(attempt))


@api.get("/me/attempt", responses=responses(200, AttemptOut), security=SESSION_AUTH)
@candidate_required
def api_get_attempt() -> Response:
    return json_response(_attempt_out(service.current_attempt(current_user.id)))


@api.get("/me/attempt/status", responses=responses(200, AttemptStatusOut), security=SESSION_AUTH)
@candidate_required
def api_attempt_status() -> Response:
    """Can the test start now (the booked session, its window), or its deadline while under
    way: the test page counts down with it and asks again every 30 s (then from Redis)."""
    known = _attempt_in_session()
    under_way = service.live_start_status(known) if known else None
    return json_response(_status_out(under_way or service.start_status(current_user.id)))


def _attempt_in_session() -> int | None:
    """The attempt the signed session names, for the user it was found for only."""
    known = cookie_session.get(ATTEMPT_IN_SESSION)
    return known[1] if known and known[0] == current_user.id else None


def _remember_attempt(attempt_id: int) -> None:
    """Name the attempt in the signed session (re-signed only when it changes)."""
    if _attempt_in_session() != attempt_id:
        cookie_session[ATTEMPT_IN_SESSION] = [current_user.id, attempt_id]


def _status_out(status: service.StartStatus) -> AttemptStatusOut:
    now = utcnow()
    attempt, session = status.attempt, status.session
    finished = status.state == "finished" and attempt is not None
    message = status.message
    if status.state == "no_booking":
        message = _no_booking_text(message)
    session_out = None
    if session is not None:
        session_out = out(
            StartSessionOut,
            session,
            session_id=session.id,
            activity_name=session.activity.name,
            late_entry_closes_at=service.late_entry_closes_at(session),
            duration_seconds=session.activity.test_duration_seconds,
        )
    return AttemptStatusOut(
        state=status.state,  # type: ignore[arg-type]  # one of StartState
        can_start=status.can_start,
        message=message,
        server_time=now,
        session=session_out,
        attempt_id=attempt.id if attempt else None,
        deadline=attempt.deadline if attempt and status.state == "in_progress" else None,
        remaining_seconds=service.remaining_seconds(attempt, now) if attempt else 0,
        question_count=len(attempt.items) if finished else None,
        answered_count=len(service.saved_answers(attempt.id)) if finished else None,
    )


def _no_booking_text(message: str) -> str:
    """Why there is no booking, in the words of the session choice (latest application)."""
    choices = scheduling.session_choices(current_user)
    if not choices:
        return _(
            "Anda belum memiliki lamaran. Sesi ujian dapat dipilih setelah lamaran Anda lolos "
            "seleksi administrasi."
        )
    return f"{message} {choices[0].reason or _('Silakan pilih sesi ujian Anda.')}"


@api.put(
    "/me/attempt/answers/<int:position>",
    responses=responses(200, AnswerOut),
    security=SESSION_AUTH,
)
@candidate_required
@validate_request()
def api_save_answer(path: AnswerPath, body: AnswerIn) -> Response:
    hint = _attempt_in_session()
    saved = service.save_answer(
        current_user.id, path.position, body.choice, body.seq, attempt_id=hint
    )
    if saved.attempt_id != hint:
        _remember_attempt(saved.attempt_id)
    after_commit(ANSWERS_SAVED.inc)  # counted once durable, as acknowledged
    now = utcnow()
    # Built field by field, not with out(): the hottest path of the service (7 us less).
    return json_response(
        AnswerOut(
            saved=True,
            position=saved.position,
            choice=saved.choice,
            seq=saved.seq,
            remaining_seconds=max(0, int((saved.deadline - now).total_seconds())),
            deadline=saved.deadline,
            server_time=now,
        )
    )


@api.post("/me/attempt/submit", responses=responses(200, AttemptOut), security=SESSION_AUTH)
@candidate_required
def api_submit_attempt() -> Response:
    return json_response(_attempt_out(service.submit(current_user.id)))


@api.post("/me/attempt/events", responses=responses(201, MessageOut), security=SESSION_AUTH)
@candidate_required
@validate_request()
def api_integrity_event(body: IntegrityEventIn) -> Response:
    """Tab hidden, offline and the like: recorded for the admin, never held against anyone."""
    service.record_integrity_event(current_user.id, body.kind)
    return json_response(MessageOut(message="ok"), 201)


@pages.route("/ujian")
@candidate_required
def test_page() -> Any:
    """The test page; before the start it shows the booked session and counts down to it
    (from GET /me/attempt/status). The template also serves other tests through
    `api_base` and `practice` (see exam/test.html)."""
    return render_template("exam/test.html")


# --- admins: monitor, extensions, faulty items ----------------------------------


@api.get(
    "/admin/sessions/<int:session_id>/monitor",
    responses=responses(200, MonitorOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_monitor(path: SessionPath) -> Response:
    """The live monitor's data (its page asks every 10 s): the session's time and place,
    every booked candidate with progress, time left and integrity events."""
    view = supervision.monitor_view(current_user, path.session_id)
    session = view.session
    return json_response(
        MonitorOut(
            session_id=path.session_id,
            server_time=utcnow(),
            session=out(MonitorSessionOut, session, activity_name=session.activity.name),
            rows=[_monitor_row_out(row) for row in view.rows],
        )
    )


def _monitor_row_out(row: supervision.MonitorRow) -> MonitorRowOut:
    return out(
        MonitorRowOut,
        row,
        events=[IntegrityEventOut(kind=kind, at=at) for kind, at in row.events],
    )


@api.put(
    "/admin/bookings/<int:booking_id>/accommodation",
    responses=responses(200, AccommodationOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_set_accommodation(path: BookingPath, body: AccommodationIn) -> Response:
    """Extra minutes for one candidate (e.g. a disability), added to the deadline when the
    test starts; 0 removes them. 409 `attempt_already_started` once the test has begun
    (give an extension then)."""
    seconds = supervision.set_accommodation(
        current_user, path.booking_id, body.minutes * 60, body.reason
    )
    return json_response(AccommodationOut(booking_id=path.booking_id, minutes=seconds // 60))


@api.post(
    "/admin/sessions/<int:session_id>/extensions",
    responses=responses(201, SessionExtensionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_extend_session(path: SessionPath, body: SessionExtensionIn) -> Response:
    """Every attempt of the session in progress now gets the same extra minutes (a power
    cut in the room), in one transaction; each candidate gets a notice."""
    done = supervision.extend_session(current_user, path.session_id, body.minutes * 60, body.reason)
    return json_response(
        SessionExtensionOut(
            session_id=path.session_id,
            extended_attempts=done.extended,
            skipped_attempts=done.skipped,
        ),
        201,
    )


@api.post(
    "/admin/attempts/<int:attempt_id>/reopen",
    responses=responses(200, ReopenOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_reopen(path: AttemptPath, body: ReopenIn) -> Response:
    """Give a timed-out attempt back its unused time, once (see `supervision.unused_seconds`);
    the answers stay and the candidate resumes on the test page."""
    attempt = supervision.reopen(current_user, path.attempt_id, body.reason)
    assert attempt.deadline is not None
    restored = supervision.reopened_seconds(attempt.id)
    return json_response(
        ReopenOut(attempt_id=attempt.id, deadline=attempt.deadline, restored_seconds=restored)
    )


@api.post(
    "/admin/attempts/<int:attempt_id>/extensions",
    responses=responses(201, ExtensionOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_extend(path: AttemptPath, body: ExtensionIn) -> Response:
    attempt = supervision.extend(current_user, path.attempt_id, body.seconds, body.reason)
    assert attempt.deadline is not None
    return json_response(out(ExtensionOut, attempt, attempt_id=attempt.id), 201)


@api.get(
    "/admin/attempts/<int:attempt_id>/events",
    responses=responses(200, IntegrityEventListOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_integrity_events(path: AttemptPath) -> Response:
    events = supervision.integrity_events(current_user, path.attempt_id)
    return json_response(
        IntegrityEventListOut(events=[IntegrityEventOut.model_validate(e) for e in events])
    )


@api.post(
    "/admin/activities/<int:activity_id>/item-rulings",
    responses=responses(200, ItemRulingOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_rule_item(path: ActivityPath, body: ItemRulingIn) -> Response:
    regraded = supervision.rule_item(
        current_user, path.activity_id, body.question_version_id, FaultyRule(body.rule), body.reason
    )
    return json_response(ItemRulingOut(regraded_attempts=regraded))


@pages.route("/admin/sesi/<id:session_id>/pantau")
@admin_required
def monitor_page(session_id: int) -> Any:
    view = supervision.monitor_view(current_user, session_id)
    return render_template("exam/monitor.html", session_id=session_id, view=view, rows=view.rows)


def _back_to_monitor() -> Any:
    session_id = id_arg(request.form, "session_id", required=True)  # where to go back to
    return redirect(url_for("exam.monitor_page", session_id=session_id))


@pages.route("/admin/ujian/<id:attempt_id>/tambah-waktu", methods=["POST"])
@admin_required
def extend_page(attempt_id: int) -> Any:
    back = _back_to_monitor()
    try:
        supervision.extend(
            current_user,
            attempt_id,
            request.form.get("minutes", type=int, default=0) * 60,
            request.form.get("reason", ""),
        )
        flash(_("Waktu ditambahkan."), "success")
    except ServiceError as e:
        flash(e.message, "error")
    return back


@pages.route("/admin/sesi/<id:session_id>/tambah-waktu", methods=["POST"])
@admin_required
def extend_session_page(session_id: int) -> Any:
    try:
        done = supervision.extend_session(
            current_user,
            session_id,
            request.form.get("minutes", type=int, default=0) * 60,
            request.form.get("reason", ""),
        )
        flash(_("Waktu ditambahkan untuk %(n)d peserta.", n=done.extended), "success")
    except ServiceError as e:
        flash(e.message, "error")
    return redirect(url_for("exam.monitor_page", session_id=session_id))


@pages.route("/admin/peserta-sesi/<id:booking_id>/waktu-khusus", methods=["POST"])
@admin_required
def accommodation_page(booking_id: int) -> Any:
    back = _back_to_monitor()
    try:
        supervision.set_accommodation(
            current_user,
            booking_id,
            request.form.get("minutes", type=int, default=-1) * 60,
            request.form.get("reason", ""),
        )
        flash(_("Waktu khusus disimpan."), "success")
    except ServiceError as e:
        flash(e.message, "error")
    return back


@pages.route("/admin/ujian/<id:attempt_id>/buka-kembali", methods=["POST"])
@admin_required
def reopen_page(attempt_id: int) -> Any:
    back = _back_to_monitor()
    try:
        supervision.reopen(current_user, attempt_id, request.form.get("reason", ""))
        flash(_("Ujian dibuka kembali. Peserta dapat melanjutkan di halaman ujian."), "success")
    except ServiceError as e:
        flash(e.message, "error")
    return back
