"""The test itself: start, answer, submit, finish on time, grade.

The database is the source of truth. Every answer save passes two gates:
1. Redis (`live.check_answer`, one Lua call): fast answers for an unknown
   position or option and a stale seq. Its refusals for a finished attempt or a
   passed deadline are confirmed by gate 2 before they are returned, since Redis
   may be behind the database (an extension it missed) and must never refuse
   what the database allows.
2. The database: one conditional UPDATE of the attempt row (the user's, still in
   progress, deadline + grace not passed) that also locks the row, then an upsert
   that only overwrites an older seq; on PostgreSQL both are one statement
   (`_SAVE_POSTGRESQL`). The finishing path takes the same row lock,
   so an answer is either committed before the attempt is finished (and then
   graded) or refused: never acknowledged and then left out of the grade.
Redis learns about a saved answer only after the commit (`after_commit`), so
its seq never runs ahead of the database's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import BigInteger, TextClause, bindparam, func, or_, text
from sqlalchemy.exc import IntegrityError

from question_bank import (
    OPTION_LETTERS,
    BankTooSmall,
    Blueprint,
    FaultyRule,
    draw_form,
    score_sheet,
)

from ..authoring import bank
from ..authoring.images import image_url
from ..core.clock import format_local, utcnow
from ..core.database import UTCDateTime, after_commit
from ..core.errors import Conflict, Invalid, NotFound
from ..core.extensions import db
from ..recruitment.models import Application
from ..scheduling.models import Booking, TestSession
from . import live, signals
from .models import (
    Accommodation,
    Answer,
    Attempt,
    AttemptItem,
    AttemptStatus,
    FinishReason,
    IntegrityEvent,
    ItemRuling,
    Reopening,
)

log = logging.getLogger(__name__)

KEYS = OPTION_LETTERS
INTEGRITY_EVENT_KINDS = frozenset({"hidden", "visible", "offline", "online", "resumed"})


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config["ANSWER_GRACE_SECONDS"])


def remaining_seconds(attempt: Attempt, now: datetime) -> int:
    if attempt.status != AttemptStatus.IN_PROGRESS or attempt.deadline is None:
        return 0
    return max(0, int((attempt.deadline - now).total_seconds()))


# --- forms, drawn ahead of time -----------------------------------------------


def prepare_attempt(booking: Booking) -> Attempt:
    """Draw and freeze the form of one booking (idempotent)."""
    existing = db.session.scalar(db.select(Attempt).where(Attempt.booking_id == booking.id))
    if existing is not None:
        return existing
    return _draw_attempts([booking])[0]


def prepare_session_forms(session_id: int) -> int:
    """Draw the forms of every booking of a session that has none yet.

    Run ahead of the session (by the worker), so that a start storm only reads.
    """
    bookings = db.session.scalars(
        db.select(Booking)
        .outerjoin(Attempt, Attempt.booking_id == Booking.id)
        .where(Booking.session_id == session_id, Attempt.id.is_(None))
    ).all()
    return len(_draw_attempts(list(bookings))) if bookings else 0


def _draw_attempts(bookings: list[Booking]) -> list[Attempt]:
    pool = bank.active_questions()
    exposure = dict(
        db.session.execute(
            db.select(AttemptItem.question_version_id.cast(db.String), func.count()).group_by(
                AttemptItem.question_version_id
            )
        ).all()
    )
    attempts = []
    for booking in bookings:
        blueprint = _blueprint_of(booking.session)
        seed = secrets.randbelow(2**31)
        try:
            form = draw_form(pool, blueprint, seed, exposure)
        except BankTooSmall as e:
            raise Conflict(
                _("Bank soal belum cukup untuk kisi-kisi kegiatan ini."),
                code="bank_too_small",
                details=e.missing,
            ) from e
        attempt = Attempt(
            booking_id=booking.id,
            user_id=booking.application.user_id,
            session_id=booking.session_id,
            seed=seed,
            items=[
                AttemptItem(
                    position=n,
                    question_version_id=int(item.question_id),
                    option_order=list(item.option_order),
                )
                for n, item in enumerate(form, start=1)
            ],
        )
        for item in form:
            exposure[item.question_id] = exposure.get(item.question_id, 0) + 1
        try:
            with db.session.begin_nested():
                db.session.add(attempt)
        except IntegrityError:
            # Drawn concurrently (the worker and a start): the first one stays.
            attempt = db.session.scalars(
                db.select(Attempt).where(Attempt.booking_id == booking.id)
            ).one()
        attempts.append(attempt)
    bank.freeze({item.question_version_id for a in attempts for item in a.items})
    return attempts


def _blueprint_of(session: TestSession) -> Blueprint:
    activity = session.activity
    if not activity.blueprint:
        raise Conflict(_("Kisi-kisi ujian kegiatan ini belum diatur."), code="no_blueprint")
    return Blueprint.from_dict(activity.blueprint)


# --- starting and resuming ----------------------------------------------------


def start(user_id: int, now: datetime | None = None) -> Attempt:
    """Start the attempt of the session open now, or resume the one under way."""
    now = now or utcnow()
    attempt = _attempt_in_progress(user_id)
    if attempt is not None:
        return attempt
    booking = _booking_in_window(user_id, now)
    attempt = prepare_attempt(booking)
    if attempt.status == AttemptStatus.READY:
        _begin(attempt, booking.session, now)
    return attempt


def _begin(attempt: Attempt, session: TestSession, now: datetime) -> None:
    duration = timedelta(seconds=session.activity.test_duration_seconds)
    deadline = min(now + duration, session.ends_at) + timedelta(seconds=attempt.extension_seconds)
    started = db.session.execute(
        db.update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.READY)
        .values(status=AttemptStatus.IN_PROGRESS, started_at=now, deadline=deadline)
    ).rowcount
    if started:
        # An accommodation (extra minutes set before the start) reaches past the session's
        # end too. Read after the UPDATE, which holds the row lock that
        # `supervision.set_accommodation` also takes: one set meanwhile is either seen
        # here or refused there as too late.
        extra = accommodation_seconds(attempt.booking_id)
        if extra:
            db.session.execute(
                db.update(Attempt)
                .where(Attempt.id == attempt.id)
                .values(deadline=deadline + timedelta(seconds=extra))
            )
    db.session.refresh(attempt)
    if started:
        _publish_live_state(attempt)


def accommodation_seconds(booking_id: int) -> int:
    """The extra time set for this booking before the start (0 when none)."""
    return (
        db.session.scalar(
            db.select(Accommodation.seconds).where(Accommodation.booking_id == booking_id)
        )
        or 0
    )


def _attempt_in_progress(user_id: int) -> Attempt | None:
    return db.session.scalar(
        db.select(Attempt).where(
            Attempt.user_id == user_id, Attempt.status == AttemptStatus.IN_PROGRESS
        )
    )


def _booking_in_window(user_id: int, now: datetime) -> Booking:
    bookings = db.session.scalars(
        db.select(Booking)
        .join(Application, Application.id == Booking.application_id)
        .join(TestSession, TestSession.id == Booking.session_id)
        .where(Application.user_id == user_id)
        .order_by(TestSession.starts_at)
    ).all()
    if not bookings:
        raise Conflict(_("Anda belum memilih sesi ujian."), code="no_booking")
    for booking in bookings:
        if booking.session.starts_at <= now < booking.session.ends_at:
            _check_late_entry(booking, now)
            return booking
    upcoming = [b for b in bookings if b.session.starts_at > now]
    if upcoming:
        raise Conflict(
            _("Sesi ujian Anda belum dimulai."),
            code="session_not_started",
            extra={"starts_at": upcoming[0].session.starts_at.isoformat()},
        )
    raise Conflict(_("Waktu sesi ujian Anda sudah lewat."), code="session_over")


def late_entry_closes_at(session: TestSession) -> datetime:
    """The last moment a candidate may begin (an attempt already begun resumes later too)."""
    return session.starts_at + timedelta(seconds=current_app.config["LATE_ENTRY_SECONDS"])


def _check_late_entry(booking: Booking, now: datetime) -> None:
    closes_at = late_entry_closes_at(booking.session)
    if now < closes_at:
        return
    status = db.session.scalar(db.select(Attempt.status).where(Attempt.booking_id == booking.id))
    if status in (None, AttemptStatus.READY):
        raise Conflict(
            _(
                "Ujian hanya dapat dimulai sampai %(time)s. Hubungi panitia di kantor BPS.",
                time=format_local(closes_at, booking.session.activity.office.zone),
            ),
            code="late_entry_closed",
            extra={"late_entry_closes_at": closes_at.isoformat()},
        )


def has_attempt_in_progress(user_id: int) -> bool:
    return _attempt_in_progress(user_id) is not None


def current_attempt(user_id: int) -> Attempt:
    """The attempt a candidate sees: the one under way, else the latest started one."""
    attempt = _attempt_in_progress(user_id) or db.session.scalar(
        db.select(Attempt)
        .where(Attempt.user_id == user_id, Attempt.status == AttemptStatus.FINISHED)
        .order_by(Attempt.finished_at.desc())
        .limit(1)
    )
    if attempt is None:
        raise NotFound(_("Belum ada ujian yang dimulai."), code="no_attempt")
    return attempt


def finished_at(booking_id: int) -> datetime | None:
    """When the test of this booking ended, for the candidate's timeline."""
    return db.session.scalar(
        db.select(Attempt.finished_at).where(
            Attempt.booking_id == booking_id, Attempt.status == AttemptStatus.FINISHED
        )
    )


def saved_answers(attempt_id: int) -> dict[int, str]:
    rows = db.session.execute(
        db.select(Answer.position, Answer.choice).where(
            Answer.attempt_id == attempt_id, Answer.choice.is_not(None)
        )
    ).all()
    return {position: choice for position, choice in rows}


def _publish_live_state(attempt: Attempt) -> None:
    """Copy a just-started attempt's live state to Redis once the transaction has
    committed. It has no answers yet (saves need a started attempt): a start storm
    reads nothing more for it."""
    after_commit(_live_copy(attempt, answers={}))


def rebuild_live_state(attempt_id: int) -> None:
    """Put the database's committed copy of an attempt back into Redis (no operator needed):
    after Redis lost its keys, or when its copy is found behind the database."""
    _live_copy(db.session.get_one(Attempt, attempt_id))()


def republish_live_state(attempt: Attempt) -> None:
    """Once the transaction has committed, replace Redis's copy of an attempt with the
    database's as read now (answers included): after a reopening."""
    after_commit(_live_copy(attempt))


def _live_copy(
    attempt: Attempt, answers: dict[int, tuple[int, str | None]] | None = None
) -> Callable[[], None]:
    """Read the attempt's live state from the database now (its stored answers unless
    given); the returned function writes it to Redis. Call that only once what was
    read is committed, so that Redis never holds an answer or a deadline the database
    could still roll back."""
    attempt_id = attempt.id
    status = str(attempt.status)
    deadline_ms = live.to_ms(attempt.deadline) if attempt.deadline else 0
    due_ms = deadline_ms + int(_grace().total_seconds() * 1000)
    option_counts = [len(item.option_order) for item in attempt.items]
    if answers is None:
        answers = {
            position: (seq, choice)
            for position, seq, choice in db.session.execute(
                db.select(Answer.position, Answer.seq, Answer.choice).where(
                    Answer.attempt_id == attempt_id
                )
            )
        }

    def write() -> None:
        live.load_state(attempt_id, status, deadline_ms, option_counts, answers)
        if status == AttemptStatus.IN_PROGRESS:
            live.schedule_finish(attempt_id, due_ms)
        else:
            live.unschedule(attempt_id)

    return write


def repair_live_deadlines() -> int:
    """Rebuild the Redis copy of every extended attempt whose live status or deadline
    disagrees with the database; the worker's sweep calls this. Returns how many were
    repaired.

    Only an extension or a reopening moves a deadline after the start, so only those are
    compared: a lost copy of a start leaves no keys (the next save rebuilds them), and
    a lost copy of a finish only lets Redis allow what the database then refuses.
    """
    expected = {
        attempt_id: live.to_ms(deadline)
        for attempt_id, deadline in in_progress_deadlines(extended_only=True)
    }
    repaired = 0
    for attempt_id in live.drifted(expected):
        rebuild_live_state(attempt_id)
        repaired += 1
    return repaired


# --- answers --------------------------------------------------------------------


@dataclass(frozen=True)
class SavedAnswer:
    position: int
    choice: str | None
    seq: int
    deadline: datetime
    # False when an answer with this or a newer seq was already stored (nothing changed).
    applied: bool
    attempt_id: int


def save_answer(
    user_id: int,
    position: int,
    choice: str | None,
    seq: int,
    now: datetime | None = None,
    *,
    attempt_id: int | None = None,
) -> SavedAnswer:
    """Save one answer of the candidate's attempt in progress.

    `attempt_id` is the caller's knowledge of that attempt (the view keeps it in the
    signed session): it saves the SELECT that finds it. It is only a hint: the
    database's gate accepts it only as this user's attempt, open for answers; when it
    is not, or Redis finds no such question in it, the attempt is looked up and the
    save runs on that. SavedAnswer.attempt_id says which attempt it was.
    """
    now = now or utcnow()
    if attempt_id is None:
        return _save(_attempt_id_for_answers(user_id), user_id, position, choice, seq, now)
    try:
        return _save(attempt_id, user_id, position, choice, seq, now)
    except (Conflict, Invalid, NotFound):
        current = _attempt_id_for_answers(user_id)
        if current == attempt_id:
            raise
        return _save(current, user_id, position, choice, seq, now)


def _save(
    attempt_id: int, user_id: int, position: int, choice: str | None, seq: int, now: datetime
) -> SavedAnswer:
    shown = option_index(choice)
    grace_ms = int(_grace().total_seconds() * 1000)
    check = live.check_answer(attempt_id, position, shown, seq, live.to_ms(now), grace_ms)
    if check.verdict == "missing":
        rebuild_live_state(attempt_id)
        check = live.check_answer(attempt_id, position, shown, seq, live.to_ms(now), grace_ms)
    deadline = live.from_ms(check.deadline_ms)
    if check.verdict == "invalid":
        raise Invalid(
            _("Nomor soal atau pilihan jawaban tidak ada."),
            details={"position": str(position), "choice": str(choice)},
        )
    if check.verdict in ("finished", "time_over"):
        # Redis only filters, and it may be behind the database (an extension whose
        # copy it missed): it never refuses what the database allows. Refusals are
        # rare, so the database confirms each one, and Redis is repaired if it was wrong.
        return _store_answer(attempt_id, user_id, position, choice, seq, now, redis_refused=True)
    if check.verdict == "stale":
        assert check.stored_seq is not None
        return SavedAnswer(
            position, check.stored_choice, check.stored_seq, deadline, False, attempt_id
        )
    return _store_answer(attempt_id, user_id, position, choice, seq, now)


def option_index(choice: str | None) -> int:
    """The shown option a letter names (-1 for a cleared answer); 422 for anything else."""
    if choice is None:
        return -1
    if len(choice) != 1 or choice not in KEYS:
        raise Invalid(_("Pilihan jawaban tidak valid."), details={"choice": str(choice)})
    return KEYS.index(choice)


def _attempt_id_for_answers(user_id: int) -> int:
    attempt_id = db.session.scalar(
        db.select(Attempt.id).where(
            Attempt.user_id == user_id, Attempt.status == AttemptStatus.IN_PROGRESS
        )
    )
    if attempt_id is None:
        finished = db.session.scalar(
            db.select(Attempt.id).where(
                Attempt.user_id == user_id, Attempt.status == AttemptStatus.FINISHED
            )
        )
        if finished is not None:
            raise _finished_error()
        raise NotFound(_("Belum ada ujian yang dimulai."), code="no_attempt")
    return attempt_id


# The hottest statements of the service, written once as text: SQLAlchemy does not
# cache the compiled form of the dialects' INSERT ... ON CONFLICT constructs
# (sqlalchemy#10445), and building the gate UPDATE through the ORM on every save cost
# a tenth of the save's CPU (docs/performance.md).
#
# Gate: the attempt row, locked until commit, is this user's and still open for answers
# (status, deadline + grace). Upsert: a write with a seq not greater than the stored one
# changes nothing. The attempt row is always locked before the answer row.
_BIND_TYPES = {"now": UTCDateTime(), "cutoff": UTCDateTime(), "seq": BigInteger()}


def _typed(sql: str, **columns: Any) -> TextClause:
    """`sql` as a text() statement, its time and seq parameters and `columns` typed."""
    binds = [bindparam(name, type_=t) for name, t in _BIND_TYPES.items() if f":{name}" in sql]
    return text(sql).bindparams(*binds).columns(**columns)


# The gate and the upsert, each written once; each back end runs them its way below.
_GATE = (
    "UPDATE attempts SET last_saved_at = :now"
    " WHERE id = :attempt_id AND user_id = :user_id AND status = 'in_progress'"
    " AND deadline >= :cutoff"
)
_ON_CONFLICT = (
    " ON CONFLICT (attempt_id, position) DO UPDATE SET choice = excluded.choice,"
    " seq = excluded.seq, saved_at = excluded.saved_at"
    " WHERE answers.seq < excluded.seq"
    " RETURNING seq"
)
_ANSWER_COLUMNS = "INSERT INTO answers (attempt_id, position, choice, seq, saved_at)"
# PostgreSQL: gate and upsert in one statement (data-modifying CTEs), one round trip;
# the answer is written only when the gate returned the attempt. A row with a NULL
# `written` is a stale seq; no row, a closed gate.
_SAVE_POSTGRESQL = _typed(
    f"WITH gate AS ({_GATE} RETURNING id, deadline),"  # noqa: S608 (constants only)
    f" written AS ({_ANSWER_COLUMNS} SELECT id, :position, :choice, :seq, :now FROM gate"
    f"{_ON_CONFLICT})"
    " SELECT gate.deadline, (SELECT seq FROM written) AS written FROM gate",
    deadline=UTCDateTime(),
    written=BigInteger(),
)
# SQLite (the embedded back end) has no data-modifying CTEs: the same gate and upsert
# as two statements of the same transaction.
_GATE_SQLITE = _typed(f"{_GATE} RETURNING deadline", deadline=UTCDateTime())
_UPSERT_SQLITE = _typed(
    f"{_ANSWER_COLUMNS} VALUES (:attempt_id, :position, :choice, :seq, :now){_ON_CONFLICT}",
    seq=BigInteger(),
)


def _gate_and_upsert(
    attempt_id: int, user_id: int, position: int, choice: str | None, seq: int, now: datetime
) -> tuple[datetime, int | None] | None:
    """Run the gate and the seq-guarded upsert: None when the gate is closed (not this
    user's attempt in progress, or past deadline + grace), else the deadline and the
    seq written (None when a newer or equal seq is stored)."""
    values = {
        "attempt_id": attempt_id,
        "user_id": user_id,
        "position": position,
        "choice": choice,
        "seq": seq,
        "now": now,
        "cutoff": now - _grace(),
    }
    # The session's connection, in the session's transaction (committed with it), run
    # without the ORM's statement handling: a tenth of a save's CPU went there.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        row = connection.execute(_SAVE_POSTGRESQL, values).first()
        return None if row is None else (row.deadline, row.written)
    gate = connection.execute(_GATE_SQLITE, values).first()
    if gate is None:
        return None
    written = connection.execute(_UPSERT_SQLITE, values).first()
    return gate.deadline, written.seq if written else None


def _store_answer(
    attempt_id: int,
    user_id: int,
    position: int,
    choice: str | None,
    seq: int,
    now: datetime,
    *,
    redis_refused: bool = False,
) -> SavedAnswer:
    result = _gate_and_upsert(attempt_id, user_id, position, choice, seq, now)
    if result is None:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is None or attempt.user_id != user_id:
            raise NotFound(_("Belum ada ujian yang dimulai."), code="no_attempt")
        raise _finished_error() if attempt.status == AttemptStatus.FINISHED else _time_over_error()
    deadline, written = result
    if redis_refused:
        log.warning(
            "redis refused an answer the database allows; repairing its copy",
            extra={"attempt_id": attempt_id},
        )
        after_commit(_live_copy(db.session.get_one(Attempt, attempt_id)))
    if written is None:
        # A newer seq won meanwhile (a parallel request of the same candidate).
        stored = db.session.get_one(Answer, (attempt_id, position))
        return SavedAnswer(position, stored.choice, stored.seq, deadline, False, attempt_id)
    deadline_ms = live.to_ms(deadline)
    after_commit(lambda: _record_quietly(attempt_id, position, seq, choice, deadline_ms))
    return SavedAnswer(position, choice, seq, deadline, True, attempt_id)


def _record_quietly(
    attempt_id: int, position: int, seq: int, choice: str | None, deadline_ms: int
) -> None:
    """The answer is committed; Redis's copy is only a fast filter, so a failure here is
    logged, not reported (the database's seq guard keeps correctness)."""
    try:
        live.record_answer(attempt_id, position, seq, choice, deadline_ms)
    except Exception:
        log.warning("could not record answer in redis", exc_info=True)


def _finished_error() -> Conflict:
    return Conflict(_("Ujian sudah selesai."), code="attempt_finished")


def _time_over_error() -> Conflict:
    return Conflict(_("Waktu ujian sudah habis. Jawaban tidak disimpan."), code="time_over")


# --- finishing and grading -------------------------------------------------------


def submit(user_id: int, now: datetime | None = None) -> Attempt:
    """Finish now at the candidate's request; harmless when repeated or raced."""
    now = now or utcnow()
    attempt = _attempt_in_progress(user_id)
    if attempt is None:
        return current_attempt(user_id)
    if attempt.deadline is not None and now > attempt.deadline + _grace():
        # Submitted too late: the attempt ended at its deadline.
        _finish(attempt.id, FinishReason.TIME_OVER, None)
    else:
        _finish(attempt.id, FinishReason.SUBMITTED, now)
    db.session.refresh(attempt)
    return attempt


def finish_if_due(attempt_id: int, now: datetime | None = None) -> bool:
    """Finish a timed-out attempt (worker); False when it is not due or already finished."""
    now = now or utcnow()
    finished = _finish(attempt_id, FinishReason.TIME_OVER, None, due_before=now - _grace())
    if not finished:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None:
            # Extended meanwhile (due later), or finished by someone else: Redis was
            # behind the database, so its whole copy is put back, deadline included.
            after_commit(_live_copy(attempt))
    return finished


def overdue_attempt_ids(now: datetime, limit: int = 500) -> list[int]:
    """In-progress attempts past deadline + grace, straight from the database."""
    return list(
        db.session.scalars(
            db.select(Attempt.id)
            .where(
                Attempt.status == AttemptStatus.IN_PROGRESS,
                Attempt.deadline < now - _grace(),
            )
            .limit(limit)
        )
    )


def in_progress_deadlines(*, extended_only: bool = False) -> list[tuple[int, datetime]]:
    conditions = [Attempt.status == AttemptStatus.IN_PROGRESS]
    if extended_only:
        # A reopened attempt's deadline also moved after its start.
        reopened = db.select(Reopening.attempt_id).where(Reopening.attempt_id == Attempt.id)
        conditions.append(or_(Attempt.extension_seconds > 0, reopened.exists()))
    return list(db.session.execute(db.select(Attempt.id, Attempt.deadline).where(*conditions)))


def _finish(
    attempt_id: int,
    reason: FinishReason,
    finished_at: datetime | None,
    due_before: datetime | None = None,
) -> bool:
    """One conditional UPDATE decides who finishes an attempt; only the winner grades.

    `finished_at=None` means "at the deadline" (a timed-out attempt).
    """
    conditions = [Attempt.id == attempt_id, Attempt.status == AttemptStatus.IN_PROGRESS]
    if due_before is not None:
        conditions.append(Attempt.deadline < due_before)
    won = db.session.execute(
        db.update(Attempt)
        .where(*conditions)
        .values(
            status=AttemptStatus.FINISHED,
            finish_reason=reason,
            finished_at=finished_at if finished_at is not None else Attempt.deadline,
        )
    ).rowcount
    if not won:
        return False
    attempt = db.session.get_one(Attempt, attempt_id)
    db.session.refresh(attempt)
    grade(attempt)
    after_commit(lambda: live.mark_finished(attempt_id))
    return True


def grade(attempt: Attempt) -> None:
    """Score the frozen form with the rulings in force; every call is a new grading version."""
    items = attempt.items
    questions = bank.versions(item.question_version_id for item in items)
    answers = {a.position: a.choice for a in _answers_of(attempt.id)}
    choices = [original_choice(item, answers.get(item.position)) for item in items]
    activity_id = attempt.session.activity_id
    version_ids = {item.question_version_id for item in items}
    rulings = rulings_by_activity({activity_id}, version_ids).get(activity_id, {})
    sheet = score_sheet([questions[item.question_version_id] for item in items], choices, rulings)
    attempt.score = sheet.total
    attempt.max_score = sheet.maximum
    attempt.category_scores = {
        category: {"score": str(part.score), "max": str(part.max)}
        for category, part in sheet.by_category.items()
    }
    attempt.answers_hash = _answers_hash(attempt.id, answers)
    attempt.graded_at = utcnow()
    attempt.grading_version += 1
    db.session.flush()
    signals.attempt_graded.send(attempt)  # the results feed and webhooks, same transaction


def original_choice(item: AttemptItem, letter: str | None) -> int | None:
    """The option chosen, as its index in the version's authoring order (None: none)."""
    return item.option_order[KEYS.index(letter)] if letter else None


def rulings_by_activity(
    activity_ids: set[int], version_ids: set[int]
) -> dict[int, dict[str, FaultyRule]]:
    """Faulty-item rulings per activity, keyed by version id as text (the bank's ids)."""
    rows = db.session.scalars(
        db.select(ItemRuling).where(
            ItemRuling.activity_id.in_(activity_ids),
            ItemRuling.question_version_id.in_(version_ids),
        )
    )
    by_activity: dict[int, dict[str, FaultyRule]] = defaultdict(dict)
    for ruling in rows:
        by_activity[ruling.activity_id][str(ruling.question_version_id)] = FaultyRule(ruling.rule)
    return by_activity


def _answers_of(attempt_id: int) -> list[Answer]:
    return list(db.session.scalars(db.select(Answer).where(Answer.attempt_id == attempt_id)))


def _answers_hash(attempt_id: int, answers: dict[int, str | None]) -> str:
    """The receipt: anyone holding the answers can recompute it."""
    canonical = json.dumps(
        {"attempt": attempt_id, "answers": {str(p): answers[p] for p in sorted(answers)}},
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- what the candidate sees -------------------------------------------------------


def questions_payload(attempt: Attempt) -> list[dict[str, Any]]:
    """The frozen form as shown: texts and option keys, never points or keys."""
    versions = bank.versions(item.question_version_id for item in attempt.items)
    payload = []
    for item in attempt.items:
        question = versions[item.question_version_id]
        payload.append(
            {
                "position": item.position,
                "text": question.stem,
                "image_url": image_url(question.image),
                "options": [
                    {"key": KEYS[shown], "text": question.options[original].text}
                    for shown, original in enumerate(item.option_order)
                ],
            }
        )
    return payload


def check_event_kind(kind: str) -> None:
    """The kinds of tab and network changes the test page reports; 422 for another."""
    if kind not in INTEGRITY_EVENT_KINDS:
        raise Invalid(_("Jenis kejadian tidak dikenal."), details={"kind": kind})


def record_integrity_event(user_id: int, kind: str, now: datetime | None = None) -> None:
    check_event_kind(kind)
    attempt_id = _attempt_id_for_answers(user_id)
    db.session.add(IntegrityEvent(attempt_id=attempt_id, kind=kind, at=now or utcnow()))


# --- before the start: what the test page shows -------------------------------------


@dataclass(frozen=True)
class StartStatus:
    """Whether `start` would begin (or resume) a test now, and what to show meanwhile.

    `state` is `in_progress`, `finished`, `open` (a first start is possible now) or one
    of `start`'s refusal codes: `no_booking`, `session_not_started`, `late_entry_closed`,
    `session_over`. `session` is the booked session the state is about (None while a
    test is under way or finished: the attempt says everything then).
    """

    state: str
    message: str
    session: TestSession | None = None
    attempt: Attempt | None = None

    @property
    def can_start(self) -> bool:
        return self.state in ("open", "in_progress")


def start_status(user_id: int, now: datetime | None = None) -> StartStatus:
    """What `start` would do now, read-only: the same window rule (`_booking_in_window`,
    `late_entry_closes_at`), so the page offers "Mulai ujian" exactly when it works."""
    now = now or utcnow()
    attempt = _attempt_in_progress(user_id)
    if attempt is not None:
        return _under_way(attempt)
    finished = db.session.scalar(
        db.select(Attempt)
        .where(Attempt.user_id == user_id, Attempt.status == AttemptStatus.FINISHED)
        .order_by(Attempt.finished_at.desc())
        .limit(1)
    )
    try:
        booking = _booking_in_window(user_id, now)
    except Conflict as refusal:
        if finished is not None and refusal.code != "session_not_started":
            return StartStatus("finished", _("Ujian Anda sudah selesai."), None, finished)
        return StartStatus(refusal.code, refusal.message, _session_shown(user_id, now))
    if finished is not None and finished.booking_id == booking.id:
        return StartStatus("finished", _("Ujian Anda sudah selesai."), None, finished)
    session = booking.session
    closes_at = format_local(late_entry_closes_at(session), session.activity.office.zone)
    message = _(
        "Sesi ujian Anda sudah dimulai. Ujian dapat dimulai sampai %(time)s.", time=closes_at
    )
    return StartStatus("open", message, booking.session)


def live_start_status(attempt_id: int) -> StartStatus | None:
    """`start_status` of an attempt under way, from Redis's copy alone; None when Redis
    has it in no other state, has none or does not answer (ask `start_status` then).

    The test page asks every 30 s, mostly to learn of extra time: with every candidate of
    a session polling, it is the most frequent request of all. Redis's copy follows each
    change of status and deadline once it is committed (an extension, a reopening, the
    end), and the worker repairs a copy that missed one (`repair_live_deadlines`). The
    caller vouches that the attempt is the user's (the signed session names it).
    """
    try:
        status, deadline_ms = live.status_and_deadline(attempt_id)
    except redis.RedisError:
        return None
    if status != AttemptStatus.IN_PROGRESS or deadline_ms is None:
        return None
    # What the answer shows of the attempt, and no more: never added to the session.
    deadline = live.from_ms(deadline_ms)
    return _under_way(Attempt(id=attempt_id, status=AttemptStatus.IN_PROGRESS, deadline=deadline))


def _under_way(attempt: Attempt) -> StartStatus:
    return StartStatus("in_progress", _("Ujian Anda sedang berlangsung."), None, attempt)


def _session_shown(user_id: int, now: datetime) -> TestSession | None:
    """The booked session a refusal is about: the next one, else the latest one begun."""
    sessions = db.session.scalars(
        db.select(TestSession)
        .join(Booking, Booking.session_id == TestSession.id)
        .join(Application, Application.id == Booking.application_id)
        .where(Application.user_id == user_id)
        .order_by(TestSession.starts_at)
    ).all()
    # In `_booking_in_window`'s order: a session in its window (late entry closed),
    # else the next one (not started), else the last one (over).
    in_window = [s for s in sessions if s.starts_at <= now < s.ends_at]
    upcoming = [s for s in sessions if s.starts_at > now]
    return (in_window or upcoming or sessions[-1:] or [None])[0]
