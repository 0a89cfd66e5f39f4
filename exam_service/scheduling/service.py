"""Scheduling: test sessions and the single, irreversible booking.

The two invariants this module keeps (DESIGN.md section 2):

1. One booking per application, forever. The unique constraint on
   `bookings.application_id` decides between parallel requests; nothing here
   (or anywhere) updates or deletes a booking, and a session with bookings
   cannot be deleted.
2. No overbooking. A seat is taken by ONE conditional statement,
   `UPDATE test_sessions SET booked = booked + 1 WHERE ... AND booked < capacity`,
   in the same transaction as the booking row; the check constraint
   `booked <= capacity` backs it up.

Admins are scoped to their office: another office's activity or session is
"not found". Every admin action is written to the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Profile, Role, User
from ..accounts.offices import office_of
from ..core.audit import record
from ..core.clock import as_utc, format_local, utcnow
from ..core.errors import Conflict, Forbidden, Invalid, NotFound
from ..core.extensions import db
from ..core.mail import Attachment, send_mail
from ..core.privacy import mask_nik
from ..recruitment import signals as recruitment_signals
from ..recruitment.models import Activity, Application, ApplicationStatus
from ..recruitment.service import activity_for_admin
from .attendance import AttendanceRow, attendance_csv
from .ics import booking_calendar
from .models import Booking, TestSession
from .schemas import MAX_CAPACITY, MAX_PLACE_LENGTH, booking_out

log = logging.getLogger(__name__)

# Audit actions of this domain.
SESSION_CREATED = "session_created"
SESSION_UPDATED = "session_updated"
SESSION_DELETED = "session_deleted"
VIEW_ROSTER = "view_roster"
DOWNLOAD_ROSTER = "download_roster"


def booking_for_application(application_id: int) -> Booking | None:
    return db.session.scalar(db.select(Booking).where(Booking.application_id == application_id))


def refuse_decision_after_booking(application: Application) -> None:
    """Receiver of `recruitment.signals.deciding`: a booked candidate's decision is final."""
    if booking_for_application(application.id) is not None:
        raise Conflict(
            _("Kandidat sudah memilih sesi ujian; keputusan tidak dapat diubah."),
            code="decision_locked",
        )


def connect_signals() -> None:
    recruitment_signals.deciding.connect(refuse_decision_after_booking)


# --- admins: sessions -------------------------------------------------------------


def create_session(
    admin: User,
    activity_id: int,
    starts_at: datetime,
    capacity: int,
    place: str | None = None,
    now: datetime | None = None,
) -> TestSession:
    """A new session of an activity of the admin's office.

    It must start in the future and after the booking window opens (a session
    that starts earlier could never be chosen), and end before the announcement.
    """
    now = now or utcnow()
    activity = activity_for_admin(admin, activity_id)
    starts_at = as_utc(starts_at)
    ends_at = session_end(activity, starts_at)
    place = _clean_place(place)
    errors = {
        **_start_errors(activity, starts_at, ends_at, now),
        **_capacity_errors(capacity),
        **_place_errors(place),
    }
    if errors:
        raise Invalid(_("Data sesi tidak valid."), details=errors)
    session = TestSession(
        activity_id=activity.id,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        booked=0,
        place=place,
    )
    db.session.add(session)
    db.session.flush()
    record(
        admin.id,
        SESSION_CREATED,
        "test_session",
        session.id,
        activity_id=activity.id,
        starts_at=starts_at.isoformat(),
        capacity=capacity,
    )
    return session


def session_end(activity: Activity, starts_at: datetime) -> datetime:
    """The end of a session's window: start + test duration + late-entry allowance."""
    late_entry = current_app.config["LATE_ENTRY_SECONDS"]
    return starts_at + timedelta(seconds=activity.test_duration_seconds + late_entry)


def update_session(
    admin: User,
    session_id: int,
    *,
    capacity: int | None = None,
    place: str | None = None,
    closed: bool | None = None,
    now: datetime | None = None,
) -> TestSession:
    """Change capacity, place (None: unchanged, "": removed) or whether it is closed.

    Capacity never goes below the seats already booked: the check and the change
    are one conditional UPDATE, so a booking landing at the same moment is counted.
    """
    session = session_for_admin(admin, session_id)
    new_place = _clean_place(place) if place is not None else session.place
    errors = {**_place_errors(new_place)}
    if capacity is not None:
        errors.update(_capacity_errors(capacity))
    if errors:
        raise Invalid(_("Data sesi tidak valid."), details=errors)
    changes: dict[str, Any] = {}
    if capacity is not None and capacity != session.capacity:
        changes["capacity"] = [session.capacity, capacity]
        _set_capacity(session.id, capacity)
    if new_place != session.place:
        changes["place"] = True  # the text itself stays out of the audit log
        session.place = new_place
    if closed is not None and closed != session.is_closed:
        changes["closed"] = closed
        session.closed_at = (now or utcnow()) if closed else None
    db.session.flush()
    db.session.refresh(session)
    if changes:
        record(admin.id, SESSION_UPDATED, "test_session", session.id, **changes)
    return session


def _set_capacity(session_id: int, capacity: int) -> None:
    changed = db.session.execute(
        db.update(TestSession)
        .where(TestSession.id == session_id, TestSession.booked <= capacity)
        .values(capacity=capacity)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict(
            _("Kapasitas tidak boleh lebih kecil dari jumlah kursi yang sudah dipilih."),
            code="capacity_below_booked",
        )


def delete_session(admin: User, session_id: int) -> int:
    """Delete a session nobody has booked; returns its activity id.

    `WHERE booked = 0` makes the check and the delete one statement: a booking
    that takes a seat at the same moment either commits first (then nothing is
    deleted) or waits and finds no session; the foreign key of bookings backs
    this up, so a booking can never be orphaned.
    """
    session = session_for_admin(admin, session_id)
    activity_id, starts_at = session.activity_id, session.starts_at
    try:
        with db.session.begin_nested():
            deleted = db.session.execute(
                db.delete(TestSession)
                .where(TestSession.id == session_id, TestSession.booked == 0)
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError:  # a booking row the counter does not know of: the FK refuses
        deleted = 0
    if not deleted:
        raise Conflict(
            _("Sesi yang sudah dipilih peserta tidak dapat dihapus. Tutup sesi ini saja."),
            code="session_has_bookings",
        )
    db.session.expunge(session)
    record(
        admin.id,
        SESSION_DELETED,
        "test_session",
        session_id,
        activity_id=activity_id,
        starts_at=starts_at.isoformat(),
    )
    return activity_id


def session_for_admin(admin: User, session_id: int) -> TestSession:
    session = db.session.scalar(
        db.select(TestSession)
        .join(Activity, Activity.id == TestSession.activity_id)
        .where(TestSession.id == session_id, Activity.office_id == office_of(admin))
    )
    if session is None:
        raise NotFound(_("Sesi tidak ditemukan."))
    return session


def admin_sessions(admin: User, activity_id: int) -> tuple[Activity, list[TestSession]]:
    activity = activity_for_admin(admin, activity_id)
    return activity, _sessions_of(activity.id)


def sessions_of_activity(user: User, activity_id: int) -> list[TestSession]:
    """For an admin of the activity's office, or a candidate who applied to it."""
    if user.role == Role.ADMIN:
        activity_for_admin(user, activity_id)
    elif _application_of(user.id, activity_id) is None:
        raise NotFound(_("Kegiatan tidak ditemukan."))
    return _sessions_of(activity_id)


def _sessions_of(activity_id: int) -> list[TestSession]:
    return list(
        db.session.scalars(
            db.select(TestSession)
            .where(TestSession.activity_id == activity_id)
            .order_by(TestSession.starts_at, TestSession.id)
        )
    )


def _clean_place(place: str | None) -> str | None:
    return (place or "").strip() or None


def _start_errors(
    activity: Activity, starts_at: datetime, ends_at: datetime, now: datetime
) -> dict[str, str]:
    if starts_at <= now:
        return {"starts_at": _("Sesi harus dimulai setelah saat ini.")}
    if starts_at <= activity.booking_opens_at:
        return {
            "starts_at": _(
                "Sesi harus dimulai setelah pemilihan sesi dibuka (%(opens)s).",
                opens=format_local(activity.booking_opens_at, activity.office.zone),
            )
        }
    if activity.announcement_at is not None and ends_at > activity.announcement_at:
        return {
            "starts_at": _(
                "Sesi harus selesai sebelum pengumuman hasil (%(at)s).",
                at=format_local(activity.announcement_at, activity.office.zone),
            )
        }
    return {}


def _capacity_errors(capacity: int) -> dict[str, str]:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        return {"capacity": _("Kapasitas harus berupa bilangan bulat.")}
    if not 1 <= capacity <= MAX_CAPACITY:
        return {"capacity": _("Kapasitas harus antara 1 dan %(max)d.", max=MAX_CAPACITY)}
    return {}


def _place_errors(place: str | None) -> dict[str, str]:
    if place is not None and len(place) > MAX_PLACE_LENGTH:
        return {"place": _("Tempat paling panjang %(n)d karakter.", n=MAX_PLACE_LENGTH)}
    return {}


# --- admins: the roster -----------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    session: TestSession
    rows: list[AttendanceRow]


def roster(admin: User, session_id: int) -> Roster:
    """Who booked the session (names, masked NIKs); the viewing is audited."""
    found = _roster(admin, session_id)
    record(admin.id, VIEW_ROSTER, "test_session", session_id, rows=len(found.rows))
    return found


def roster_csv(admin: User, session_id: int) -> bytes:
    """The attendance list to print and sign; the download is audited."""
    found = _roster(admin, session_id)
    record(admin.id, DOWNLOAD_ROSTER, "test_session", session_id, rows=len(found.rows))
    return attendance_csv(found.rows, found.session.activity.office.zone)


def _roster(admin: User, session_id: int) -> Roster:
    session = session_for_admin(admin, session_id)
    rows = db.session.execute(
        db.select(Booking.created_at, Profile.full_name, Profile.nik, User.full_name)
        .join(Application, Application.id == Booking.application_id)
        .join(User, User.id == Application.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(Booking.session_id == session_id)
        .order_by(Booking.created_at, Booking.id)
    )
    entries = [
        AttendanceRow(
            number=n,
            full_name=profile_name or account_name,
            masked_nik=mask_nik(nik) if nik else "-",
            booked_at=booked_at,
        )
        for n, (booked_at, profile_name, nik, account_name) in enumerate(rows, start=1)
    ]
    return Roster(session, entries)


# --- candidates: choosing a session -------------------------------------------------


@dataclass(frozen=True)
class SessionChoice:
    """One of the candidate's applications, as the session choice sees it."""

    application: Application
    booking: Booking | None
    # The sessions that may be chosen now (open, not started); full ones included.
    sessions: list[TestSession]
    # Why nothing can be chosen (None when there is a booking or a session to choose).
    reason: str | None


def session_choices(user: User, now: datetime | None = None) -> list[SessionChoice]:
    now = now or utcnow()
    applications = db.session.scalars(
        db.select(Application)
        .where(Application.user_id == user.id)
        .order_by(Application.submitted_at.desc(), Application.id.desc())
    )
    return [_choice(application, now) for application in applications]


def _choice(application: Application, now: datetime) -> SessionChoice:
    booking = booking_for_application(application.id)
    if booking is not None:
        return SessionChoice(application, booking, [], None)
    reason = _why_not_bookable(application, now)
    if reason is not None:
        return SessionChoice(application, None, [], reason)
    sessions = list(
        db.session.scalars(
            db.select(TestSession)
            .where(
                TestSession.activity_id == application.activity_id,
                TestSession.closed_at.is_(None),
                TestSession.starts_at > now,
            )
            .order_by(TestSession.starts_at, TestSession.id)
        )
    )
    if not sessions:
        reason = _("Belum ada sesi ujian yang dapat dipilih. Silakan periksa kembali nanti.")
    return SessionChoice(application, None, sessions, reason)


def _why_not_bookable(application: Application, now: datetime) -> str | None:
    status = ApplicationStatus(application.status)
    if status is ApplicationStatus.SUBMITTED:
        return _("Lamaran Anda masih dalam seleksi administrasi.")
    if status is ApplicationStatus.REJECTED:
        return _("Lamaran Anda tidak lolos seleksi administrasi.")
    if status is not ApplicationStatus.ACCEPTED:
        return _("Seleksi kegiatan ini sudah selesai.")
    activity = application.activity
    if now < activity.booking_opens_at:
        opens = format_local(activity.booking_opens_at, activity.office.zone)
        return _("Pemilihan sesi dibuka %(at)s.", at=opens)
    if now >= activity.booking_closes_at:
        closed = format_local(activity.booking_closes_at, activity.office.zone)
        return _("Pemilihan sesi sudah ditutup %(at)s.", at=closed)
    return None


def check_bookable(user: User, session_id: int, now: datetime | None = None) -> TestSession:
    """The session, if the candidate could book it now (the confirmation page);
    otherwise the same error `book` would give."""
    session, _application = _bookable(user, session_id, now or utcnow(), lock=False)
    return session


def book(user: User, session_id: int, now: datetime | None = None) -> Booking:
    """Take a seat in `session_id` for the candidate's accepted application. Final.

    Errors: 404 unknown session; 403 `not_accepted`; 409 `already_booked` (with
    the booking), `booking_closed`, `session_unavailable` (closed, started or of
    another activity), `session_full`. The caller's request commits; the
    confirmation mail is sent only once that commit has succeeded.
    """
    now = now or utcnow()
    session, application = _bookable(user, session_id, now, lock=True)
    booking = _take_seat(application.id, session.id, now)
    _mail_confirmation(user, booking)
    return booking


def my_bookings(user: User) -> list[Booking]:
    return list(
        db.session.scalars(
            db.select(Booking)
            .join(Application, Application.id == Booking.application_id)
            .where(Application.user_id == user.id)
            .order_by(Booking.created_at, Booking.id)
        )
    )


def _bookable(
    user: User, session_id: int, now: datetime, *, lock: bool
) -> tuple[TestSession, Application]:
    """Every rule except the seat count, in the order a candidate can act on.

    With `lock`, the application row is locked (PostgreSQL) until the commit, so
    an admin's decision on it (which takes the same lock) waits for the booking
    and then sees it, and parallel bookings of one candidate queue up.
    """
    session = db.session.get(TestSession, session_id)
    if session is None:
        raise NotFound(_("Sesi tidak ditemukan."))
    application = _application_of(user.id, session.activity_id, lock=lock)
    if application is None and _has_accepted_application(user.id):
        raise _unavailable(_("Sesi ini bukan untuk kegiatan yang Anda lamar."))
    if application is None:
        raise _not_accepted()
    existing = booking_for_application(application.id)
    if existing is not None:
        raise already_booked(existing)
    if application.status != ApplicationStatus.ACCEPTED:
        raise _not_accepted()
    activity = session.activity
    if not activity.booking_opens_at <= now < activity.booking_closes_at:
        raise Conflict(_("Pemilihan sesi tidak sedang dibuka."), code="booking_closed")
    if session.is_closed:
        raise _unavailable(_("Sesi ini sudah ditutup."))
    if now >= session.starts_at:
        raise _unavailable(_("Sesi ini sudah dimulai."))
    return session, application


def _take_seat(application_id: int, session_id: int, now: datetime) -> Booking:
    """The seat and the booking row, all or nothing, inside a SAVEPOINT.

    The seat is taken by one conditional UPDATE: no row back means no seat
    (full, or closed/started meanwhile). If the booking insert then breaks the
    unique constraint (a parallel request of the same candidate won), rolling
    back the savepoint also gives the seat back. On SQLite the transaction
    already holds the single write lock (BEGIN IMMEDIATE, see
    `database.configure_sqlite`), so this UPDATE never waits for a lock upgrade.
    """
    try:
        with db.session.begin_nested():
            taken = db.session.execute(
                db.update(TestSession)
                .where(
                    TestSession.id == session_id,
                    TestSession.booked < TestSession.capacity,
                    TestSession.closed_at.is_(None),
                    TestSession.starts_at > now,
                )
                .values(booked=TestSession.booked + 1)
                .returning(TestSession.id)
                .execution_options(synchronize_session=False)
            ).first()
            if taken is None:
                raise _no_seat(session_id, now)
            booking = Booking(application_id=application_id, session_id=session_id, created_at=now)
            db.session.add(booking)
            db.session.flush()
    except IntegrityError:
        winner = booking_for_application(application_id)
        if winner is None:
            raise
        raise already_booked(winner) from None
    # The in-memory counter predates the UPDATE.
    db.session.expire(booking.session, ["booked"])
    return booking


def _no_seat(session_id: int, now: datetime) -> Conflict | NotFound:
    """Why the conditional UPDATE took no seat, read fresh from the database."""
    row = db.session.execute(
        db.select(TestSession.closed_at, TestSession.starts_at).where(TestSession.id == session_id)
    ).first()
    if row is None:
        return NotFound(_("Sesi tidak ditemukan."))
    if row.closed_at is not None:
        return _unavailable(_("Sesi ini sudah ditutup."))
    if now >= row.starts_at:
        return _unavailable(_("Sesi ini sudah dimulai."))
    return Conflict(_("Sesi ini sudah penuh. Silakan pilih sesi lain."), code="session_full")


def already_booked(booking: Booking) -> Conflict:
    return Conflict(
        _("Anda sudah memilih sesi ujian. Pilihan sesi tidak dapat diubah."),
        code="already_booked",
        extra={"booking": booking_out(booking).model_dump(mode="json")},
    )


def _not_accepted() -> Forbidden:
    return Forbidden(
        _("Hanya pelamar yang lolos seleksi administrasi yang dapat memilih sesi ujian."),
        code="not_accepted",
    )


def _unavailable(message: str) -> Conflict:
    return Conflict(message, code="session_unavailable")


def _application_of(user_id: int, activity_id: int, lock: bool = False) -> Application | None:
    query = db.select(Application).where(
        Application.user_id == user_id, Application.activity_id == activity_id
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def _has_accepted_application(user_id: int) -> bool:
    found = db.session.scalar(
        db.select(Application.id)
        .where(Application.user_id == user_id, Application.status == ApplicationStatus.ACCEPTED)
        .limit(1)
    )
    return found is not None


# --- the confirmation mail ----------------------------------------------------------


def _mail_confirmation(user: User, booking: Booking) -> None:
    """Queue the confirmation in the booking's transaction (core.mail): a booking
    that is rolled back is never announced, and a mail server that is down only
    delays the mail (the booking is on /sesi/saya anyway)."""
    session = booking.session
    activity = session.activity
    place = session.place or _("(tempat akan diumumkan)")
    subject = _("Konfirmasi sesi ujian: %(activity)s", activity=activity.name)
    text = _(
        "Halo %(name)s,\n\nAnda telah memilih sesi ujian kompetensi berikut:\n\n"
        "Kegiatan: %(activity)s\nMulai: %(starts)s\nSelesai paling lambat: %(ends)s\n"
        "Tempat: %(place)s\n\nPilihan sesi ini final dan tidak dapat diubah atau "
        "dibatalkan, baik oleh Anda maupun oleh admin. Jadwal terlampir dalam berkas "
        "kalender (sesi-ujian.ics).",
        name=user.full_name,
        activity=activity.name,
        starts=format_local(session.starts_at, activity.office.zone),
        ends=format_local(session.ends_at, activity.office.zone),
        place=place,
    )
    send_mail(user.email, subject, text, (session_calendar(booking),))


def session_calendar(booking: Booking) -> Attachment:
    """The booked session as an .ics attachment (the confirmation and the reminder).

    The event's instants are UTC; its text names the times in the office's zone,
    which is what the candidate was told (a phone shows the event in its own zone).
    """
    session = booking.session
    activity = session.activity
    zone = activity.office.zone
    calendar = booking_calendar(
        uid=f"booking-{booking.id}@{_mail_host()}",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        summary=_("Ujian kompetensi: %(activity)s", activity=activity.name),
        location=session.place,
        description=_(
            "Mulai: %(starts)s\nSelesai paling lambat: %(ends)s\n"
            "Pilihan sesi ini final dan tidak dapat diubah.",
            starts=format_local(session.starts_at, zone),
            ends=format_local(session.ends_at, zone),
        ),
        stamp=booking.created_at,
    )
    return Attachment(filename="sesi-ujian.ics", content=calendar, mimetype="text/calendar")


def _mail_host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "exam-service"
