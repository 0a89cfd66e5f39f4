"""The candidate's whole lifecycle as a hypothesis state machine, against the real app.

Candidates register, apply, are decided on by an admin, book, start, answer, submit or
run out of time, in any order hypothesis picks, while sessions begin and the finishing
worker ticks. Each step checks the response against a model of what must happen, and
after every step the invariants of DESIGN.md section 2 are checked in the database:
one booking per application that never changes, no session over capacity, no answer
stored after deadline + grace, every acknowledged answer present with its last seq,
finished attempts graded exactly once, and no key or points in any candidate response.

Making time pass: a session "begins" by moving its start into the past, and an attempt
"runs out of time" by moving its whole history (start, deadline, answers) back past
its deadline + grace, directly in the database (Redis keeps the old deadline: the
database's gate must refuse on its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func

from exam_service.accounts.models import Role
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db, redis_store
from exam_service.exam import service
from exam_service.exam.models import Answer, Attempt, AttemptStatus
from exam_service.scheduling.models import Booking, TestSession
from exam_service.worker import Worker
from loadtest.schema import empty_tables
from tests.support.accounts import PASSWORD
from tests.support.clients import ApiClient
from tests.support.exam import BLUEPRINT, QUESTION_COUNT, add_bank
from tests.support.factories import (
    build_activity,
    build_documents,
    build_office,
    build_profile,
    build_test_session,
    build_user,
)

FORBIDDEN = re.compile(
    r"\b(points?|poin|correct|is_key|answer_key|kunci|scores?|skor|bobot)\b", re.IGNORECASE
)
CAPACITIES = (1, 2)
MAX_CANDIDATES = 3
# Which candidate takes a step: an index, and whether to prefer one for whom it is the
# next step (three times in four) over anyone (the refusals).
PICK = st.tuples(st.integers(0, MAX_CANDIDATES - 1), st.integers(0, 3).map(lambda n: n < 3))
# One save: position, choice, and whether its seq is newer than the last one (or a retry).
WRITE = st.tuples(
    st.integers(1, QUESTION_COUNT), st.sampled_from("ABCD"), st.integers(0, 3).map(lambda n: n < 3)
)


@dataclass
class Candidate:
    """The model of one candidate: what the service must say and hold."""

    user_id: int
    client: ApiClient
    application_id: int | None = None
    status: str | None = None  # submitted, accepted, rejected
    session_id: int | None = None  # booked, forever
    attempt_id: int | None = None
    deadline: datetime | None = None
    finished: bool = False
    timed_out: bool = False
    # False when time ran out in the database only: Redis still has the old deadline.
    redis_knows: bool = True
    receipt: dict[str, Any] | None = None
    # position -> (seq, choice) the server acknowledged
    answers: dict[int, tuple[int, str]] = field(default_factory=dict)


def _empty(app: Flask) -> None:
    """Every example starts from empty tables and an empty Redis, like every test."""
    with app.app_context():
        empty_tables()
        redis_store.client.flushdb()


def lifecycle_machine(app: Flask) -> type[RuleBasedStateMachine]:
    grace = timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"])

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.candidates: list[Candidate] = []
            self.begun: set[int] = set()
            self.sessions: list[int] = []

        # --- set-up -----------------------------------------------------------------

        @initialize()
        def open_activity(self) -> None:
            """An office, its admin, an activity open for applying and booking, 2 sessions."""
            now = utcnow()
            with app.app_context():
                office = build_office(name="BPS Mesin Keadaan")
                db.session.flush()
                admin = build_user(Role.ADMIN, name="Admin Uji", office_id=office.id)
                # Both windows open at once: the machine, not the calendar, orders the steps.
                activity = build_activity(
                    office.id,
                    name="Rekrutmen Mesin Keadaan",
                    registration_opens_at=now - timedelta(days=1),
                    registration_closes_at=now + timedelta(days=1),
                    booking_opens_at=now - timedelta(days=1),
                    booking_closes_at=now + timedelta(days=1),
                    announcement_at=None,
                    test_question_count=QUESTION_COUNT,
                    test_duration_seconds=3600,
                    blueprint=BLUEPRINT,
                )
                add_bank()
                db.session.flush()
                sessions = [
                    build_test_session(
                        activity.id, starts_at=now + timedelta(hours=1), capacity=capacity
                    )
                    for capacity in CAPACITIES
                ]
                db.session.commit()
                self.activity_id = activity.id
                self.sessions = [s.id for s in sessions]
                admin_email = admin.email
            self.admin = ApiClient(app.test_client())
            assert self.admin.login(admin_email, PASSWORD).status_code == 200

        def teardown(self) -> None:
            _empty(app)

        def _candidate(
            self, pick: tuple[int, bool], ready: Callable[[Candidate], bool]
        ) -> Candidate:
            """Mostly a candidate for whom this is the next step, else anyone (refusals)."""
            index, in_order = pick
            pool = [c for c in self.candidates if ready(c)] if in_order else []
            pool = pool or self.candidates
            return pool[index % len(pool)]

        def _call(self, candidate: Candidate, method: str, path: str, **kwargs: Any):
            response = candidate.client.open(method, path, **kwargs)
            body = response.get_data(as_text=True)
            assert not FORBIDDEN.search(body), f"{method} {path} leaks: {body[:300]}"
            return response.status_code, response.json or {}

        # --- the candidate's steps ---------------------------------------------------------

        @precondition(lambda self: len(self.candidates) < MAX_CANDIDATES)
        @rule()
        def register(self) -> None:
            """An activated account with a complete profile and documents, logged in."""
            with app.app_context():
                user = build_user(name="Peserta Siklus")
                db.session.flush()
                build_profile(user)
                build_documents(user.id)
                db.session.commit()
                user_id, email = user.id, user.email
            client = ApiClient(app.test_client())
            assert client.login(email, PASSWORD).status_code == 200
            self.candidates.append(Candidate(user_id, client))

        @precondition(lambda self: any(c.application_id is None for c in self.candidates))
        @rule(pick=PICK)
        def apply(self, pick: tuple[int, bool]) -> None:
            c = self._candidate(pick, lambda c: c.application_id is None)
            status, body = self._call(
                c, "POST", f"/api/v1/activities/{self.activity_id}/applications"
            )
            if c.application_id is not None:
                assert (status, body["error"]["code"]) == (409, "already_applied")
                return
            assert status == 201, body
            c.application_id, c.status = body["application_id"], "submitted"

        @precondition(lambda self: any(c.application_id for c in self.candidates))
        @rule(pick=PICK, accept=st.integers(0, 3).map(lambda n: n < 3))
        def decide(self, pick: tuple[int, bool], accept: bool) -> None:
            c = self._candidate(pick, lambda c: c.status == "submitted")
            if c.application_id is None:
                return
            response = self.admin.post(
                f"/api/v1/admin/applications/{c.application_id}/decision",
                json={"decision": "accepted" if accept else "rejected", "reason": "Uji mesin"},
            )
            if c.session_id is not None:
                assert response.status_code == 409
                assert response.json["error"]["code"] == "decision_locked"
                return
            assert response.status_code == 200, response.json
            c.status = "accepted" if accept else "rejected"

        @precondition(
            lambda self: any(c.status == "accepted" and not c.session_id for c in self.candidates)
        )
        @rule(pick=PICK, which=st.sampled_from([0, 1]))
        def book(self, pick: tuple[int, bool], which: int) -> None:
            c = self._candidate(pick, lambda c: c.status == "accepted" and not c.session_id)
            session_id = self.sessions[which]
            status, body = self._call(
                c, "POST", "/api/v1/me/bookings", json={"session_id": session_id}
            )
            code = body.get("error", {}).get("code")
            if c.session_id is not None:
                assert (status, code) == (409, "already_booked")
            elif c.status != "accepted":
                assert (status, code) == (403, "not_accepted")
            elif session_id in self.begun:
                assert (status, code) == (409, "session_unavailable")
            elif self._booked(session_id) >= CAPACITIES[which]:
                assert (status, code) == (409, "session_full")
            else:
                assert status == 201, body
                c.session_id = session_id

        def running(self) -> list[Candidate]:
            return [c for c in self.candidates if c.attempt_id and not (c.finished or c.timed_out)]

        def booked(self) -> list[Candidate]:
            return [c for c in self.candidates if c.session_id]

        @precondition(lambda self: any(c.attempt_id for c in self.candidates))
        @rule(pick=PICK)
        def look(self, pick: tuple[int, bool]) -> None:
            """The candidate's own view of the application, booking and attempt."""
            c = self._candidate(pick, lambda c: True)
            status, body = self._call(c, "GET", "/api/v1/me/applications")
            assert status == 200, body
            assert [a["status"] for a in body["items"]] == ([c.status] if c.status else [])
            status, body = self._call(c, "GET", "/api/v1/me/attempt")
            if c.attempt_id is None:
                assert status == 404, body
            else:
                assert (status, body["attempt_id"]) == (200, c.attempt_id)
                assert body["answers"] == (
                    {} if c.finished else {str(p): a[1] for p, a in c.answers.items()}
                )

        def _booked(self, session_id: int) -> int:
            return sum(c.session_id == session_id for c in self.candidates)

        @precondition(lambda self: any(c.session_id not in self.begun for c in self.booked()))
        @rule(pick=PICK)
        def session_begins(self, pick: tuple[int, bool]) -> None:
            """The session of a booked candidate begins (its start moves into the past)."""
            waiting = [c for c in self.booked() if c.session_id not in self.begun]
            session_id = waiting[pick[0] % len(waiting)].session_id
            assert session_id is not None
            starts_at = utcnow() - timedelta(seconds=1)
            with app.app_context():
                db.session.execute(
                    db.update(TestSession)
                    .where(TestSession.id == session_id)
                    .values(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=75))
                )
                db.session.commit()
            self.begun.add(session_id)

        @precondition(lambda self: self.booked())
        @rule(pick=PICK)
        def start(self, pick: tuple[int, bool]) -> None:
            c = self._candidate(pick, lambda c: c.session_id in self.begun and not c.attempt_id)
            status, body = self._call(c, "POST", "/api/v1/me/attempt")
            code = body.get("error", {}).get("code")
            if c.session_id is None:
                assert (status, code) == (409, "no_booking")
                return
            if c.session_id not in self.begun:
                assert (status, code) == (409, "session_not_started")
                return
            assert status == 200, body
            deadline = datetime.fromisoformat(body["deadline"])
            if c.attempt_id is None:
                c.attempt_id, c.deadline = body["attempt_id"], deadline
            assert body["attempt_id"] == c.attempt_id
            assert deadline == c.deadline  # the server's clock, fixed at start
            assert body["status"] == ("finished" if c.finished else "in_progress")

        @precondition(lambda self: any(c.attempt_id and not c.finished for c in self.candidates))
        @rule(pick=PICK, writes=st.lists(WRITE, min_size=1, max_size=4))
        def answer(self, pick: tuple[int, bool], writes: list[tuple[int, str, bool]]) -> None:
            """A burst of saves, as a candidate going from question to question."""
            c = self._candidate(pick, lambda c: c.attempt_id and not c.finished)
            for position, choice, newer in writes:
                self._save(c, position, choice, newer)

        def _save(self, c: Candidate, position: int, choice: str, newer: bool) -> None:
            """`newer`: the next seq for the position; else its last one again (a retry)."""
            stored = c.answers.get(position)
            seq = (stored[0] + 1 if newer else stored[0]) if stored else 1
            status, body = self._call(
                c,
                "PUT",
                f"/api/v1/me/attempt/answers/{position}",
                json={"choice": choice, "seq": seq},
            )
            code = body.get("error", {}).get("code")
            if c.attempt_id is None:
                assert (status, code) == (404, "no_attempt")
            elif c.finished:
                assert (status, code) == (409, "attempt_finished")
            elif c.timed_out and stored and not newer and not c.redis_knows:
                # Redis, unaware, answers a re-sent seq with the stored answer: no write.
                assert status == 200, body
                assert (body["seq"], body["choice"]) == stored
            elif c.timed_out:
                assert (status, code) == (409, "time_over")
            elif stored and not newer:
                # The same seq again: the stored answer stands, whatever was sent.
                assert status == 200, body
                assert (body["seq"], body["choice"]) == stored
            else:
                assert status == 200, body
                assert (body["seq"], body["choice"]) == (seq, choice)
                c.answers[position] = (seq, choice)

        @precondition(lambda self: any(c.attempt_id and not c.finished for c in self.candidates))
        @rule(pick=PICK)
        def submit(self, pick: tuple[int, bool]) -> None:
            c = self._candidate(pick, lambda c: c.attempt_id and not c.finished)
            status, body = self._call(c, "POST", "/api/v1/me/attempt/submit")
            if c.attempt_id is None:
                assert (status, body["error"]["code"]) == (404, "no_attempt")
                return
            assert status == 200, body
            assert body["status"] == "finished"
            if c.receipt is not None:
                assert body["receipt"] == c.receipt  # repeated: the same, graded once
            expected = "time_over" if c.timed_out else "submitted"
            assert body["receipt"]["finish_reason"] == (
                c.receipt["finish_reason"] if c.receipt else expected
            )
            c.finished, c.receipt = True, body["receipt"]

        @precondition(lambda self: self.running())
        @rule(pick=PICK, tell_redis=st.booleans())
        def time_runs_out(self, pick: tuple[int, bool], tell_redis: bool) -> None:
            """Move the attempt's whole history back past its deadline + grace; Redis
            learns the new deadline, or not (then the database's gate refuses alone)."""
            running = self.running()
            c = running[pick[0] % len(running)]
            with app.app_context():
                attempt = db.session.get_one(Attempt, c.attempt_id)
                assert attempt.deadline is not None
                shift = attempt.deadline - utcnow() + grace + timedelta(seconds=1)
                attempt.deadline -= shift
                attempt.started_at = attempt.started_at and attempt.started_at - shift
                attempt.last_saved_at = attempt.last_saved_at and attempt.last_saved_at - shift
                for answer in db.session.scalars(
                    db.select(Answer).where(Answer.attempt_id == c.attempt_id)
                ):
                    answer.saved_at -= shift
                db.session.commit()
                c.deadline = db.session.get_one(Attempt, c.attempt_id).deadline
                if tell_redis:
                    service.rebuild_live_state(c.attempt_id)
            c.timed_out, c.redis_knows = True, tell_redis

        @precondition(lambda self: any(c.attempt_id and not c.finished for c in self.candidates))
        @rule()
        def worker_ticks(self) -> None:
            """One round of the finishing worker (it sweeps the database on its first)."""
            Worker(app).tick()
            for c in self.candidates:
                if c.timed_out and not c.finished:
                    c.finished = True

        # --- the invariants, after every step ---------------------------------------------

        @invariant()
        def one_booking_forever(self) -> None:
            with app.app_context():
                bookings = db.session.execute(
                    db.select(Booking.application_id, Booking.session_id)
                ).all()
            held = {c.application_id: c.session_id for c in self.candidates if c.session_id}
            assert dict(bookings) == held
            assert len(bookings) == len(held)

        @invariant()
        def no_session_over_capacity(self) -> None:
            with app.app_context():
                for session in db.session.scalars(db.select(TestSession)):
                    count = db.session.scalar(
                        db.select(func.count()).where(Booking.session_id == session.id)
                    )
                    assert session.booked == count <= session.capacity

        @invariant()
        def answers_are_the_acknowledged_ones_in_time(self) -> None:
            with app.app_context():
                rows = db.session.execute(
                    db.select(Answer, Attempt.deadline).join(
                        Attempt, Attempt.id == Answer.attempt_id
                    )
                ).all()
            stored: dict[int, dict[int, tuple[int, str | None]]] = {}
            for answer, deadline in rows:
                assert answer.saved_at <= deadline + grace
                stored.setdefault(answer.attempt_id, {})[answer.position] = (
                    answer.seq,
                    answer.choice,
                )
            expected = {c.attempt_id: c.answers for c in self.candidates if c.answers}
            assert stored == expected

        @invariant()
        def finished_attempts_graded_once(self) -> None:
            with app.app_context():
                attempts = {a.id: a for a in db.session.scalars(db.select(Attempt))}
                for c in self.candidates:
                    if c.attempt_id is None:
                        continue
                    attempt = attempts[c.attempt_id]
                    assert attempt.deadline == c.deadline
                    if c.finished:
                        assert attempt.status == AttemptStatus.FINISHED
                        assert attempt.grading_version == 1
                        assert attempt.score is not None
                    else:
                        assert attempt.status == AttemptStatus.IN_PROGRESS
                        assert attempt.grading_version == 0

    return Lifecycle


@pytest.mark.slow
def test_candidate_lifecycle_keeps_the_invariants(app):
    run_state_machine_as_test(
        lifecycle_machine(app),
        settings=settings(
            max_examples=10,
            stateful_step_count=50,
            deadline=None,
            database=None,  # no example database left in the work tree
            # Preconditions choose which steps can run from each state: many drawn steps
            # are discarded by design, and how many depends on the draw.
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
