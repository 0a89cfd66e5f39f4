"""PostgreSQL faults: stopped and started, stopped in the middle of bookings, a locked
table, and slow or reset connections.

Each test has its own database on a private cluster (tests.support.faults) and its own
Redis and gunicorn; the machine's shared PostgreSQL is never touched. On the embedded
back end (SQLite) these tests are skipped. The promises: while the database is away the
service answers 503 `database_unavailable` quickly (never hangs until gunicorn's
timeout), it recovers by itself once the database is back, no acknowledged answer is
lost, capacity is never exceeded, and retrying is always safe.
"""

from __future__ import annotations

import ast
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import pytest

from exam_service.core.config import Config
from exam_service.core.extensions import db
from exam_service.exam.models import Attempt, AttemptStatus
from exam_service.scheduling.models import Booking, TestSession
from loadtest.server import ROOT
from tests.support.accounts import PASSWORD
from tests.support.faults import (
    Acknowledged,
    Sitting,
    lock_waiters,
    seed_exam,
    send_until_answered,
    start_sitting,
    table_locked,
    wait_until,
)

pytestmark = pytest.mark.slow

FAIL_FAST_SECONDS = 3.0
# Upper bound on waiting for the candidates' next answers (four of them answering in a
# loop); the wait ends when the answers are in. Busy machines answer slowly.
PROGRESS_SECONDS = 60
# Bookings in flight when the database stops (gunicorn has 8 threads for 12 candidates).
IN_TRANSACTION = 5


def answer_until(stop: threading.Event, sitting: Sitting, acked: Acknowledged, seed: int) -> list:
    rng = random.Random(seed)
    failures: list = []
    seq = 0
    while not stop.is_set() and seq < 2000:
        seq += 1
        send = partial(sitting.save, rng.randint(1, 5), rng.choice("ABCD"), seq)
        response, failed = send_until_answered(send, seconds=60)
        assert response.status_code == 200, response.text
        acked.record(sitting.attempt_id, response.json())
        failures += failed
    return failures


def servers_for(private_database, private_redis, fault_server, database_url=None):
    return fault_server(
        DATABASE_URL=database_url or private_database.url, REDIS_URL=private_redis.url()
    )


def test_statement_timeout_is_below_gunicorns_timeout(tmp_path):
    options = Config.from_env(tmp_path, {"DATABASE_URL": "postgresql://x/y"})
    connect = options.SQLALCHEMY_ENGINE_OPTIONS["connect_args"]
    statement_ms = int(connect["options"].split("statement_timeout=")[1].split()[0])
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    timeout = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "timeout"
    )
    default = ast.literal_eval(timeout.args[0].args[1])  # int(os.environ.get(..., "30"))
    assert 0 < statement_ms / 1000 < int(default)
    assert connect["connect_timeout"] < int(default)


def test_postgres_stopped_and_started_503_then_recovery(
    private_database, private_redis, fault_server
):
    seeded = seed_exam(private_database.app, 5)
    server = servers_for(private_database, private_redis, fault_server)
    *sittings, probe = [start_sitting(server, c.email) for c in seeded.candidates]
    acked, stop = Acknowledged(), threading.Event()
    with ThreadPoolExecutor(len(sittings)) as pool:
        runs = [pool.submit(answer_until, stop, s, acked, n) for n, s in enumerate(sittings)]
        wait_until(lambda: acked.count >= 30, PROGRESS_SECONDS, "answers before the fault")
        private_database.cluster.stop("immediate")  # a crash: recovery from the WAL

        began = time.monotonic()
        refused = probe.save(1, "A", 1)
        took = time.monotonic() - began
        ready = server.session().get(f"{server.url}/readyz", timeout=10)

        private_database.cluster.start()
        restarted_at = acked.count
        wait_until(
            lambda: acked.count >= restarted_at + 40, PROGRESS_SECONDS, "answers after the restart"
        )
        stop.set()
        failures = [f for run in runs for f in run.result()]

    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "database_unavailable"
    assert took < FAIL_FAST_SECONDS
    assert ready.status_code == 503
    assert failures, "no save met the stopped database: the fault was not exercised"
    assert set(failures) == {503}
    assert acked.missing_from(private_database.app) == {}
    for sitting in sittings:
        assert sitting.attempt().json()["deadline"] == sitting.deadline
    assert probe.save(1, "A", 1).status_code == 200
    assert server.session().get(f"{server.url}/readyz", timeout=10).status_code == 200


def test_postgres_stopped_in_the_middle_of_bookings_never_overbooks(
    private_database, private_redis, fault_server
):
    seeded = seed_exam(
        private_database.app, 12, booked=False, starts_in=timedelta(hours=2), capacity=5
    )
    server = servers_for(private_database, private_redis, fault_server)
    sessions = [server.login(c.email, PASSWORD) for c in seeded.candidates]
    book_url = f"{server.url}/api/v1/me/bookings"

    def book(http) -> tuple[int, str, list]:
        send = partial(http.post, book_url, json={"session_id": seeded.session_id}, timeout=30)
        response, failures = send_until_answered(send, seconds=60)
        return response.status_code, response.json().get("error", {}).get("code", ""), failures

    # SHARE mode lets the bookings read but not write: the first one takes its seat
    # (UPDATE test_sessions) and waits to insert its booking, the others wait for the
    # seat row. Then the database stops under them.
    with (
        table_locked(private_database.url, "bookings", "SHARE"),
        ThreadPoolExecutor(len(sessions)) as pool,
    ):
        results = [pool.submit(book, http) for http in sessions]
        wait_until(
            lambda: lock_waiters(private_database.url) >= IN_TRANSACTION,
            20,
            "bookings to wait inside their transactions",
        )
        private_database.cluster.stop("immediate")
        time.sleep(0.5)
        private_database.cluster.start()
        outcomes = [r.result() for r in results]

    assert sum(bool(failures) for _, _, failures in outcomes) >= IN_TRANSACTION
    assert sorted((status, code) for status, code, _ in outcomes) == sorted(
        [(201, "")] * 5 + [(409, "session_full")] * 7
    )
    with private_database.app.app_context():
        session = db.session.get_one(TestSession, seeded.session_id)
        bookings = db.session.scalars(db.select(Booking)).all()
        assert session.booked == len(bookings) == 5
        assert len({b.application_id for b in bookings}) == 5
    # Retrying is safe: the winners keep their one seat, the others stay out.
    for http, (status, _, _) in zip(sessions, outcomes, strict=True):
        again = http.post(book_url, json={"session_id": seeded.session_id}, timeout=30)
        assert again.json()["error"]["code"] == (
            "already_booked" if status == 201 else "session_full"
        )


def test_locked_table_ends_in_503_from_the_statement_timeout(
    private_database, private_redis, fault_server
):
    booked = seed_exam(private_database.app, 1).candidates[0]
    server = servers_for(private_database, private_redis, fault_server)
    sitting = start_sitting(server, booked.email)
    with table_locked(private_database.url, "answers"), ThreadPoolExecutor(1) as pool:
        began = time.monotonic()
        stuck = pool.submit(sitting.save, 1, "A", 1, wait=45)
        wait_until(lambda: lock_waiters(private_database.url) >= 1, 10, "the save to wait")
        # The other threads keep serving meanwhile.
        me = sitting.http.get(f"{server.url}/api/v1/me", timeout=5)
        response = stuck.result()
        took = time.monotonic() - began

    assert me.status_code == 200
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert 15 < took < 30, "ended by statement_timeout (20 s), before gunicorn's timeout (30 s)"
    assert sitting.save(1, "A", 1).status_code == 200


def test_postgres_connections_slow_and_reset_through_a_proxy(
    private_database, private_redis, fault_server, tcp_proxy
):
    proxy = tcp_proxy(private_database.cluster.port)
    proxied = private_database.url.replace(f":{private_database.cluster.port}/", f":{proxy.port}/")
    booked = seed_exam(private_database.app, 1).candidates[0]
    server = servers_for(private_database, private_redis, fault_server, database_url=proxied)
    sitting = start_sitting(server, booked.email)

    proxy.latency = 0.02
    began = time.monotonic()
    assert sitting.save(1, "A", 1).status_code == 200
    assert time.monotonic() - began < 5

    proxy.latency = 0.0
    assert proxy.reset() > 0  # idle pooled connections: pre-ping replaces them
    after_reset, failures = send_until_answered(partial(sitting.save, 2, "B", 2))
    assert after_reset.status_code == 200
    assert failures == []

    # Reset in the middle of a submit: all or nothing, and the retry converges.
    proxy.latency = 0.3  # a round trip takes 0.6 s: the reset lands mid-transaction
    with ThreadPoolExecutor(1) as pool:
        submitting = pool.submit(sitting.submit)
        time.sleep(2.5)
        proxy.reset()
        first = submitting.result()
    proxy.latency = 0.0
    assert first.status_code == 503
    with private_database.app.app_context():
        attempt = db.session.get_one(Attempt, sitting.attempt_id)
        assert (attempt.status, attempt.grading_version) == (AttemptStatus.IN_PROGRESS, 0)
    retried, _ = send_until_answered(sitting.submit)
    assert retried.status_code == 200
    receipt = retried.json()["receipt"]
    with private_database.app.app_context():
        attempt = db.session.get_one(Attempt, sitting.attempt_id)
        assert (attempt.status, attempt.grading_version) == (AttemptStatus.FINISHED, 1)
        assert attempt.answers_hash == receipt["answers_hash"]
    assert sitting.attempt().json()["receipt"] == receipt
