"""Races against a real multi-worker server and real finishing-worker processes."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam.models import Answer, Attempt, AttemptStatus, FinishReason
from exam_service.scheduling.models import TestSession
from tests.support.accounts import PASSWORD
from tests.support.faults import wait_until
from tests.support.live import start_finishing_workers, stop_process

pytestmark = pytest.mark.slow


# Upper bound on waiting for the worker to finish attempts; the wait ends when they are.
FINISH_WAIT_SECONDS = 90.0
# How long after an attempt is due (deadline + grace) the worker may grade it, in the
# service's clock (graded_at), with the worker polling every 0.2 s.
WORKER_LAG_SECONDS = 2.0


def test_twenty_parallel_submits_grade_once(app, live_server, exam_activity, book_candidate):
    booked = book_candidate(exam_activity())
    http = live_server.login(booked.email, PASSWORD)
    attempt_id = http.post(f"{live_server.url}/api/v1/me/attempt", timeout=30).json()["attempt_id"]
    http.put(
        f"{live_server.url}/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 1}, timeout=30
    )
    barrier = threading.Barrier(20)

    def submit(_: int):
        barrier.wait()
        return http.post(f"{live_server.url}/api/v1/me/attempt/submit", timeout=30)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(submit, range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    receipts = {r.json()["receipt"]["answers_hash"] for r in responses}
    assert len(receipts) == 1
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.grading_version == 1
        assert attempt.finish_reason == FinishReason.SUBMITTED


def test_every_acknowledged_answer_is_stored_with_its_last_seq(
    app, live_server, exam_activity, book_candidate
):
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    candidates = [first] + [
        book_candidate(activity_id, session_id=first.session_id) for _ in range(7)
    ]
    sessions = [live_server.login(c.email, PASSWORD) for c in candidates]
    attempts = [
        s.post(f"{live_server.url}/api/v1/me/attempt", timeout=30).json()["attempt_id"]
        for s in sessions
    ]
    acknowledged: dict[tuple[int, int], tuple[int, str]] = {}
    lock = threading.Lock()

    def answer_many(index: int) -> None:
        rng = random.Random(index)
        http, attempt_id = sessions[index], attempts[index]
        writes = [(p, seq, rng.choice("ABCD")) for p in range(1, 6) for seq in range(1, 5)]
        rng.shuffle(writes)  # out of order on purpose: older seqs arrive late
        for position, seq, choice in writes:
            response = http.put(
                f"{live_server.url}/api/v1/me/attempt/answers/{position}",
                json={"choice": choice, "seq": seq},
                timeout=30,
            )
            assert response.status_code == 200, response.text
            body = response.json()
            with lock:
                key = (attempt_id, position)
                if body["seq"] >= acknowledged.get(key, (0, ""))[0]:
                    acknowledged[key] = (body["seq"], body["choice"])

    with ThreadPoolExecutor(len(candidates)) as pool:
        list(pool.map(answer_many, range(len(candidates))))
    with app.app_context():
        stored = {
            (a.attempt_id, a.position): (a.seq, a.choice)
            for a in db.session.scalars(db.select(Answer))
        }
    assert stored == acknowledged
    assert all(seq == 4 for seq, _ in stored.values())


def graded_attempts(app, attempt_ids: list[int]) -> list[Attempt] | None:
    """The attempts once every one is finished and graded, else None."""
    with app.app_context():
        attempts = db.session.scalars(db.select(Attempt).where(Attempt.id.in_(attempt_ids))).all()
        db.session.expunge_all()
    done = [a for a in attempts if a.status == AttemptStatus.FINISHED and a.graded_at]
    return attempts if len(done) == len(attempt_ids) else None


def test_worker_finishes_a_short_exam_unattended(app, live_server, exam_activity, book_candidate):
    booked = book_candidate(exam_activity(duration_seconds=3))
    # The worker runs before the attempt starts: its start-up (11 s on a busy machine)
    # is not the lateness measured here.
    [worker] = start_finishing_workers(app)
    try:
        http = live_server.login(booked.email, PASSWORD)
        started = http.post(f"{live_server.url}/api/v1/me/attempt", timeout=30)
        attempt_id = started.json()["attempt_id"]
        http.put(
            f"{live_server.url}/api/v1/me/attempt/answers/1",
            json={"choice": "A", "seq": 1},
            timeout=30,
        )
        # Nobody submits: the worker must. The wait is only a bound; what is asserted
        # is read from the service's own clock below.
        [attempt] = wait_until(
            lambda: graded_attempts(app, [attempt_id]), FINISH_WAIT_SECONDS, "the worker"
        )
    finally:
        stop_process(worker)
    grace = app.config["ANSWER_GRACE_SECONDS"]
    assert attempt.finish_reason == FinishReason.TIME_OVER
    assert attempt.finished_at == attempt.deadline
    assert attempt.grading_version == 1
    assert attempt.score is not None
    # Due at deadline + grace; graded (the service's utcnow) within WORKER_LAG_SECONDS.
    late = (attempt.graded_at - attempt.deadline).total_seconds()
    assert grace <= late <= grace + WORKER_LAG_SECONDS, f"graded {late:.2f} s after the deadline"


def test_two_workers_racing_grade_each_attempt_once(
    app, live_server, exam_activity, book_candidate
):
    activity_id = exam_activity(duration_seconds=1)
    first = book_candidate(activity_id)
    candidates = [first] + [
        book_candidate(activity_id, session_id=first.session_id) for _ in range(11)
    ]
    attempt_ids = []
    for candidate in candidates:
        http = live_server.login(candidate.email, PASSWORD)
        started = http.post(f"{live_server.url}/api/v1/me/attempt", timeout=30)
        assert started.status_code == 200
        attempt_ids.append(started.json()["attempt_id"])
    # Started after the attempts, as the original race: several are due (deadline +
    # grace) at once, or soon, and both workers go for them.
    workers = start_finishing_workers(app, 2)
    try:
        attempts = wait_until(
            lambda: graded_attempts(app, attempt_ids), FINISH_WAIT_SECONDS, "the workers"
        )
        # Both were still running when every attempt was graded: neither crashed.
        assert [w.poll() for w in workers] == [None, None]
    finally:
        for worker in workers:
            stop_process(worker)
    assert [a.grading_version for a in attempts] == [1] * len(candidates)
    assert all(a.finished_at == a.deadline for a in attempts)
    with app.app_context():
        assert len(db.session.scalars(db.select(Attempt)).all()) == len(candidates)


def test_session_window_clips_the_deadline(app, exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity(duration_seconds=3600))
    client = login(booked.user)
    # A session whose window ends before the test's duration would (e.g. a room that
    # closes early): the deadline is the window's end, 5 minutes from now.
    ends_at = utcnow() + timedelta(minutes=5)
    with app.app_context():
        db.session.get_one(TestSession, booked.session_id).ends_at = ends_at
        db.session.commit()
    body = client.post("/api/v1/me/attempt").json
    assert datetime.fromisoformat(body["deadline"]) == ends_at
    assert body["remaining_seconds"] <= 300
