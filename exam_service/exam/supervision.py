"""What admins do during and after a session: watch, extend, rule on faulty items.

Every action is scoped to the admin's office and written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from question_bank import FaultyRule

from ..accounts.models import User
from ..accounts.offices import office_of
from ..authoring import bank
from ..core.audit import record
from ..core.clock import utcnow
from ..core.database import after_commit
from ..core.errors import Conflict, Invalid, NotFound
from ..core.extensions import db
from ..recruitment.models import Activity, Application
from ..recruitment.service import activity_for_admin
from ..scheduling.models import Booking, TestSession
from ..scheduling.service import session_for_admin
from . import live, signals
from .models import (
    Accommodation,
    Answer,
    Attempt,
    AttemptItem,
    AttemptStatus,
    Extension,
    FinishReason,
    IntegrityEvent,
    ItemRuling,
    Reopening,
)
from .service import accommodation_seconds, grade, remaining_seconds, republish_live_state

MAX_EXTENSION_SECONDS = 2 * 3600
MAX_ACCOMMODATION_SECONDS = 2 * 3600
# Integrity events listed per candidate on the monitor (the count covers them all).
MONITOR_EVENTS_SHOWN = 50


@dataclass(frozen=True)
class MonitorRow:
    booking_id: int
    candidate_name: str
    attempt_id: int | None
    status: str  # not_started | ready | in_progress | finished
    started_at: datetime | None
    answered: int
    remaining_seconds: int
    deadline: datetime | None
    finished_at: datetime | None
    finish_reason: str | None
    extension_seconds: int
    accommodation_seconds: int
    reopened: bool
    # Can be reopened now: timed out, never reopened (the unused time is checked then).
    can_reopen: bool
    integrity_events: int
    # Per kind (service.INTEGRITY_EVENT_KINDS), and the latest events with their times.
    event_counts: dict[str, int]
    events: list[tuple[str, datetime]]


@dataclass(frozen=True)
class MonitorView:
    session: TestSession
    rows: list[MonitorRow]

    @property
    def not_started(self) -> list[MonitorRow]:
        return [row for row in self.rows if row.status in ("not_started", "ready")]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


def monitor_view(admin: User, session_id: int, now: datetime | None = None) -> MonitorView:
    """The session (time, place) and its candidates, for the live monitor."""
    session = session_for_admin(admin, session_id)
    return MonitorView(session, monitor(admin, session_id, now))


def monitor(admin: User, session_id: int, now: datetime | None = None) -> list[MonitorRow]:
    """Who has started, how far they are, how long they have left, what happened."""
    now = now or utcnow()
    session_for_admin(admin, session_id)
    answered = (
        db.select(Answer.attempt_id, func.count().label("n"))
        .where(Answer.choice.is_not(None))
        .group_by(Answer.attempt_id)
        .subquery()
    )
    rows = db.session.execute(
        db.select(
            Booking.id,
            User.full_name,
            Attempt,
            answered.c.n,
            Accommodation.seconds,
            Reopening.attempt_id,
        )
        .join(Application, Application.id == Booking.application_id)
        .join(User, User.id == Application.user_id)
        .outerjoin(Attempt, Attempt.booking_id == Booking.id)
        .outerjoin(answered, answered.c.attempt_id == Attempt.id)
        .outerjoin(Accommodation, Accommodation.booking_id == Booking.id)
        .outerjoin(Reopening, Reopening.attempt_id == Attempt.id)
        .where(Booking.session_id == session_id)
        .order_by(User.full_name, Booking.id)
    ).all()
    events: dict[int, list[tuple[str, datetime]]] = {}
    for attempt_id, kind, at in db.session.execute(
        db.select(IntegrityEvent.attempt_id, IntegrityEvent.kind, IntegrityEvent.at)
        .join(Attempt, Attempt.id == IntegrityEvent.attempt_id)
        .where(Attempt.session_id == session_id)
        .order_by(IntegrityEvent.at, IntegrityEvent.id)
    ):
        events.setdefault(attempt_id, []).append((kind, at))
    result = []
    for booking_id, name, attempt, answered_count, accommodation, reopened_id in rows:
        own = events.get(attempt.id, []) if attempt else []
        counts: dict[str, int] = {}
        for kind, _at in own:
            counts[kind] = counts.get(kind, 0) + 1
        timed_out = (
            attempt is not None
            and attempt.status == AttemptStatus.FINISHED
            and attempt.finish_reason == FinishReason.TIME_OVER
        )
        result.append(
            MonitorRow(
                booking_id=booking_id,
                candidate_name=name,
                attempt_id=attempt.id if attempt else None,
                status=str(attempt.status) if attempt else "not_started",
                started_at=attempt.started_at if attempt else None,
                answered=answered_count or 0,
                remaining_seconds=remaining_seconds(attempt, now) if attempt else 0,
                deadline=attempt.deadline if attempt else None,
                finished_at=attempt.finished_at if attempt else None,
                finish_reason=attempt.finish_reason if attempt else None,
                extension_seconds=attempt.extension_seconds if attempt else 0,
                accommodation_seconds=accommodation or 0,
                reopened=reopened_id is not None,
                can_reopen=timed_out and reopened_id is None,
                integrity_events=len(own),
                event_counts=counts,
                events=own[-MONITOR_EVENTS_SHOWN:],
            )
        )
    return result


def integrity_events(admin: User, attempt_id: int) -> list[IntegrityEvent]:
    attempt = _attempt_for_admin(admin, attempt_id)
    return list(
        db.session.scalars(
            db.select(IntegrityEvent)
            .where(IntegrityEvent.attempt_id == attempt.id)
            .order_by(IntegrityEvent.at)
        )
    )


def _attempt_for_admin(admin: User, attempt_id: int) -> Attempt:
    attempt = db.session.scalar(
        db.select(Attempt)
        .join(TestSession, Attempt.session_id == TestSession.id)
        .join(Activity, TestSession.activity_id == Activity.id)
        .where(Attempt.id == attempt_id, Activity.office_id == office_of(admin))
    )
    if attempt is None:
        raise NotFound(_("Ujian tidak ditemukan."))
    return attempt


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Invalid(_("Alasan wajib diisi."), details={"reason": _("Alasan wajib diisi.")})
    return reason


# --- accommodation: extra minutes set before the start -------------------------------


def _booking_for_admin(admin: User, booking_id: int) -> Booking:
    booking = db.session.scalar(
        db.select(Booking)
        .join(TestSession, Booking.session_id == TestSession.id)
        .join(Activity, TestSession.activity_id == Activity.id)
        .where(Booking.id == booking_id, Activity.office_id == office_of(admin))
    )
    if booking is None:
        raise NotFound(_("Peserta sesi tidak ditemukan."), code="booking_not_found")
    return booking


def set_accommodation(admin: User, booking_id: int, seconds: int, reason: str) -> int:
    """Give one candidate extra time (e.g. for a disability) before their test starts; it is
    added to the deadline when the attempt begins. 0 removes it. Refused once the attempt
    has started: an extension (`extend`) is the tool then. Returns the seconds set."""
    if not 0 <= seconds <= MAX_ACCOMMODATION_SECONDS:
        raise Invalid(_("Tambahan waktu tidak valid."), details={"seconds": str(seconds)})
    reason = _check_reason(reason)
    booking = _booking_for_admin(admin, booking_id)
    # Lock the attempt row (if the form is drawn) so that a start waits for this commit
    # (or this waits for the start): the start reads the accommodation after its UPDATE.
    status = db.session.scalar(
        db.select(Attempt.status).where(Attempt.booking_id == booking.id).with_for_update()
    )
    if status not in (None, AttemptStatus.READY):
        raise Conflict(
            _("Ujian peserta ini sudah dimulai. Gunakan tambah waktu."),
            code="attempt_already_started",
        )
    accommodation = db.session.get(Accommodation, booking.id)
    previous = accommodation.seconds if accommodation else 0
    if seconds == 0:
        if accommodation is not None:
            db.session.delete(accommodation)
    else:
        if accommodation is None:
            accommodation = Accommodation(booking_id=booking.id)
            db.session.add(accommodation)
        accommodation.seconds = seconds
        accommodation.reason = reason
        accommodation.granted_by_id = admin.id
        accommodation.granted_at = utcnow()
    record(
        admin.id,
        "set_accommodation",
        "booking",
        booking.id,
        seconds=seconds,
        previous_seconds=previous,
        reason=reason,
    )
    return seconds


# --- extensions: one candidate, or the whole session ----------------------------------


def extend(admin: User, attempt_id: int, seconds: int, reason: str) -> Attempt:
    """Give one candidate more time. Their open test page learns the new deadline at its
    next request (a save, or its poll every 30 s); `signals.time_extended` tells the
    domains above (a mail to the candidate) in the same transaction."""
    if not 1 <= seconds <= MAX_EXTENSION_SECONDS:
        raise Invalid(_("Tambahan waktu tidak valid."), details={"seconds": str(seconds)})
    reason = _check_reason(reason)
    attempt = _attempt_for_admin(admin, attempt_id)
    old_deadline = attempt.deadline
    if attempt.status != AttemptStatus.IN_PROGRESS or old_deadline is None:
        raise Conflict(_("Ujian ini tidak sedang berlangsung."), code="attempt_not_in_progress")
    # Optimistic: computed here (date arithmetic differs between databases), applied
    # only if nobody changed the deadline or finished the attempt meanwhile.
    extended = db.session.execute(
        db.update(Attempt)
        .where(
            Attempt.id == attempt.id,
            Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.deadline == old_deadline,
        )
        .values(
            deadline=old_deadline + timedelta(seconds=seconds),
            extension_seconds=Attempt.extension_seconds + seconds,
        )
    ).rowcount
    if not extended:
        raise Conflict(
            _("Ujian ini baru saja berubah. Muat ulang lalu coba lagi."), code="attempt_changed"
        )
    db.session.add(
        Extension(attempt_id=attempt.id, seconds=seconds, reason=reason, granted_by_id=admin.id)
    )
    record(admin.id, "extend_attempt", "attempt", attempt.id, seconds=seconds, reason=reason)
    db.session.refresh(attempt)
    assert attempt.deadline is not None
    deadline_ms = live.to_ms(attempt.deadline)
    due_ms = deadline_ms + current_app.config["ANSWER_GRACE_SECONDS"] * 1000
    after_commit(lambda: live.set_deadline(attempt_id, deadline_ms, due_ms))
    signals.time_extended.send(attempt, seconds=seconds, reason=reason)
    return attempt


@dataclass(frozen=True)
class SessionExtension:
    extended: int  # attempts given the time
    skipped: int  # finished (or changed) between the listing and their update


def extend_session(admin: User, session_id: int, seconds: int, reason: str) -> SessionExtension:
    """Give every attempt of a session in progress now `seconds` more (a power cut in the
    room), in the caller's one transaction. Each attempt goes through `extend` (database,
    Redis after the commit, the candidate's notice); one that finishes meanwhile is skipped
    (`extend` refuses it before writing anything)."""
    if not 1 <= seconds <= MAX_EXTENSION_SECONDS:
        raise Invalid(_("Tambahan waktu tidak valid."), details={"seconds": str(seconds)})
    reason = _check_reason(reason)
    session_for_admin(admin, session_id)
    attempt_ids = db.session.scalars(
        db.select(Attempt.id)
        .where(Attempt.session_id == session_id, Attempt.status == AttemptStatus.IN_PROGRESS)
        .order_by(Attempt.id)
    ).all()
    extended = skipped = 0
    for attempt_id in attempt_ids:
        try:
            extend(admin, attempt_id, seconds, reason)
        except Conflict:
            skipped += 1
        else:
            extended += 1
    if not extended:
        raise Conflict(
            _("Tidak ada peserta yang sedang mengerjakan ujian di sesi ini."),
            code="no_attempt_in_progress",
        )
    record(
        admin.id,
        "extend_session",
        "test_session",
        session_id,
        seconds=seconds,
        reason=reason,
        extended=extended,
        skipped=skipped,
    )
    return SessionExtension(extended, skipped)


# --- reopening a timed-out attempt --------------------------------------------------


def unused_seconds(attempt: Attempt) -> int:
    """The time a timed-out attempt did not use, given back when it is reopened.

    From the candidate's last sign of life (the later of the last saved answer, the last
    integrity event, and the start) to the deadline, capped by the test's duration
    (plus the candidate's accommodation). A phone that died 20 minutes before the deadline
    gets 20 minutes; a candidate active until the end gets nothing back.
    """
    assert attempt.deadline is not None
    assert attempt.started_at is not None
    last_event = db.session.scalar(
        db.select(func.max(IntegrityEvent.at)).where(IntegrityEvent.attempt_id == attempt.id)
    )
    signs = [attempt.started_at, attempt.last_saved_at, last_event]
    last_alive = max(moment for moment in signs if moment is not None)
    cap = attempt.session.activity.test_duration_seconds + accommodation_seconds(attempt.booking_id)
    return max(0, min(int((attempt.deadline - last_alive).total_seconds()), cap))


def reopened_seconds(attempt_id: int) -> int:
    """The time given back when the attempt was reopened (0: never reopened)."""
    reopening = db.session.get(Reopening, attempt_id)
    return reopening.seconds if reopening else 0


def reopen(admin: User, attempt_id: int, reason: str, now: datetime | None = None) -> Attempt:
    """Give a timed-out attempt back its unused time, once (`Reopening`'s key), with a
    reason. The answers stay; the attempt is in progress again with the deadline
    now + the unused time, so the candidate resumes it on the test page (`service.start`
    resumes an attempt in progress), Redis gets the database's copy after the commit and
    the finishing worker waits for the new deadline. When it finishes it is graded again
    (a new grading version, which the results feed publishes as a regrade)."""
    now = now or utcnow()
    reason = _check_reason(reason)
    attempt = _attempt_for_admin(admin, attempt_id)
    if db.session.get(Reopening, attempt.id) is not None:
        raise Conflict(_("Ujian ini sudah pernah dibuka kembali."), code="already_reopened")
    if attempt.status != AttemptStatus.FINISHED or attempt.finish_reason != FinishReason.TIME_OVER:
        raise Conflict(
            _("Hanya ujian yang berakhir karena waktu habis yang dapat dibuka kembali."),
            code="attempt_not_timed_out",
        )
    seconds = unused_seconds(attempt)
    if seconds < 60:
        raise Conflict(
            _("Peserta ini tidak memiliki sisa waktu untuk dikembalikan."),
            code="no_unused_time",
        )
    previous_deadline, previous_finished_at = attempt.deadline, attempt.finished_at
    assert previous_deadline is not None
    reopened = db.session.execute(
        db.update(Attempt)
        .where(
            Attempt.id == attempt.id,
            Attempt.status == AttemptStatus.FINISHED,
            Attempt.finish_reason == FinishReason.TIME_OVER,
        )
        .values(
            status=AttemptStatus.IN_PROGRESS,
            deadline=now + timedelta(seconds=seconds),
            finished_at=None,
            finish_reason=None,
        )
    ).rowcount
    if not reopened:
        raise Conflict(
            _("Ujian ini baru saja berubah. Muat ulang lalu coba lagi."), code="attempt_changed"
        )
    try:
        with db.session.begin_nested():
            db.session.add(
                Reopening(
                    attempt_id=attempt.id,
                    seconds=seconds,
                    previous_deadline=previous_deadline,
                    previous_finished_at=previous_finished_at,
                    reason=reason,
                    granted_by_id=admin.id,
                    granted_at=now,
                )
            )
    except IntegrityError as e:  # reopened by another admin at the same moment
        raise Conflict(_("Ujian ini sudah pernah dibuka kembali."), code="already_reopened") from e
    record(
        admin.id,
        "reopen_attempt",
        "attempt",
        attempt.id,
        seconds=seconds,
        reason=reason,
        previous_deadline=previous_deadline.isoformat(),
    )
    db.session.refresh(attempt)
    republish_live_state(attempt)
    signals.attempt_reopened.send(attempt, seconds=seconds, reason=reason)
    return attempt


def rule_item(
    admin: User, activity_id: int, question_version_id: int, rule: FaultyRule, reason: str
) -> int:
    """Declare an item faulty for one activity and regrade every affected attempt.

    Returns how many attempts were regraded; each gets a new grading version.
    """
    activity_for_admin(admin, activity_id)
    if not reason.strip():
        raise Invalid(_("Alasan wajib diisi."), details={"reason": _("Alasan wajib diisi.")})
    if not bank.versions([question_version_id]):
        raise NotFound(_("Versi soal tidak ditemukan."), code="question_version_not_found")
    ruling = db.session.get(ItemRuling, (activity_id, question_version_id))
    if ruling is None:
        ruling = ItemRuling(activity_id=activity_id, question_version_id=question_version_id)
        db.session.add(ruling)
    ruling.rule = rule.value
    ruling.reason = reason.strip()
    ruling.decided_by_id = admin.id
    ruling.decided_at = utcnow()
    db.session.flush()
    affected = db.session.scalars(
        db.select(Attempt)
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(TestSession, TestSession.id == Attempt.session_id)
        .where(
            TestSession.activity_id == activity_id,
            AttemptItem.question_version_id == question_version_id,
            Attempt.status == AttemptStatus.FINISHED,
        )
    ).all()
    for attempt in affected:
        grade(attempt)
    record(
        admin.id,
        "rule_item",
        "question_version",
        question_version_id,
        activity_id=activity_id,
        rule=rule.value,
        reason=reason.strip(),
        regraded=len(affected),
    )
    return len(affected)
