"""The service on a Redis Cluster (`REDIS_URL=redis+cluster://...`): the exam's core path,
the login cache, the rate limiter, the practice test and the finishing worker.

The module starts its own cluster of three masters (redis-server in cluster mode on free
127.0.0.1 ports, joined by `redis-cli --cluster create`) and removes it afterwards. The
app's Redis client and limiter are process-wide, so each test points them at the
cluster and back at the suite's Redis when it is done (`on_cluster`)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from redis.cluster import RedisCluster

from exam_service import create_app
from exam_service.accounts import auth
from exam_service.accounts.models import Role
from exam_service.core.extensions import db, redis_store
from exam_service.exam import live
from exam_service.exam import worker as exam_worker
from exam_service.exam.models import Attempt, AttemptStatus
from exam_service.practice import store
from loadtest.redis_cluster import LocalCluster
from tests.support.practice import add_practice_bank, practice_keys

pytestmark = pytest.mark.skipif(
    not (shutil.which("redis-server") and shutil.which("redis-cli")),
    reason="needs redis-server and redis-cli (Debian's redis-server package) to start a cluster",
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    with LocalCluster.start(Path(tmp_path_factory.mktemp("redis-cluster"))) as started:
        yield started


@pytest.fixture
def on_cluster(app: Flask, test_config: dict, cluster: LocalCluster) -> Iterator[RedisCluster]:
    """The service's Redis (client, quick client, limiter) on the cluster for one test;
    yields the cluster client, empties the cluster afterwards and rebinds the suite's."""
    single = redis_store.url
    fresh = create_app({**test_config, "REDIS_URL": cluster.url})
    client = redis_store.client
    assert isinstance(client, RedisCluster)
    try:
        yield client
    finally:
        client.flushdb()
        for made in (fresh, create_app({**test_config, "REDIS_URL": single})):
            with made.app_context():
                db.engine.dispose()


def answer(client, position: int, choice: str | None, seq: int):
    return client.put(f"/api/v1/me/attempt/answers/{position}", json={"choice": choice, "seq": seq})


def test_the_cluster_url_gives_the_cluster_client(on_cluster, cluster):
    assert redis_store.limiter_storage_uri() == cluster.url  # the form `limits` reads
    assert isinstance(redis_store.quick_client, RedisCluster)
    assert {node.port for node in on_cluster.get_primaries()} == set(cluster.ports)


def test_an_attempt_from_start_to_grade(app, on_cluster, exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity())
    client = login(booked.user)
    started = client.post("/api/v1/me/attempt")
    assert started.status_code == 200, started.json
    attempt_id = started.json["attempt_id"]
    for position in range(1, 6):
        assert answer(client, position, "A", 2).json["saved"] is True
    stale = answer(client, 1, "D", 1)  # an older write arriving late
    assert (stale.json["choice"], stale.json["seq"]) == ("A", 2)
    assert answer(client, 2, "B", 3).json["choice"] == "B"
    # The attempt's live keys sit in one slot; its deadline waits in the schedule.
    slot = on_cluster.keyslot(live.state_key(attempt_id))
    assert on_cluster.keyslot(live.answers_key(attempt_id)) == slot
    assert on_cluster.hget(live.answers_key(attempt_id), "2") == "3:B"
    assert on_cluster.zscore(live.DEADLINES_KEY, str(attempt_id)) is not None

    submitted = client.post("/api/v1/me/attempt/submit")
    assert submitted.json["receipt"]["finish_reason"] == "submitted"
    assert answer(client, 3, "C", 4).json["error"]["code"] == "attempt_finished"
    assert on_cluster.zscore(live.DEADLINES_KEY, str(attempt_id)) is None
    with app.app_context():
        attempt = db.session.get_one(Attempt, attempt_id)
        assert (attempt.status, attempt.grading_version) == (AttemptStatus.FINISHED, 1)


def test_live_state_is_rebuilt_and_checked_across_slots(
    app, on_cluster, exam_activity, book_candidate, login
):
    activity_id = exam_activity()
    attempts = {}
    for _ in range(3):
        client = login(book_candidate(activity_id).user)
        attempts[client.post("/api/v1/me/attempt").json["attempt_id"]] = client
    assert len({on_cluster.keyslot(live.state_key(i)) for i in attempts}) > 1
    on_cluster.flushdb()  # every node: the next request rebuilds each attempt's copy
    for client in attempts.values():
        assert answer(client, 1, "C", 1).json["saved"] is True
    with app.app_context():
        deadlines = {
            attempt.id: live.to_ms(attempt.deadline)
            for attempt in db.session.scalars(db.select(Attempt).where(Attempt.id.in_(attempts)))
        }
        assert live.drifted(deadlines) == []  # a pipeline over several nodes
        moved = next(iter(deadlines))
        deadlines[moved] += 60_000
        assert live.drifted(deadlines) == [moved]


def test_the_worker_claims_due_attempts_from_the_cluster(
    app, on_cluster, exam_activity, book_candidate, login, monkeypatch
):
    app.config["ANSWER_GRACE_SECONDS"] = 0
    try:
        booked = book_candidate(exam_activity(duration_seconds=1))
        client = login(booked.user)
        attempt_id = client.post("/api/v1/me/attempt").json["attempt_id"]
        answer(client, 1, "A", 1)
        # Only the Redis schedule may find it: the database sweep finds nothing here.
        monkeypatch.setattr(exam_worker.service, "overdue_attempt_ids", lambda _now: [])
        worker = exam_worker.FinishingWorker(app, prepare_every_seconds=3600)
        ends = time.monotonic() + 10
        with app.app_context():
            finished = 0
            while not finished and time.monotonic() < ends:
                time.sleep(0.2)
                finished = worker.tick()
            attempt = db.session.get_one(Attempt, attempt_id)
            assert (finished, attempt.finish_reason, attempt.grading_version) == (1, "time_over", 1)
        assert on_cluster.get(live.EPOCH_KEY)  # the schedule was rebuilt on the cluster
        assert on_cluster.zscore(live.DEADLINES_KEY, str(attempt_id)) is None
        assert on_cluster.hget(live.state_key(attempt_id), "status") == "finished"
    finally:
        app.config["ANSWER_GRACE_SECONDS"] = 5


def test_the_login_cache_and_its_invalidation(on_cluster, make_user, login):
    user = make_user()
    client = login(user)
    assert client.get("/api/v1/me").status_code == 200
    assert len(on_cluster.hgetall(auth._logins_key(user.id))) == 1  # cached by the Lua script
    assert client.get("/api/v1/me").status_code == 200  # served from the cache
    generation = int(on_cluster.get(auth._generation_key(user.id)) or 0)
    assert client.logout().status_code == 200  # the transaction pipeline of forget_logins
    assert on_cluster.hgetall(auth._logins_key(user.id)) == {}
    assert int(on_cluster.get(auth._generation_key(user.id))) == generation + 1
    assert client.get("/api/v1/me").status_code == 401


def test_the_rate_limiter_counts_on_the_cluster(app, on_cluster, make_user, client):
    user = make_user()
    app.config["LOGIN_RATE_LIMIT"] = "2 per 10 seconds"
    try:
        codes = [client.login(user.email, "salah-sandi-sekali").status_code for _ in range(3)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10 per 15 minutes"
    assert codes == [401, 401, 429]
    assert on_cluster.keys("LIMITS*")  # the counters live in the cluster


def test_a_practice_test_on_the_cluster(app, on_cluster, make_user, login):
    with app.app_context():
        add_practice_bank()
        db.session.commit()
    user = make_user(Role.CANDIDATE)
    client = login(user)
    assert client.post("/api/v1/me/practice").status_code == 200
    with app.app_context():
        keys = practice_keys(user.id)  # the transaction pipeline of store.load
    saved = client.put("/api/v1/me/practice/answers/1", json={"choice": keys[1], "seq": 1})
    assert saved.json["saved"] is True
    finished = client.post("/api/v1/me/practice/submit")
    assert finished.status_code == 200, finished.json
    with app.app_context():
        assert store.load(user.id).status == "finished"
