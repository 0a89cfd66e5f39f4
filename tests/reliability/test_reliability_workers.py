"""Killed processes: gunicorn workers during saves and submits, a finishing worker in the
middle of finishing an attempt.

The suite's own database and Redis serve here (nothing is stopped); the processes killed
with SIGKILL are the tests' own. The promises: no acknowledged answer is lost, a submit
happens all or nothing (a retry converges to one grade), and every attempt is graded
exactly once however its worker dies.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import pytest
import requests

from exam_service.core.clock import utcnow
from exam_service.core.extensions import db, redis_store
from exam_service.exam import live, service
from exam_service.exam.models import Answer, Attempt, AttemptStatus, FinishReason
from tests.support.faults import (
    START_SECONDS,
    Acknowledged,
    is_postgres,
    lock_waiters,
    receipt_hash,
    seed_exam,
    send_until_answered,
    start_sitting,
    table_locked,
    wait_until,
)

pytestmark = pytest.mark.slow

KILLS_BEFORE_SUBMIT = 6
MAX_KILLS = 16


def stored_answers(app, attempt_id: int) -> dict[int, str | None]:
    with app.app_context():
        return {
            a.position: a.choice
            for a in db.session.scalars(db.select(Answer).where(Answer.attempt_id == attempt_id))
        }


def assert_graded_once(app, attempt_id: int, receipt: dict) -> None:
    """Finished, graded exactly once, over exactly the answers the database holds."""
    with app.app_context():
        attempt = db.session.get_one(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.FINISHED
        assert attempt.grading_version == 1
        assert attempt.score is not None
        assert attempt.answers_hash == receipt["answers_hash"]
    assert receipt["answers_hash"] == receipt_hash(attempt_id, stored_answers(app, attempt_id))


def test_gunicorn_workers_killed_during_saves_and_submits_lose_nothing(app, fault_server):
    seeded = seed_exam(app, 8)
    server = fault_server(workers=3)
    sittings = [start_sitting(server, c.email) for c in seeded.candidates]
    acked, kills, done = Acknowledged(), [], threading.Event()

    def sit(index: int) -> tuple[dict, list]:
        sitting, rng = sittings[index], random.Random(index)
        failures: list = []
        seq = 0
        while len(kills) < KILLS_BEFORE_SUBMIT and seq < 5000:
            seq += 1
            send = partial(sitting.save, rng.randint(1, 5), rng.choice("ABCD"), seq)
            saved, failed = send_until_answered(send, seconds=60)
            assert saved.status_code == 200, saved.text
            acked.record(sitting.attempt_id, saved.json())
            failures += failed
        submitted, failed = send_until_answered(sitting.submit, seconds=60)
        assert submitted.status_code == 200, submitted.text
        late, _ = send_until_answered(partial(sitting.save, 1, "A", seq + 1), seconds=60)
        assert late.json()["error"]["code"] == "attempt_finished"
        return submitted.json()["receipt"], failures + failed

    def kill_workers_now_and_then() -> None:
        rng = random.Random(0)
        while not done.is_set() and len(kills) < MAX_KILLS:
            time.sleep(0.4)
            workers = server.worker_pids()
            if workers:
                kills.extend(server.kill_workers([rng.choice(workers)]))

    with ThreadPoolExecutor(len(sittings) + 1) as pool:
        killer = pool.submit(kill_workers_now_and_then)
        runs = [pool.submit(sit, n) for n in range(len(sittings))]
        outcomes = [run.result() for run in runs]
        done.set()
        killer.result()

    assert len(kills) >= KILLS_BEFORE_SUBMIT
    assert any(failures for _, failures in outcomes), "no kill met a request in flight"
    assert acked.missing_from(app) == {}
    for sitting, (receipt, _) in zip(sittings, outcomes, strict=True):
        assert_graded_once(app, sitting.attempt_id, receipt)


def test_worker_killed_in_the_middle_of_a_submit_leaves_it_undone(app, fault_server):
    booked = seed_exam(app, 1).candidates[0]
    server = fault_server(workers=2)
    sitting = start_sitting(server, booked.email)
    for position in range(1, 6):
        assert sitting.save(position, "B", 1).status_code == 200
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    with table_locked(url, "answers"), ThreadPoolExecutor(1) as pool:
        submitting = pool.submit(sitting.submit)
        if is_postgres(url):
            # The attempt row is updated to finished (uncommitted) and grading waits to
            # read the answers.
            wait_until(lambda: lock_waiters(url) >= 1, 10, "the submit to wait mid-grading")
        else:
            time.sleep(1.0)  # SQLite: the submit waits for the write lock
        assert server.kill_workers()
        assert isinstance(submitting.exception(timeout=30), requests.ConnectionError)

    with app.app_context():
        attempt = db.session.get_one(Attempt, sitting.attempt_id)
        assert (attempt.status, attempt.grading_version) == (AttemptStatus.IN_PROGRESS, 0)
    retried, _ = send_until_answered(sitting.submit, seconds=30)
    assert retried.status_code == 200
    assert_graded_once(app, sitting.attempt_id, retried.json()["receipt"])
    assert stored_answers(app, sitting.attempt_id) == dict.fromkeys(range(1, 6), "B")


def test_finishing_worker_killed_mid_finishing_grades_every_attempt_once(app, finishing_workers):
    seeded = seed_exam(app, 6, duration_seconds=5)
    with app.app_context():
        # Started 30 s ago: every deadline has passed, grace included.
        for candidate in seeded.candidates:
            service.start(candidate.user_id, now=utcnow() - timedelta(seconds=30))
        db.session.commit()
        live.set_epoch("before-the-fault")  # the worker claims at once, no rebuild first
        attempt_ids = list(db.session.scalars(db.select(Attempt.id)))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    schedule = redis_store.client

    def all_claimed() -> bool:
        soon_ms = live.to_ms(utcnow()) + 10_000  # a claim pushes them one lease (30 s) ahead
        scores = [schedule.zscore(live.DEADLINES_KEY, str(i)) for i in attempt_ids]
        return all(score is not None and score > soon_ms for score in scores)

    with table_locked(url, "answers"):
        # The bounds below include the worker process's start-up (seconds on a busy machine).
        [doomed] = finishing_workers(1, seconds=START_SECONDS + 60)
        wait_until(all_claimed, START_SECONDS + 30, "the first worker to claim the due attempts")
        if is_postgres(url):
            wait_until(lambda: lock_waiters(url) >= 1, 10, "the worker to be mid-finishing")
        else:
            time.sleep(0.5)  # SQLite: it waits for the write lock to finish the first one
        doomed.kill()
        doomed.wait(timeout=10)

    # The claims are leased: its database sweep (on its first tick) finds them.
    finishing_workers(1, seconds=START_SECONDS + 30)

    def all_finished() -> bool:
        with app.app_context():
            statuses = db.session.scalars(db.select(Attempt.status)).all()
            return set(statuses) == {AttemptStatus.FINISHED}

    wait_until(
        all_finished, START_SECONDS + 20, "the second worker to finish every attempt", step=0.2
    )
    with app.app_context():
        for attempt in db.session.scalars(db.select(Attempt)):
            assert attempt.finish_reason == FinishReason.TIME_OVER
            assert attempt.finished_at == attempt.deadline
            assert attempt.grading_version == 1
            assert attempt.score is not None
            assert attempt.answers_hash == receipt_hash(attempt.id, {})
