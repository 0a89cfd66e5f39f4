"""Sessions on the day: accommodation before the start, a whole-session extension, a
timed-out attempt reopened once, and the live monitor's data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exam_service.core.audit import AuditEvent
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db, redis_store
from exam_service.exam import live, service
from exam_service.exam.models import Attempt, AttemptStatus
from exam_service.notifications.models import Notice


@pytest.fixture
def session_admin(login, activity_admin):
    """A logged-in admin of the office that owns `activity_id`."""
    return lambda activity_id: login(activity_admin(activity_id))


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def time_out(app, attempt_id: int) -> None:
    """What the finishing worker does once the deadline and the grace have passed."""
    with app.app_context():
        attempt = db.session.get_one(Attempt, attempt_id)
        later = attempt.deadline + timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"] + 1)
        assert service.finish_if_due(attempt_id, now=later)
        db.session.commit()


# --- accommodation --------------------------------------------------------------------


def test_accommodation_is_added_to_the_deadline_at_the_start(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity(duration_seconds=3600)
    booked = book_candidate(activity_id)
    admin = session_admin(activity_id)
    response = admin.put(
        f"/api/v1/admin/bookings/{booked.booking_id}/accommodation",
        json={"minutes": 15, "reason": "Peserta tunanetra, memakai pembaca layar"},
    )
    assert response.status_code == 200, response.json
    assert response.json == {"booking_id": booked.booking_id, "minutes": 15}
    started = login(booked.user).post("/api/v1/me/attempt").json
    # The session ends 15 minutes after the test time: the accommodation reaches past it.
    assert 3600 + 900 - 5 <= started["remaining_seconds"] <= 3600 + 900
    with app.app_context():
        [event] = audit_events("set_accommodation")
        assert event.object_id == booked.booking_id
        assert event.details["seconds"] == 900
        assert event.details["reason"] == "Peserta tunanetra, memakai pembaca layar"
        state = redis_store.client.hget(live.state_key(started["attempt_id"]), "deadline_ms")
        attempt = db.session.get_one(Attempt, started["attempt_id"])
        assert int(state) == live.to_ms(attempt.deadline)
    [row] = admin.get(f"/api/v1/admin/sessions/{booked.session_id}/monitor").json["rows"]
    assert row["accommodation_seconds"] == 900


def test_accommodation_is_refused_once_the_test_has_started(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    started = login(booked.user).post("/api/v1/me/attempt").json
    admin = session_admin(activity_id)
    late = admin.put(
        f"/api/v1/admin/bookings/{booked.booking_id}/accommodation",
        json={"minutes": 10, "reason": "Terlambat diajukan"},
    )
    assert late.status_code == 409
    assert late.json["error"]["code"] == "attempt_already_started"
    no_reason = admin.put(
        f"/api/v1/admin/bookings/{booked.booking_id}/accommodation",
        json={"minutes": 10, "reason": "  "},
    )
    assert no_reason.status_code == 422
    with app.app_context():
        assert audit_events("set_accommodation") == []
        attempt = db.session.get_one(Attempt, started["attempt_id"])
        assert attempt.deadline.isoformat() == started["deadline"].replace("Z", "+00:00")


# --- whole-session extension ----------------------------------------------------------


def test_one_action_extends_every_attempt_in_progress_of_the_session(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    others = [book_candidate(activity_id, session_id=first.session_id) for _ in range(3)]
    waiting = book_candidate(activity_id, session_id=first.session_id)  # not started
    started = {}
    for booked in [first, *others]:
        body = login(booked.user).post("/api/v1/me/attempt").json
        started[body["attempt_id"]] = body
    finished_id = next(iter(started))
    login(first.user).post("/api/v1/me/attempt/submit")
    admin = session_admin(activity_id)
    response = admin.post(
        f"/api/v1/admin/sessions/{first.session_id}/extensions",
        json={"minutes": 10, "reason": "Listrik padam di ruang ujian"},
    )
    assert response.status_code == 201, response.json
    assert response.json == {
        "session_id": first.session_id,
        "extended_attempts": 3,
        "skipped_attempts": 0,
    }
    with app.app_context():
        for attempt_id, body in started.items():
            attempt = db.session.get_one(Attempt, attempt_id)
            before = body["deadline"].replace("Z", "+00:00")
            moved = attempt.deadline - attempt.deadline.fromisoformat(before)
            expected = timedelta(0) if attempt_id == finished_id else timedelta(minutes=10)
            assert moved == expected, attempt_id
            if attempt_id != finished_id:
                live_ms = redis_store.client.hget(live.state_key(attempt_id), "deadline_ms")
                assert int(live_ms) == live.to_ms(attempt.deadline)
        notices = db.session.scalars(
            db.select(Notice.user_id).where(Notice.kind == "time_extended")
        ).all()
        assert sorted(notices) == sorted(b.user.id for b in others)
        assert waiting.user.id not in notices
        assert len(audit_events("extend_attempt")) == 3
        [session_event] = audit_events("extend_session")
        assert session_event.object_id == first.session_id
        assert session_event.details["extended"] == 3
        assert session_event.details["reason"] == "Listrik padam di ruang ujian"


def test_session_extension_without_anyone_in_progress_is_refused(
    exam_activity, book_candidate, session_admin
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    response = session_admin(activity_id).post(
        f"/api/v1/admin/sessions/{booked.session_id}/extensions",
        json={"minutes": 10, "reason": "Listrik padam"},
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "no_attempt_in_progress"


# --- reopening ----------------------------------------------------------------------


def test_a_timed_out_attempt_is_reopened_once_with_its_answers(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity(duration_seconds=3600)
    booked = book_candidate(activity_id)
    candidate = login(booked.user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    candidate.put("/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 1})
    candidate.put("/api/v1/me/attempt/answers/2", json={"choice": "C", "seq": 1})
    time_out(app, attempt_id)
    with app.app_context():
        graded = db.session.get_one(Attempt, attempt_id).grading_version
    admin = session_admin(activity_id)
    response = admin.post(
        f"/api/v1/admin/attempts/{attempt_id}/reopen",
        json={"reason": "Ponsel peserta mati; berita acara no. 12"},
    )
    assert response.status_code == 200, response.json
    # The phone died right after the second answer: nearly the whole hour was unused.
    assert 3600 - 10 <= response.json["restored_seconds"] <= 3600
    with app.app_context():
        attempt = db.session.get_one(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.IN_PROGRESS
        assert attempt.finished_at is None
        remaining = (attempt.deadline - utcnow()).total_seconds()
        assert abs(remaining - response.json["restored_seconds"]) < 5
        # The finishing worker does not finish it before the new deadline...
        assert not service.finish_if_due(attempt_id, now=utcnow())
        db.session.commit()
        # ... and Redis holds the database's copy: in progress, due at the new deadline.
        state = redis_store.client.hgetall(live.state_key(attempt_id))
        assert state["status"] == "in_progress"
        assert int(state["deadline_ms"]) == live.to_ms(attempt.deadline)
        assert redis_store.client.zscore(live.DEADLINES_KEY, str(attempt_id)) is not None
        # Had that copy been lost, the worker's sweep would put it back.
        live.mark_finished(attempt_id)
        assert service.repair_live_deadlines() == 1
        assert redis_store.client.hget(live.state_key(attempt_id), "status") == "in_progress"
        [event] = audit_events("reopen_attempt")
        assert event.details["reason"] == "Ponsel peserta mati; berita acara no. 12"
        # The candidate is told, on the home page and by mail, how long and until when.
        [notice] = db.session.scalars(
            db.select(Notice).where(Notice.kind == "attempt_reopened")
        ).all()
        assert notice.user_id == booked.user.id
        assert "Jawaban Anda yang tersimpan tetap ada" in notice.body
        assert "/ujian" in notice.body
    # The candidate resumes with the answers kept, and goes on answering.
    resumed = candidate.post("/api/v1/me/attempt").json
    assert resumed["attempt_id"] == attempt_id
    assert resumed["answers"] == {"1": "A", "2": "C"}
    saved = candidate.put("/api/v1/me/attempt/answers/3", json={"choice": "B", "seq": 1})
    assert saved.status_code == 200, saved.json
    # Once only: neither while it runs again nor after its second timeout.
    again = admin.post(f"/api/v1/admin/attempts/{attempt_id}/reopen", json={"reason": "Lagi"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_reopened"
    time_out(app, attempt_id)
    with app.app_context():
        attempt = db.session.get_one(Attempt, attempt_id)
        assert attempt.grading_version == graded + 1, "graded again when it finished"
    again = admin.post(f"/api/v1/admin/attempts/{attempt_id}/reopen", json={"reason": "Lagi"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_reopened"
    [row] = admin.get(f"/api/v1/admin/sessions/{booked.session_id}/monitor").json["rows"]
    assert row["reopened"] is True
    assert row["can_reopen"] is False
    assert row["answered"] == 3


def test_a_submitted_attempt_cannot_be_reopened(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    candidate = login(booked.user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    candidate.post("/api/v1/me/attempt/submit")
    admin = session_admin(activity_id)
    response = admin.post(
        f"/api/v1/admin/attempts/{attempt_id}/reopen", json={"reason": "Ponsel mati"}
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "attempt_not_timed_out"
    with app.app_context():
        assert db.session.get_one(Attempt, attempt_id).status == AttemptStatus.FINISHED
        assert audit_events("reopen_attempt") == []


def test_unused_time_runs_from_the_last_sign_of_life(
    app, exam_activity, book_candidate, login, session_admin
):
    """A candidate active until the deadline has nothing to get back."""
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    candidate = login(booked.user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    with app.app_context():
        attempt = db.session.get_one(Attempt, attempt_id)
        service.record_integrity_event(
            booked.user.id, "offline", now=attempt.deadline - timedelta(seconds=20)
        )
        db.session.commit()
    time_out(app, attempt_id)
    response = session_admin(activity_id).post(
        f"/api/v1/admin/attempts/{attempt_id}/reopen", json={"reason": "Ponsel mati"}
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "no_unused_time"


# --- the monitor's data ---------------------------------------------------------------


def test_monitor_json_has_the_session_the_waiting_and_the_events(
    exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    book_candidate(activity_id, session_id=first.session_id)
    candidate = login(first.user)
    candidate.post("/api/v1/me/attempt")
    for kind in ["hidden", "visible", "hidden", "offline", "online", "hidden"]:
        candidate.post("/api/v1/me/attempt/events", json={"kind": kind})
    body = session_admin(activity_id).get(f"/api/v1/admin/sessions/{first.session_id}/monitor")
    assert body.status_code == 200
    data = body.json
    assert "place" in data["session"]
    assert data["session"]["starts_at"] < data["session"]["ends_at"]
    by_status = {row["status"]: row for row in data["rows"]}
    assert set(by_status) == {"in_progress", "not_started"}
    busy = by_status["in_progress"]
    assert busy["integrity_events"] == 6
    assert busy["event_counts"] == {"hidden": 3, "visible": 1, "offline": 1, "online": 1}
    assert [e["kind"] for e in busy["events"]][:2] == ["hidden", "visible"]
    assert all(e["at"] for e in busy["events"])
    assert by_status["not_started"]["attempt_id"] is None


def test_monitor_page_explains_the_events_and_lists_who_has_not_started(
    exam_activity, book_candidate, login, session_admin
):
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    book_candidate(activity_id, session_id=first.session_id)
    candidate = login(first.user)
    candidate.post("/api/v1/me/attempt")
    for kind in ["hidden", "visible", "hidden", "offline", "online", "hidden", "visible"]:
        candidate.post("/api/v1/me/attempt/events", json={"kind": kind})
    page = session_admin(activity_id).get(f"/admin/sesi/{first.session_id}/pantau")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "4 kejadian: layar ditinggalkan 3x, koneksi terputus 1x" in html
    assert html.count("kembali ke layar") == 2  # in the list of events with their times
    assert "Belum mulai (1)" in html
    assert "Sudah mulai (1)" in html
    assert "Tambah waktu untuk semua" in html
    assert "monitor.js" in html
