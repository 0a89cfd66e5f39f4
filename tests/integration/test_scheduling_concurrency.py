"""Invariants 1 and 2 under a storm: many bookings released at the same instant by a
barrier, against a real multi-worker gunicorn server and the tests' real database."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from exam_service.accounts.models import Role
from tests.support.scheduling import booking_rows, live_logins, session_row

pytestmark = pytest.mark.slow


def storm(url: str, requests_to_send: list[tuple[requests.Session, int]]) -> list:
    """POST every booking at once: each thread waits at the barrier, then fires."""
    barrier = threading.Barrier(len(requests_to_send))

    def fire(job: tuple[requests.Session, int]) -> requests.Response:
        http, session_id = job
        barrier.wait()
        return http.post(f"{url}/api/v1/me/bookings", json={"session_id": session_id}, timeout=60)

    with ThreadPoolExecutor(len(requests_to_send)) as pool:
        return list(pool.map(fire, requests_to_send))


def outcome(response: requests.Response) -> tuple[int, str | None]:
    body = response.json()
    return response.status_code, body.get("error", {}).get("code")


def test_two_hundred_candidates_for_fifty_seats_get_exactly_fifty(
    app,
    live_server,
    make_office,
    make_user,
    make_booking_activity,
    accepted_candidates,
    make_session,
):
    office = make_office()
    make_user(Role.ADMIN, office=office)
    activity_id = make_booking_activity(office)
    session_id = make_session(activity_id, capacity=50)
    candidates = accepted_candidates(activity_id, 200)
    sessions = live_logins(app, [c.user_id for c in candidates])

    responses = storm(live_server.url, [(http, session_id) for http in sessions])

    outcomes = Counter(outcome(r) for r in responses)
    assert outcomes == {(201, None): 50, (409, "session_full"): 150}
    winners = {r.json()["application_id"] for r in responses if r.status_code == 201}
    bookings = booking_rows(app, session_id)
    assert len(bookings) == 50
    assert {b.application_id for b in bookings} == winners
    assert session_row(app, session_id).booked == 50


def test_one_candidate_booking_twenty_sessions_at_once_gets_one(
    app, live_server, make_office, make_booking_activity, accepted_candidate, make_session
):
    activity_id = make_booking_activity(make_office())
    session_ids = [make_session(activity_id, capacity=5) for _ in range(20)]
    candidate = accepted_candidate(activity_id)
    (http,) = live_logins(app, [candidate.user_id])

    responses = storm(live_server.url, [(http, session_id) for session_id in session_ids])

    outcomes = Counter(outcome(r) for r in responses)
    assert outcomes == {(201, None): 1, (409, "already_booked"): 19}
    (won,) = [r.json() for r in responses if r.status_code == 201]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["booking"] == won
    (booking,) = booking_rows(app)
    assert booking.session_id == won["session_id"]
    booked = {session_id: session_row(app, session_id).booked for session_id in session_ids}
    assert booked == {s: int(s == won["session_id"]) for s in session_ids}
