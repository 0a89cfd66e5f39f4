"""Races against a real multi-worker server and real finishing-worker processes."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from exam_service.exam.models import Answer, Attempt, AttemptStatus, FinishReason
from exam_service.extensions import db
from tests.support.accounts import PASSWORD
from tests.support.live import ROOT, server_env

pytestmark = pytest.mark.slow


def run_workers(app, count: int, seconds: float) -> list[subprocess.Popen]:
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "exam_service",
        "worker",
        "--max-seconds",
        str(seconds),
        "--poll",
        "0.2",
    ]
    return [subprocess.Popen(command, cwd=ROOT, env=server_env(app)) for _ in range(count)]


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


def test_worker_finishes_a_short_exam_unattended(app, live_server, exam_activity, book_candidate):
    booked = book_candidate(exam_activity(duration_seconds=3))
    http = live_server.login(booked.email, PASSWORD)
    attempt_id = http.post(f"{live_server.url}/api/v1/me/attempt", timeout=30).json()["attempt_id"]
    http.put(
        f"{live_server.url}/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 1}, timeout=30
    )
    grace = app.config["ANSWER_GRACE_SECONDS"]
    workers = run_workers(app, 1, seconds=3 + grace + 6)
    with app.app_context():
        deadline = db.session.get(Attempt, attempt_id).deadline
    finished = None
    while time.time() < deadline.timestamp() + grace + 6:
        with app.app_context():
            attempt = db.session.get(Attempt, attempt_id)
            if attempt.status == AttemptStatus.FINISHED:
                finished = time.time()
                break
        time.sleep(0.2)
    for worker in workers:
        worker.wait(timeout=30)
    assert finished is not None, "the worker did not finish the attempt"
    assert finished - deadline.timestamp() <= grace + 2
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.finish_reason == FinishReason.TIME_OVER
        assert attempt.finished_at == attempt.deadline
        assert attempt.grading_version == 1
        assert attempt.score is not None


def test_two_workers_racing_grade_each_attempt_once(
    app, live_server, exam_activity, book_candidate
):
    activity_id = exam_activity(duration_seconds=1)
    first = book_candidate(activity_id)
    candidates = [first] + [
        book_candidate(activity_id, session_id=first.session_id) for _ in range(11)
    ]
    for candidate in candidates:
        http = live_server.login(candidate.email, PASSWORD)
        assert http.post(f"{live_server.url}/api/v1/me/attempt", timeout=30).status_code == 200
    grace = app.config["ANSWER_GRACE_SECONDS"]
    workers = run_workers(app, 2, seconds=1 + grace + 5)
    for worker in workers:
        worker.wait(timeout=60)
    with app.app_context():
        attempts = db.session.scalars(db.select(Attempt)).all()
        assert len(attempts) == len(candidates)
        assert all(a.status == AttemptStatus.FINISHED for a in attempts)
        assert [a.grading_version for a in attempts] == [1] * len(candidates)


def test_session_window_clips_the_deadline(app, exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity(duration_seconds=3600), starts_in=-timedelta(minutes=70))
    client = login(booked.user)
    body = client.post("/api/v1/me/attempt").json
    # The session (60 min + 15 min late entry) ends 5 minutes from now.
    assert 290 <= body["remaining_seconds"] <= 300
