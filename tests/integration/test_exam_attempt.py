"""The attempt API: start, resume, answers with sequence numbers, submit, time over."""

from __future__ import annotations

import re
import time

import pytest

from exam_service.core.extensions import db, redis_store
from exam_service.exam.models import Answer, Attempt, AttemptStatus
from tests.support.accounts import PASSWORD


@pytest.fixture
def candidate(exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity())
    return booked, login(booked.user)


def answer(client, position, choice, seq):
    return client.put(f"/api/v1/me/attempt/answers/{position}", json={"choice": choice, "seq": seq})


def test_start_returns_the_form_without_keys(candidate):
    _, client = candidate
    response = client.post("/api/v1/me/attempt")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "in_progress"
    assert body["question_count"] == 5
    assert [q["position"] for q in body["questions"]] == [1, 2, 3, 4, 5]
    assert 3590 <= body["remaining_seconds"] <= 3600
    for question in body["questions"]:
        assert [o["key"] for o in question["options"]] == ["A", "B", "C", "D"]
        assert set(question) == {"position", "text", "image_url", "options"}
        assert all(set(o) == {"key", "text"} for o in question["options"])
    assert not re.search(r"points|keep_last|is_key|correct", response.get_data(as_text=True))


def test_start_is_idempotent_and_resumes_with_answers(candidate, make_client):
    booked, client = candidate
    first = client.post("/api/v1/me/attempt").json
    assert answer(client, 2, "C", 1).status_code == 200
    other_device = make_client()
    other_device.login(booked.email, PASSWORD)
    second = other_device.post("/api/v1/me/attempt").json
    assert second["attempt_id"] == first["attempt_id"]
    assert second["questions"] == first["questions"]
    assert second["deadline"] == first["deadline"]
    assert second["answers"] == {"2": "C"}


def test_answers_are_durable_and_ordered_by_seq(app, candidate):
    _, client = candidate
    attempt_id = client.post("/api/v1/me/attempt").json["attempt_id"]
    saved = answer(client, 1, "B", 5)
    assert saved.status_code == 200
    assert saved.json["saved"] is True
    assert saved.json["remaining_seconds"] > 3500
    # An older write arriving late changes nothing and reports the stored state.
    late = answer(client, 1, "D", 4)
    assert late.status_code == 200
    assert (late.json["choice"], late.json["seq"]) == ("B", 5)
    assert answer(client, 1, None, 6).json["choice"] is None  # cleared
    with app.app_context():
        stored = db.session.get(Answer, (attempt_id, 1))
        assert (stored.choice, stored.seq) == (None, 6)


@pytest.mark.parametrize(
    ("position", "choice"), [(0, "A"), (6, "A"), (1, "E"), (1, "a"), (1, "AB"), (999, "A")]
)
def test_bad_position_or_choice_is_422_and_writes_nothing(app, candidate, position, choice):
    _, client = candidate
    attempt_id = client.post("/api/v1/me/attempt").json["attempt_id"]
    response = answer(client, position, choice, 1)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(Answer).where(Answer.attempt_id == attempt_id)) is None


def test_submit_grades_and_gives_a_receipt(app, candidate):
    _, client = candidate
    client.post("/api/v1/me/attempt")
    for position in range(1, 6):
        answer(client, position, "A", 1)
    response = client.post("/api/v1/me/attempt/submit")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "finished"
    assert body["receipt"]["finish_reason"] == "submitted"
    assert len(body["receipt"]["answers_hash"]) == 64
    again = client.post("/api/v1/me/attempt/submit")
    assert again.json["receipt"] == body["receipt"]
    refused = answer(client, 1, "B", 2)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "attempt_finished"
    with app.app_context():
        attempt = db.session.get(Attempt, body["attempt_id"])
        assert attempt.grading_version == 1
        assert attempt.max_score is not None


def test_answer_after_deadline_and_grace_is_time_over(app, exam_activity, book_candidate, login):
    app.config["ANSWER_GRACE_SECONDS"] = 1
    try:
        booked = book_candidate(exam_activity(duration_seconds=2))
        client = login(booked.user)
        client.post("/api/v1/me/attempt")
        assert answer(client, 1, "A", 1).status_code == 200
        time.sleep(3.2)
        late = answer(client, 1, "B", 2)
        assert late.status_code == 409
        assert late.json["error"]["code"] == "time_over"
    finally:
        app.config["ANSWER_GRACE_SECONDS"] = 5


def test_redis_flush_mid_attempt_loses_nothing(app, candidate):
    _, client = candidate
    started = client.post("/api/v1/me/attempt").json
    answer(client, 1, "B", 3)
    answer(client, 4, "D", 1)
    redis_store.client.flushdb()  # the app's database only: other workers share the server
    # The next request rebuilds the live state from the database.
    stale = answer(client, 1, "C", 2)
    assert (stale.json["choice"], stale.json["seq"]) == ("B", 3)
    assert answer(client, 2, "A", 1).status_code == 200
    resumed = client.get("/api/v1/me/attempt").json
    assert resumed["deadline"] == started["deadline"]
    assert resumed["answers"] == {"1": "B", "2": "A", "4": "D"}


def test_start_outside_the_session_window(exam_activity, book_candidate, login):
    from datetime import timedelta

    booked = book_candidate(exam_activity(), starts_in=timedelta(hours=2))
    client = login(booked.user)
    response = client.post("/api/v1/me/attempt")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "session_not_started"


def test_candidate_without_booking(make_user, login):
    client = login(make_user())
    assert client.post("/api/v1/me/attempt").json["error"]["code"] == "no_booking"
    assert client.get("/api/v1/me/attempt").status_code == 404


def test_get_and_submit_need_a_candidate(client, make_user, login):
    from exam_service.accounts.models import Role

    assert client.get("/api/v1/me/attempt").status_code == 401
    admin = login(make_user(Role.AUTHOR))
    assert admin.get("/api/v1/me/attempt").status_code == 403


def test_submit_through_get_is_not_allowed(candidate):
    _, client = candidate
    assert client.get("/api/v1/me/attempt/submit").status_code == 405


def test_weighted_and_plain_items_are_graded(app, candidate):
    _, client = candidate
    attempt_id = client.post("/api/v1/me/attempt").json["attempt_id"]
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        # Answer each position with the option shown where the original option 0 went.
        keys = {item.position: "ABCD"[item.option_order.index(0)] for item in attempt.items}
    for position, key in keys.items():
        answer(client, position, key, 1)
    client.post("/api/v1/me/attempt/submit")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.FINISHED
        plain = attempt.category_scores["hitung"]
        assert plain["score"] == plain["max"] == "3"


def test_finished_test_shows_on_the_application_timeline(candidate):
    _, client = candidate
    client.post("/api/v1/me/attempt")
    before = client.get("/api/v1/me/applications").json
    client.post("/api/v1/me/attempt/submit")
    after = client.get("/api/v1/me/applications").json

    def test_step(body):
        (application,) = body["items"]
        return next(step for step in application["timeline"] if step["key"] == "test")

    assert test_step(before)["state"] == "pending"
    assert test_step(after)["state"] == "done"
    assert test_step(after)["at"] is not None


def test_time_based_sequence_numbers_fit(candidate):
    _, client = candidate
    client.post("/api/v1/me/attempt")
    big = 1_764_000_000_000_123  # a microsecond timestamp
    saved = answer(client, 3, "D", big)
    assert saved.status_code == 200
    assert saved.json["seq"] == big


def test_worker_draws_forms_ahead_so_starting_only_reads(app, exam_activity, book_candidate, login):
    from datetime import timedelta

    from exam_service.worker import Worker

    booked = book_candidate(exam_activity(), starts_in=timedelta(hours=3))
    Worker(app).tick()
    with app.app_context():
        attempt = db.session.scalar(
            db.select(Attempt).where(Attempt.booking_id == booked.booking_id)
        )
        assert attempt is not None
        assert attempt.status == AttemptStatus.READY
        assert len(attempt.items) == 5
        attempt_id = attempt.id
        drawn = [(i.position, i.question_version_id, i.option_order) for i in attempt.items]
        # The session opens: starting uses the frozen form as drawn.
        from exam_service.scheduling.models import TestSession

        session = db.session.get(TestSession, booked.session_id)
        session.starts_at -= timedelta(hours=3, minutes=1)
        session.ends_at -= timedelta(hours=3, minutes=1)
        db.session.commit()
    client = login(booked.user)
    started = client.post("/api/v1/me/attempt").json
    assert started["attempt_id"] == attempt_id
    with app.app_context():
        items = db.session.get(Attempt, attempt_id).items
        assert [(i.position, i.question_version_id, i.option_order) for i in items] == drawn
