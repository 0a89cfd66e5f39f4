"""Admins watch sessions, extend one candidate's time, and rule on faulty items."""

from __future__ import annotations

import pytest

from exam_service.accounts.models import Role
from exam_service.core.audit import AuditEvent
from exam_service.core.extensions import db
from exam_service.exam.models import Attempt


@pytest.fixture
def session_admin(login, activity_admin):
    """A logged-in admin of the office that owns `activity_id`."""
    return lambda activity_id: login(activity_admin(activity_id))


def test_extension_moves_the_deadline_and_the_next_save_reports_it(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    candidate = login(booked.user)
    started = candidate.post("/api/v1/me/attempt").json
    admin = session_admin(activity_id)
    response = admin.post(
        f"/api/v1/admin/attempts/{started['attempt_id']}/extensions",
        json={"seconds": 600, "reason": "Listrik padam di lokasi ujian"},
    )
    assert response.status_code == 201, response.json
    saved = candidate.put("/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 1}).json
    assert saved["remaining_seconds"] >= started["remaining_seconds"] + 590
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "extend_attempt")
        )
        assert event.details == {"seconds": 600, "reason": "Listrik padam di lokasi ujian"}


def test_extension_needs_a_reason_and_the_own_office(
    exam_activity, book_candidate, login, session_admin, make_user, make_office
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    attempt_id = login(booked.user).post("/api/v1/me/attempt").json["attempt_id"]
    admin = session_admin(activity_id)
    no_reason = admin.post(
        f"/api/v1/admin/attempts/{attempt_id}/extensions", json={"seconds": 60, "reason": " "}
    )
    assert no_reason.status_code == 422
    stranger = login(make_user(Role.ADMIN, office=make_office()))
    other_office = stranger.post(
        f"/api/v1/admin/attempts/{attempt_id}/extensions", json={"seconds": 60, "reason": "x"}
    )
    assert other_office.status_code == 404


def test_monitor_shows_progress(exam_activity, book_candidate, login, session_admin):
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    book_candidate(activity_id, session_id=first.session_id)
    candidate = login(first.user)
    candidate.post("/api/v1/me/attempt")
    candidate.put("/api/v1/me/attempt/answers/2", json={"choice": "B", "seq": 1})
    candidate.post("/api/v1/me/attempt/events", json={"kind": "hidden"})
    admin = session_admin(activity_id)
    rows = admin.get(f"/api/v1/admin/sessions/{first.session_id}/monitor").json["rows"]
    by_status = {row["status"]: row for row in rows}
    assert set(by_status) == {"in_progress", "not_started"}
    assert by_status["in_progress"]["answered"] == 1
    assert by_status["in_progress"]["integrity_events"] == 1
    page = admin.get(f"/admin/sesi/{first.session_id}/pantau")
    assert page.status_code == 200
    assert "Mengerjakan" in page.get_data(as_text=True)


def test_faulty_item_regrades_affected_attempts(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    candidate = login(booked.user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    with app.app_context():
        item = db.session.get(Attempt, attempt_id).items[0]
        wrong_key = "ABCD"[item.option_order.index(1)]  # original option 1 is never the key
        version_id = item.question_version_id
    candidate.put("/api/v1/me/attempt/answers/1", json={"choice": wrong_key, "seq": 1})
    candidate.post("/api/v1/me/attempt/submit")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        before = (attempt.score, attempt.max_score)
    admin = session_admin(activity_id)
    response = admin.post(
        f"/api/v1/admin/activities/{activity_id}/item-rulings",
        json={"question_version_id": version_id, "rule": "full_credit", "reason": "Dua kunci"},
    )
    assert response.json == {"regraded_attempts": 1}
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.grading_version == 2
        assert attempt.score > before[0]
        assert attempt.max_score == before[1]
    dropped = admin.post(
        f"/api/v1/admin/activities/{activity_id}/item-rulings",
        json={"question_version_id": version_id, "rule": "drop", "reason": "Soal dibatalkan"},
    )
    assert dropped.status_code == 200
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.grading_version == 3
        assert attempt.score == before[0]
        assert attempt.max_score < before[1]


def test_candidates_cannot_use_admin_endpoints(exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity())
    candidate = login(booked.user)
    assert candidate.get(f"/api/v1/admin/sessions/{booked.session_id}/monitor").status_code == 403
