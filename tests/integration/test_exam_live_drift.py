"""Redis behind the database: it may lag, it never refuses what the database allows.

An outside probe paused Redis while an admin extended a candidate's time: the
database moved the deadline, Redis kept the old one, and from the old deadline on
every save was refused `time_over` while the attempt was in progress. These tests
cause that drift for real (a paused Redis, or a lost write) and check that a save
is still accepted, that Redis's copy is repaired, and that a late start is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import redis

from exam_service.core.clock import utcnow
from exam_service.core.extensions import db, redis_store
from exam_service.exam import live
from exam_service.exam.models import Answer, Attempt, AttemptStatus
from exam_service.scheduling.models import TestSession
from exam_service.worker import Worker
from tests.support.faults import wait_until

GRACE_SECONDS = 1


@pytest.fixture
def short_grace(app):
    app.config["ANSWER_GRACE_SECONDS"] = GRACE_SECONDS
    yield GRACE_SECONDS
    app.config["ANSWER_GRACE_SECONDS"] = 5


@pytest.fixture
def office_admin(login, activity_admin):
    """A logged-in admin of the office that owns `activity_id`."""
    return lambda activity_id: login(activity_admin(activity_id))


def save(client, position: int, choice: str, seq: int):
    return client.put(f"/api/v1/me/attempt/answers/{position}", json={"choice": choice, "seq": seq})


def redis_deadline_ms(attempt_id: int) -> int:
    return int(redis_store.client.hget(live.state_key(attempt_id), "deadline_ms"))


def database_deadline(app, attempt_id: int) -> datetime:
    with app.app_context():
        deadline = db.session.get_one(Attempt, attempt_id).deadline
        assert deadline is not None
        return deadline


def redis_answers() -> bool:
    try:
        return bool(redis_store.client.ping())
    except redis.RedisError:
        return False


def wait_past(moment: datetime, what: str) -> None:
    """Wait on the service's own clock (never a guessed sleep) until `moment` has passed."""
    seconds = max(0.0, (moment - utcnow()).total_seconds()) + 30
    wait_until(lambda: utcnow() > moment, seconds, what)


def test_an_extension_written_while_redis_was_paused_is_honoured(
    app, short_grace, exam_activity, book_candidate, login, office_admin
):
    booked = book_candidate(exam_activity(duration_seconds=3))
    candidate = login(booked.user)
    started = candidate.post("/api/v1/me/attempt").json
    attempt_id = started["attempt_id"]
    old_deadline = database_deadline(app, attempt_id)
    admin = office_admin(booked.activity_id)

    # Redis stops answering for longer than its 1 s timeout while the extension is
    # committed: the database's deadline moves, Redis's copy misses the update.
    redis_store.client.execute_command("CLIENT", "PAUSE", 2500, "ALL")
    extended = admin.post(
        f"/api/v1/admin/attempts/{attempt_id}/extensions",
        json={"seconds": 120, "reason": "Listrik padam di ruang ujian"},
    )
    assert extended.status_code == 201, extended.json
    wait_until(redis_answers, 30, "Redis answers again")
    assert redis_deadline_ms(attempt_id) == live.to_ms(old_deadline), "Redis missed it"

    wait_past(old_deadline + timedelta(seconds=GRACE_SECONDS), "the old deadline + grace")
    late = save(candidate, 1, "A", 1)

    assert late.status_code == 200, late.json
    assert late.json["remaining_seconds"] > 60
    new_deadline = database_deadline(app, attempt_id)
    assert new_deadline == old_deadline + timedelta(seconds=120)
    assert redis_deadline_ms(attempt_id) == live.to_ms(new_deadline), "Redis was repaired"
    assert save(candidate, 2, "B", 1).status_code == 200
    assert candidate.get("/api/v1/me/attempt").json["answers"] == {"1": "A", "2": "B"}


def test_redis_saying_finished_is_confirmed_by_the_database(
    app, exam_activity, book_candidate, login
):
    booked = book_candidate(exam_activity())
    candidate = login(booked.user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    # A finish rolled back after Redis heard of it, or any other lie: Redis says finished.
    redis_store.client.hset(live.state_key(attempt_id), "status", "finished")

    assert save(candidate, 1, "C", 1).status_code == 200
    assert redis_store.client.hget(live.state_key(attempt_id), "status") == "in_progress"


def test_a_real_time_over_is_still_refused(app, short_grace, exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity(duration_seconds=2))
    candidate = login(booked.user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    deadline = database_deadline(app, attempt_id)
    wait_past(deadline + timedelta(seconds=GRACE_SECONDS), "deadline + grace")

    late = save(candidate, 1, "A", 1)

    assert late.status_code == 409
    assert late.json["error"]["code"] == "time_over"
    with app.app_context():
        assert db.session.scalars(db.select(Answer)).all() == []


def test_the_workers_sweep_repairs_a_deadline_redis_missed(
    app, exam_activity, book_candidate, login, office_admin
):
    booked = book_candidate(exam_activity())
    candidate = login(booked.user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    old_deadline_ms = redis_deadline_ms(attempt_id)
    admin = office_admin(booked.activity_id)
    extended = admin.post(
        f"/api/v1/admin/attempts/{attempt_id}/extensions",
        json={"seconds": 300, "reason": "Gangguan jaringan"},
    )
    assert extended.status_code == 201
    # The extension's Redis write is lost (a failover to a replica that had not got it).
    redis_store.client.hset(live.state_key(attempt_id), "deadline_ms", old_deadline_ms)
    redis_store.client.zadd(live.DEADLINES_KEY, {str(attempt_id): old_deadline_ms})

    Worker(app, sweep_seconds=0).tick()

    expected_ms = live.to_ms(database_deadline(app, attempt_id))
    assert expected_ms == old_deadline_ms + 300_000
    assert redis_deadline_ms(attempt_id) == expected_ms
    due_ms = redis_store.client.zscore(live.DEADLINES_KEY, str(attempt_id))
    assert due_ms == expected_ms + app.config["ANSWER_GRACE_SECONDS"] * 1000


def late_session(app, booked, started_ago: timedelta) -> None:
    """Move the candidate's session so that it started `started_ago`."""
    with app.app_context():
        session = db.session.get_one(TestSession, booked.session_id)
        length = session.ends_at - session.starts_at
        session.starts_at = utcnow() - started_ago
        session.ends_at = session.starts_at + length
        db.session.commit()


def test_a_first_start_after_late_entry_is_refused(app, exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity(duration_seconds=120))
    late_entry = app.config["LATE_ENTRY_SECONDS"]
    late_session(app, booked, timedelta(seconds=late_entry + 60))
    client = login(booked.user)

    response = client.post("/api/v1/me/attempt")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "late_entry_closed"
    assert "hanya dapat dimulai sampai" in response.json["error"]["message"]
    with app.app_context():
        statuses = db.session.scalars(db.select(Attempt.status)).all()
        assert AttemptStatus.IN_PROGRESS not in statuses


def test_a_start_inside_late_entry_and_its_resume_after_it_are_allowed(
    app, exam_activity, book_candidate, login
):
    booked = book_candidate(exam_activity(duration_seconds=3600))
    late_entry = app.config["LATE_ENTRY_SECONDS"]
    late_session(app, booked, timedelta(seconds=late_entry - 60))
    client = login(booked.user)
    started = client.post("/api/v1/me/attempt")
    assert started.status_code == 200, started.json
    # Late entry closes while the candidate is in the test: resuming still works.
    late_session(app, booked, timedelta(seconds=late_entry + 60))

    resumed = client.post("/api/v1/me/attempt")

    assert resumed.status_code == 200, resumed.json
    assert resumed.json["attempt_id"] == started.json["attempt_id"]
    assert resumed.json["deadline"] == started.json["deadline"]
