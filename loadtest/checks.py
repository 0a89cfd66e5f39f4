"""Correctness after a load test, read straight from the database (and Redis).

Each check returns a `Check`; the benchmark fails a scenario whose checks fail,
whatever its speed. Call them inside an app context of the server's back ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func

from exam_service.accounts.models import ActivationToken, User
from exam_service.core.extensions import db, redis_store
from exam_service.exam import live
from exam_service.exam.models import Answer, Attempt, AttemptStatus
from exam_service.recruitment.models import Activity, Application
from exam_service.scheduling.models import Booking, TestSession

ANSWERS_CHECK = "no acknowledged answer lost"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def _reading() -> Iterator[None]:
    """A fresh transaction for one check, ended at once: the server changed the rows
    meanwhile, and on SQLite an open transaction holds the single write lock."""
    db.session.rollback()
    try:
        yield
    finally:
        db.session.rollback()


@dataclass(frozen=True)
class AttemptRow:
    id: int
    user_id: int
    status: str
    started_at: datetime | None
    deadline: datetime | None
    finish_reason: str | None
    graded_at: datetime | None
    finished_at: datetime | None = None
    grading_version: int = 0


# --- registration -------------------------------------------------------------------


def check_registrations(emails: Iterable[str]) -> Check:
    """Every acknowledged registration is an inactive account with one activation token."""
    wanted = sorted(set(emails))
    with _reading():
        found = dict(
            db.session.execute(
                db.select(User.email, func.count(ActivationToken.id))
                .outerjoin(ActivationToken, ActivationToken.user_id == User.id)
                .where(User.email.in_(wanted), User.activated_at.is_(None))
                .group_by(User.email)
            ).all()
        )
    missing = [e for e in wanted if e not in found]
    without_token = [e for e, tokens in found.items() if tokens != 1]
    passed = bool(wanted) and not missing and not without_token
    return Check(
        "registrations stored",
        passed,
        f"{len(found)}/{len(wanted)} accounts, {len(without_token)} without exactly one token",
    )


# --- bookings -----------------------------------------------------------------------


def check_bookings(
    activity_id: int, acknowledged: list[Mapping[str, int]], expected_total: int
) -> list[Check]:
    """No overbooking, no double booking, every acknowledged booking stored, seats filled."""
    with _reading():
        sessions = db.session.execute(
            db.select(TestSession.id, TestSession.capacity, TestSession.booked).where(
                TestSession.activity_id == activity_id
            )
        ).all()
        rows = dict(
            db.session.execute(
                db.select(Booking.session_id, func.count())
                .join(TestSession, TestSession.id == Booking.session_id)
                .where(TestSession.activity_id == activity_id)
                .group_by(Booking.session_id)
            ).all()
        )
        doubles = db.session.scalar(
            db.select(func.count()).select_from(
                db.select(Application.user_id)
                .join(Booking, Booking.application_id == Application.id)
                .where(Application.activity_id == activity_id)
                .group_by(Application.user_id)
                .having(func.count(Booking.id) > 1)
                .subquery()
            )
        )
        stored = dict(
            db.session.execute(
                db.select(Booking.id, Booking.session_id).where(
                    Booking.id.in_([b["booking_id"] for b in acknowledged])
                )
            ).all()
        )
    overbooked = [s.id for s in sessions if rows.get(s.id, 0) > s.capacity or s.booked > s.capacity]
    miscounted = [s.id for s in sessions if rows.get(s.id, 0) != s.booked]
    lost = [b for b in acknowledged if stored.get(b["booking_id"]) != b["session_id"]]
    total = sum(rows.values())
    return [
        Check(
            "no overbooking",
            not overbooked and not miscounted,
            f"{len(sessions)} sessions; over capacity: {overbooked}; counter != rows: {miscounted}",
        ),
        Check("no double booking", doubles == 0, f"{doubles} candidates with two bookings"),
        Check(
            "acknowledged bookings stored",
            not lost and total == len(acknowledged),
            f"{len(acknowledged)} acknowledged, {total} stored, {len(lost)} missing",
        ),
        Check(
            "every seat taken exactly once",
            total == expected_total,
            f"{total} bookings for {expected_total} seats",
        ),
    ]


# --- attempts -------------------------------------------------------------------------


def attempts_of(session_ids: Iterable[int]) -> list[AttemptRow]:
    with _reading():
        rows = db.session.execute(
            db.select(
                Attempt.id,
                Attempt.user_id,
                Attempt.status,
                Attempt.started_at,
                Attempt.deadline,
                Attempt.finish_reason,
                Attempt.graded_at,
                Attempt.finished_at,
                Attempt.grading_version,
            ).where(Attempt.session_id.in_(list(session_ids)))
        ).all()
    return [AttemptRow(*row) for row in rows]


def check_started(session_ids: Iterable[int], expected: int) -> Check:
    started = [a for a in attempts_of(session_ids) if a.started_at is not None]
    candidates = len({a.user_id for a in started})
    return Check(
        "every candidate started once",
        len(started) == expected == candidates,
        f"{len(started)} attempts started by {candidates} candidates, {expected} expected",
    )


def check_answers(acks: Mapping[str, Mapping[str, list[Any]]]) -> Check:
    """Every acknowledged answer is in the database with its seq (or a newer one it also sent)."""
    attempt_ids = [int(a) for a in acks]
    stored: dict[tuple[int, int], tuple[int, str | None]] = {}
    with _reading():
        for start in range(0, len(attempt_ids), 1000):
            for attempt_id, position, seq, choice in db.session.execute(
                db.select(Answer.attempt_id, Answer.position, Answer.seq, Answer.choice).where(
                    Answer.attempt_id.in_(attempt_ids[start : start + 1000])
                )
            ):
                stored[(attempt_id, position)] = (seq, choice)
    acknowledged = lost = newer = 0
    for attempt_id, positions in acks.items():
        for position, (seq, choice) in positions.items():
            acknowledged += 1
            found = stored.get((int(attempt_id), int(position)))
            if found is None or found[0] < seq or (found[0] == seq and found[1] != choice):
                lost += 1
            elif found[0] > seq:
                newer += 1  # a later save whose answer never reached the client
    return Check(
        ANSWERS_CHECK,
        acknowledged > 0 and lost == 0,
        f"{acknowledged} acknowledged (attempt, question) answers, {lost} lost or older in the "
        f"database, {newer} overwritten by a later unacknowledged save",
    )


def wait_until_graded(session_ids: list[int], timeout: float) -> Check:
    """Every attempt finished and graded once; a time-out finished at its deadline.

    `timeout` only bounds the wait, which ends as soon as the last attempt is graded.
    How late the worker graded the time-outs is reported in the service's own clock
    (graded_at - deadline), not in the wall time of this process.
    """
    ends = time.monotonic() + timeout
    while True:
        attempts = [a for a in attempts_of(session_ids) if a.started_at is not None]
        pending = [a for a in attempts if a.status != AttemptStatus.FINISHED or a.graded_at is None]
        if not pending or time.monotonic() > ends:
            break
        time.sleep(1)
    timed_out = [a for a in attempts if a.finish_reason == "time_over" and a.graded_at]
    # A time-out ends at the deadline, not when the worker came round; grading is once.
    misdated = [a.id for a in timed_out if a.finished_at != a.deadline]
    regraded = [a.id for a in attempts if a.graded_at and a.grading_version != 1]
    late = max(
        (
            (a.graded_at - a.deadline).total_seconds()
            for a in timed_out
            if a.graded_at and a.deadline
        ),
        default=0.0,
    )
    return Check(
        "every attempt finished and graded",
        bool(attempts) and not pending and not misdated and not regraded,
        f"{len(attempts) - len(pending)}/{len(attempts)} graded "
        f"({len(attempts) - len(timed_out)} submitted, {len(timed_out)} timed out, graded at "
        f"most {late:.1f} s after the deadline); time-outs not finished at their deadline: "
        f"{misdated}; graded more than once: {regraded}",
    )


def check_graded_in_time(session_ids: list[int], grace_seconds: float, slack: float) -> Check:
    """Every attempt graded at most `grace_seconds + slack` after its deadline, in the
    service's own clock (graded_at - deadline); a submitted one usually well before."""
    attempts = [a for a in attempts_of(session_ids) if a.started_at is not None]
    after = {
        a.id: (a.graded_at - a.deadline).total_seconds()
        for a in attempts
        if a.graded_at and a.deadline
    }
    late = [a.id for a in attempts if after.get(a.id, math.inf) > grace_seconds + slack]
    latest = max(after.values(), default=math.nan)
    submitted = sum(a.finish_reason == "submitted" for a in attempts)
    return Check(
        f"every attempt graded by deadline + grace + {slack:g} s",
        bool(attempts) and not late,
        f"{len(after)}/{len(attempts)} graded ({submitted} submitted); the last graded "
        f"{latest:+.1f} s from its deadline (limit +{grace_seconds + slack:g} s); "
        f"late or ungraded: {late[:20]}",
    )


def redis_bytes_per_attempt(session_ids: list[int]) -> tuple[float, int]:
    """Mean Redis memory of an attempt's live keys (state, answers, its deadline entry)."""
    client = redis_store.client
    attempt_ids = [a.id for a in attempts_of(session_ids) if a.started_at is not None]
    if not attempt_ids:
        return 0.0, 0
    pipe = client.pipeline(transaction=False)
    for attempt_id in attempt_ids:
        pipe.memory_usage(live.state_key(attempt_id), samples=0)
        pipe.memory_usage(live.answers_key(attempt_id), samples=0)
    total = float(sum(n or 0 for n in pipe.execute()))
    scheduled = client.zcard(live.DEADLINES_KEY)
    if scheduled:
        share = min(1.0, len(attempt_ids) / scheduled)
        total += (client.memory_usage(live.DEADLINES_KEY, samples=0) or 0) * share
    return total / len(attempt_ids), len(attempt_ids)


# --- the results feed -----------------------------------------------------------------


def check_results_feed(office_id: int, first_passes: list[Mapping[str, int]]) -> Check:
    """Each poller's first pass read every graded attempt of the key's office exactly once."""
    with _reading():
        graded = db.session.scalar(
            db.select(func.count(Attempt.id))
            .join(TestSession, TestSession.id == Attempt.session_id)
            .join(Activity, Activity.id == TestSession.activity_id)
            .where(Activity.office_id == office_id, Attempt.graded_at.is_not(None))
        )
    wrong = [p for p in first_passes if p["results"] != graded or p["duplicates"]]
    return Check(
        "results feed complete",
        bool(first_passes) and not wrong and bool(graded),
        f"{len(first_passes)} pollers read {sorted({p['results'] for p in first_passes})} results "
        f"on their first pass, {graded} graded; {len(wrong)} passes wrong or with repeats",
    )
