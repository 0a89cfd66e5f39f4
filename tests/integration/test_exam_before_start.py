"""What the test page knows before the start and after the end (GET /me/attempt/status).

The status must say "can start" exactly when POST /me/attempt starts: both read the
same window rule, and the table test below walks the service's clock across each
boundary of a session (start, late entry, end) and asks both at every instant. The
status also carries the deadline during the test (an extension moves it; a signal
tells the domains above) and the count of saved answers after the end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import render_template

from exam_service.accounts.models import Role
from exam_service.core.clock import WIB, as_utc, format_local
from exam_service.core.errors import Conflict
from exam_service.core.extensions import db, redis_store
from exam_service.exam import live, service, signals
from exam_service.exam.models import Attempt, AttemptStatus, Extension
from exam_service.recruitment.models import ApplicationStatus
from exam_service.scheduling.models import TestSession
from tests.integration.test_exam_no_key_leak import scan_text
from tests.support.factories import build_application, build_test_session
from tests.support.queries import statements_sent

STATUS = "/api/v1/me/attempt/status"


def status_of(client) -> dict:
    response = client.get(STATUS)
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/json"
    scan_text("status", response.get_data(as_text=True))  # nothing about keys, ever
    return response.json


def session_row(app, session_id: int) -> TestSession:
    with app.app_context():
        session = db.session.get_one(TestSession, session_id)
        db.session.expunge(session)
        return session


def iso(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value))


def same_moment(one: str, other: str) -> bool:
    """Redis keeps deadlines in whole milliseconds, the database in microseconds."""
    return abs(iso(one) - iso(other)) < timedelta(milliseconds=1)


# --- no booking: say so, and why ------------------------------------------------------------


def test_without_any_application(make_user, login):
    client = login(make_user())
    body = status_of(client)
    assert body["state"] == "no_booking"
    assert body["can_start"] is False
    assert body["session"] is None
    assert body["message"].startswith("Anda belum memiliki lamaran.")
    # The start refuses with the same code.
    refused = client.post("/api/v1/me/attempt")
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "no_booking")


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (ApplicationStatus.SUBMITTED, "Lamaran Anda masih dalam seleksi administrasi."),
        (ApplicationStatus.REJECTED, "Lamaran Anda tidak lolos seleksi administrasi."),
        (ApplicationStatus.ACCEPTED, "Silakan pilih sesi ujian Anda."),
    ],
)
def test_an_application_without_a_booking_says_why(
    app, exam_activity, make_user, login, status, why
):
    activity_id = exam_activity()
    user = make_user()
    with app.app_context():
        build_application(activity_id, user.id, status)
        build_test_session(activity_id)  # in an hour: open for booking
        db.session.commit()
    body = status_of(login(user))
    assert body["state"] == "no_booking"
    assert body["message"] == f"Anda belum memilih sesi ujian. {why}"
    assert body["can_start"] is False


# --- booked: before, during and after the window ----------------------------------------------


def test_a_session_later_today_counts_down_from_the_server_clock(
    app, exam_activity, book_candidate, login
):
    booked = book_candidate(exam_activity(), starts_in=timedelta(hours=2))
    session = session_row(app, booked.session_id)
    client = login(booked.user)
    body = status_of(client)
    assert body["state"] == "session_not_started"
    assert body["can_start"] is False
    assert body["message"] == "Sesi ujian Anda belum dimulai."
    shown = body["session"]
    assert shown["session_id"] == booked.session_id
    assert shown["activity_name"] == "Rekrutmen Mitra Uji"
    assert iso(shown["starts_at"]) == session.starts_at
    assert iso(shown["ends_at"]) == session.ends_at
    late = timedelta(seconds=app.config["LATE_ENTRY_SECONDS"])
    assert iso(shown["late_entry_closes_at"]) == session.starts_at + late
    assert shown["duration_seconds"] == 3600
    assert shown["place"] is None  # the page says "Akan diumumkan"
    # The page counts down with these two and never reads the phone's clock.
    to_start = iso(shown["starts_at"]) - iso(body["server_time"])
    assert timedelta(hours=1, minutes=59) < to_start <= timedelta(hours=2)
    assert (body["attempt_id"], body["deadline"], body["answered_count"]) == (None, None, None)
    refused = client.post("/api/v1/me/attempt")
    assert refused.json["error"]["code"] == "session_not_started"


def test_an_open_session_can_start_and_then_reports_the_deadline(
    app, exam_activity, book_candidate, login
):
    booked = book_candidate(exam_activity())
    client = login(booked.user)
    body = status_of(client)
    assert body["state"] == "open"
    assert body["can_start"] is True
    closes = format_local(iso(body["session"]["late_entry_closes_at"]), WIB)
    assert body["message"] == (
        f"Sesi ujian Anda sudah dimulai. Ujian dapat dimulai sampai {closes}."
    )

    started = client.post("/api/v1/me/attempt").json
    during = status_of(client)
    assert during["state"] == "in_progress"
    assert during["can_start"] is True  # a resume
    assert during["attempt_id"] == started["attempt_id"]
    assert same_moment(during["deadline"], started["deadline"])  # from Redis: see there
    assert 3590 <= during["remaining_seconds"] <= 3600
    # Light on purpose (asked every 30 s): no session, no counts.
    assert (during["session"], during["question_count"], during["answered_count"]) == (
        None,
        None,
        None,
    )


def test_late_entry_passed_and_session_over(app, exam_activity, book_candidate, login):
    activity_id = exam_activity()
    late_entry = app.config["LATE_ENTRY_SECONDS"]
    late = book_candidate(activity_id, starts_in=-timedelta(seconds=late_entry + 60))
    body = status_of(login(late.user))
    assert body["state"] == "late_entry_closed"
    assert body["can_start"] is False
    assert body["message"].startswith("Ujian hanya dapat dimulai sampai ")
    assert body["session"]["session_id"] == late.session_id

    over = book_candidate(activity_id, starts_in=-timedelta(hours=3))
    body = status_of(login(over.user))
    assert body["state"] == "session_over"
    assert body["message"] == "Waktu sesi ujian Anda sudah lewat."
    assert body["session"]["session_id"] == over.session_id


def _verdict(user_id: int, now: datetime) -> str:
    """What POST /me/attempt would do at `now`: 'open' or its refusal code (rolled back)."""
    try:
        with db.session.begin_nested():
            service.start(user_id, now)
            raise _RolledBack
    except Conflict as refusal:
        return refusal.code
    except _RolledBack:
        return "open"


class _RolledBack(Exception):
    pass


def test_the_status_agrees_with_the_start_at_every_boundary(app, exam_activity, book_candidate):
    """The service's clock walked across one session: each instant, the page's state is
    what a tap on "Mulai ujian" would get."""
    booked = book_candidate(exam_activity(), starts_in=timedelta(hours=1))
    session = session_row(app, booked.session_id)
    closes = session.starts_at + timedelta(seconds=app.config["LATE_ENTRY_SECONDS"])
    tick = timedelta(microseconds=1)
    expected = [
        (session.starts_at - timedelta(days=2), "session_not_started"),
        (session.starts_at - tick, "session_not_started"),
        (session.starts_at, "open"),
        (closes - tick, "open"),
        (closes, "late_entry_closed"),
        (session.ends_at - tick, "late_entry_closed"),
        (session.ends_at, "session_over"),
    ]
    with app.app_context():
        for now, state in expected:
            status = service.start_status(booked.user.id, now)
            assert (now, status.state) == (now, state)
            assert status.can_start is (state == "open")
            assert _verdict(booked.user.id, now) == state
            assert status.session is not None
            assert status.session.id == booked.session_id
        db.session.rollback()


# --- after the end: the count survives a reload ---------------------------------------------


def test_finished_reports_the_saved_answers(app, exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity())
    client = login(booked.user)
    attempt_id = client.post("/api/v1/me/attempt").json["attempt_id"]
    for position, seq in [(1, 1), (3, 2)]:
        saved = client.put(
            f"/api/v1/me/attempt/answers/{position}", json={"choice": "B", "seq": seq}
        )
        assert saved.status_code == 200
    # A cleared answer is not an answer.
    client.put("/api/v1/me/attempt/answers/4", json={"choice": "A", "seq": 3})
    client.put("/api/v1/me/attempt/answers/4", json={"choice": None, "seq": 4})
    assert client.post("/api/v1/me/attempt/submit").json["status"] == "finished"

    body = status_of(client)
    assert body["state"] == "finished"
    assert body["can_start"] is False
    assert body["attempt_id"] == attempt_id
    assert (body["answered_count"], body["question_count"]) == (2, 5)
    assert (body["deadline"], body["remaining_seconds"], body["session"]) == (None, 0, None)
    # Still finished once the session is over: the receipt is what is left to show.
    with app.app_context():
        session = db.session.get_one(TestSession, booked.session_id)
        later = session.ends_at + timedelta(days=1)
        assert service.start_status(booked.user.id, later).state == "finished"


# --- extra time: the deadline moves, and the domains above hear of it -------------------------


def test_an_extension_moves_the_polled_deadline_and_sends_a_signal(
    app, exam_activity, book_candidate, login, activity_admin
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    client = login(booked.user)
    started = client.post("/api/v1/me/attempt").json
    admin = login(activity_admin(activity_id))
    heard = []

    def receiver(attempt: Attempt, **kwargs) -> None:
        # Sent once the extension is recorded, inside the same transaction.
        recorded = db.session.scalars(
            db.select(Extension).where(Extension.attempt_id == attempt.id)
        ).all()
        heard.append((attempt.id, attempt.deadline, kwargs, [e.seconds for e in recorded]))

    with signals.time_extended.connected_to(receiver):
        response = admin.post(
            f"/api/v1/admin/attempts/{started['attempt_id']}/extensions",
            json={"seconds": 600, "reason": "Listrik padam di lokasi ujian"},
        )
        assert response.status_code == 201, response.json
        # Refused extensions (a finished attempt) announce nothing.
        client.post("/api/v1/me/attempt/submit")
        refused = admin.post(
            f"/api/v1/admin/attempts/{started['attempt_id']}/extensions",
            json={"seconds": 60, "reason": "Terlambat"},
        )
        assert refused.status_code == 409

    old_deadline = iso(started["deadline"])
    [(attempt_id, deadline, kwargs, recorded)] = heard
    assert attempt_id == started["attempt_id"]
    assert as_utc(deadline) == old_deadline + timedelta(seconds=600)
    assert kwargs == {"seconds": 600, "reason": "Listrik padam di lokasi ujian"}
    assert recorded == [600]


@pytest.mark.parametrize("answered", [False, True], ids=["from the database", "from redis"])
def test_the_polled_deadline_follows_an_extension(
    app, exam_activity, book_candidate, login, activity_admin, answered
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    client = login(booked.user)
    started = client.post("/api/v1/me/attempt").json
    if answered:  # the signed session names the attempt: the poll reads Redis's copy
        client.put("/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 1})
    before = status_of(client)
    assert same_moment(before["deadline"], started["deadline"])
    admin = login(activity_admin(activity_id))
    admin.post(
        f"/api/v1/admin/attempts/{started['attempt_id']}/extensions",
        json={"seconds": 300, "reason": "Gangguan jaringan"},
    )
    after = status_of(client)
    assert iso(after["deadline"]) - iso(before["deadline"]) == timedelta(seconds=300)
    assert after["remaining_seconds"] >= before["remaining_seconds"] + 290
    with app.app_context():
        attempt = db.session.get_one(Attempt, started["attempt_id"])
        assert attempt.status == AttemptStatus.IN_PROGRESS


# --- the poll of a test under way: from Redis ---------------------------------------------------


def test_the_poll_of_a_test_under_way_needs_no_database(app, exam_activity, book_candidate, login):
    """Once a save has named the attempt in the signed session, the 30-second poll is
    answered from Redis's copy, with what the database would have said."""
    booked = book_candidate(exam_activity())
    client = login(booked.user)
    started = client.post("/api/v1/me/attempt").json
    client.put("/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 1})

    with statements_sent(app) as statements:
        polled = status_of(client)
    from_database = status_of(login(booked.user))  # a new login: its session names nothing

    assert statements == []
    assert polled["state"] == from_database["state"] == "in_progress"
    assert polled["attempt_id"] == from_database["attempt_id"] == started["attempt_id"]
    assert from_database["deadline"] == started["deadline"]
    assert same_moment(polled["deadline"], started["deadline"])
    assert abs(polled["remaining_seconds"] - from_database["remaining_seconds"]) <= 1
    ignored = {"deadline", "remaining_seconds", "server_time"}
    assert {k: v for k, v in polled.items() if k not in ignored} == {
        k: v for k, v in from_database.items() if k not in ignored
    }


def test_the_poll_asks_the_database_when_redis_has_no_test_under_way(
    app, exam_activity, book_candidate, login
):
    booked = book_candidate(exam_activity())
    client = login(booked.user)
    started = client.post("/api/v1/me/attempt").json
    client.put("/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 1})
    with app.app_context():
        redis_store.client.delete(live.state_key(started["attempt_id"]))
    assert status_of(client)["state"] == "in_progress"

    client.post("/api/v1/me/attempt/submit")
    with statements_sent(app) as statements:
        finished = status_of(client)
    assert finished["state"] == "finished"
    assert statements  # Redis says "finished": the database tells the rest


# --- who may ask, and the page ------------------------------------------------------------------


def test_only_candidates_get_a_status(client, make_user, login):
    assert client.get(STATUS).status_code == 401
    assert login(make_user(Role.ADMIN)).get(STATUS).status_code == 403


def test_the_page_before_the_start_offers_no_enabled_start(exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity(), starts_in=timedelta(hours=2))
    page = login(booked.user).get("/ujian").get_data(as_text=True)
    assert 'data-api-base="/api/v1/me/attempt"' in page
    assert 'data-status-api="/api/v1/me/attempt/status"' in page
    # Disabled until the status (and so the server) says the session is open.
    assert '<button type="button" id="exam-start" disabled>' in page
    assert "Ujian latihan" not in page


def test_the_page_serves_a_practice_test(app):
    """Another test (a practice test) renders the same page on its own API."""
    with app.test_request_context("/latihan"):
        page = render_template("exam/test.html", api_base="/api/v1/me/practice", practice=True)
    assert 'data-api-base="/api/v1/me/practice"' in page
    assert 'data-status-api=""' in page
    assert '<button type="button" id="exam-start">' in page  # any time: enabled
    assert page.count("Ujian latihan") >= 2  # the title and the badge
