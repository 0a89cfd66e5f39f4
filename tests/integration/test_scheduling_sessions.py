"""Admins manage test sessions: create (in WIB or any zone), capacity, place, close,
delete; candidates of the activity see them with the seats left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from exam_service.accounts.models import Role
from exam_service.core.audit import AuditEvent
from exam_service.core.clock import WIB, utcnow
from exam_service.core.extensions import db
from exam_service.scheduling.models import TestSession
from tests.support.factories import build_booking
from tests.support.scheduling import booking_rows, session_row


@pytest.fixture
def office(make_office):
    return make_office()


@pytest.fixture
def activity_id(office, make_booking_activity) -> int:
    return make_booking_activity(office)


@pytest.fixture
def admin(office, make_user, login):
    return login(make_user(Role.ADMIN, office=office))


@pytest.fixture
def stranger(make_office, make_user, login):
    """An admin of another office."""
    return login(make_user(Role.ADMIN, office=make_office()))


def iso_z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_days(days: float) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(microsecond=0)


def create(client, activity_id: int, **body):
    body.setdefault("starts_at", in_days(3).astimezone(WIB).isoformat())
    body.setdefault("capacity", 40)
    return client.post(f"/api/v1/activities/{activity_id}/sessions", json=body)


def audit_actions(app) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(AuditEvent.action, AuditEvent.object_id).order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]


def book(client, session_id: int):
    return client.post("/api/v1/me/bookings", json={"session_id": session_id})


# --- creating ------------------------------------------------------------------------------


def test_admin_creates_a_session_entered_in_wib(app, admin, activity_id):
    starts = in_days(3).astimezone(WIB)

    response = create(admin, activity_id, starts_at=starts.isoformat(), capacity=50, place=" Aula ")

    assert response.status_code == 201, response.json
    body = response.json
    assert body["starts_at"] == iso_z(starts)
    # 60-minute test + 15 minutes of late entry.
    assert body["ends_at"] == iso_z(starts + timedelta(minutes=75))
    assert (body["capacity"], body["booked"], body["seats_left"]) == (50, 0, 50)
    assert body["place"] == "Aula"
    assert body["closed"] is False
    assert audit_actions(app) == [("session_created", body["id"])]


def test_the_late_entry_allowance_is_a_setting(app, admin, activity_id, monkeypatch):
    monkeypatch.setitem(app.config, "LATE_ENTRY_SECONDS", 300)
    starts = in_days(3)

    body = create(admin, activity_id, starts_at=starts.isoformat()).json

    assert body["ends_at"] == iso_z(starts + timedelta(minutes=65))


@pytest.mark.parametrize(
    ("starts_in", "message"),
    [
        pytest.param(-timedelta(minutes=1), "setelah saat ini", id="in the past"),
        pytest.param(timedelta(days=29, hours=23), "sebelum pengumuman", id="after results"),
    ],
)
def test_a_session_must_start_in_the_future_and_end_before_the_announcement(
    app, admin, activity_id, starts_in, message
):
    response = create(admin, activity_id, starts_at=(utcnow() + starts_in).isoformat())

    assert response.status_code == 422
    assert message in response.json["error"]["details"]["starts_at"]


def test_a_session_must_start_after_the_choice_opens(app, admin, office, make_booking_activity):
    now = utcnow()
    activity_id = make_booking_activity(
        office, booking_opens_at=now + timedelta(days=2), booking_closes_at=now + timedelta(days=5)
    )

    early = create(admin, activity_id, starts_at=in_days(1).isoformat())
    later = create(admin, activity_id, starts_at=in_days(3).isoformat())

    assert early.status_code == 422
    assert "starts_at" in early.json["error"]["details"]
    assert later.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"capacity": 0},
        {"capacity": 10_001},
        {"place": "x" * 201},
        {"starts_at": "2026-11-20T08:00:00"},  # no zone: ambiguous
    ],
)
def test_invalid_session_data_is_refused(app, admin, activity_id, body):
    response = create(admin, activity_id, **body)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_only_admins_of_the_office_create_sessions(
    app, stranger, activity_id, accepted_candidate, login
):
    assert create(stranger, activity_id).status_code == 404
    candidate = login(accepted_candidate(activity_id))
    assert create(candidate, activity_id).status_code == 403
    assert create(stranger, 999_999).status_code == 404


# --- listing -------------------------------------------------------------------------------


def test_candidates_of_the_activity_see_sessions_with_seats_left(
    app, admin, activity_id, accepted_candidates, make_session, login
):
    first, second = accepted_candidates(activity_id, 2)
    later = make_session(activity_id, capacity=2, starts_at=in_days(4))
    sooner = make_session(activity_id, capacity=3, starts_at=in_days(2), closed=True)
    assert book(login(first), later).status_code == 201

    items = login(second).get(f"/api/v1/activities/{activity_id}/sessions").json["items"]

    assert [(s["id"], s["seats_left"], s["closed"]) for s in items] == [
        (sooner, 3, True),
        (later, 1, False),
    ]
    assert items[1]["starts_at"].endswith("Z")
    assert admin.get(f"/api/v1/activities/{activity_id}/sessions").json["items"] == items


def test_sessions_are_hidden_from_everybody_else(
    app, stranger, activity_id, complete_candidate, make_user, make_session, login
):
    make_session(activity_id)
    path = f"/api/v1/activities/{activity_id}/sessions"

    assert stranger.get(path).status_code == 404
    assert login(complete_candidate()).get(path).status_code == 404  # never applied
    assert login(make_user(Role.AUTHOR)).get(path).status_code == 403


# --- capacity, place, closing ----------------------------------------------------------------


def patch(client, session_id: int, **body):
    return client.open("PATCH", f"/api/v1/admin/sessions/{session_id}", json=body)


def test_capacity_goes_up_or_down_but_never_below_the_seats_booked(
    app, admin, activity_id, accepted_candidates, make_session, login
):
    session_id = make_session(activity_id, capacity=5)
    for candidate in accepted_candidates(activity_id, 3):
        assert book(login(candidate), session_id).status_code == 201

    assert patch(admin, session_id, capacity=8).json["capacity"] == 8
    assert patch(admin, session_id, capacity=3).json["seats_left"] == 0

    refused = patch(admin, session_id, capacity=2, place="Ruang baru")

    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "capacity_below_booked"
    session = session_row(app, session_id)
    assert (session.capacity, session.booked, session.place) == (3, 3, "Aula BPS Kota Uji")
    assert len(booking_rows(app, session_id)) == 3
    assert [a for a, _ in audit_actions(app)] == ["session_updated", "session_updated"]


def test_the_database_refuses_overbooking_even_without_the_service(
    app, app_ctx, activity_id, make_session
):
    session_id = make_session(activity_id, capacity=1)

    with pytest.raises(IntegrityError):
        db.session.execute(
            db.update(TestSession).where(TestSession.id == session_id).values(booked=2)
        )
    db.session.rollback()
    assert session_row(app, session_id).booked == 0


def test_place_is_changed_or_removed(app, admin, activity_id, make_session):
    session_id = make_session(activity_id)

    assert patch(admin, session_id, place="Ruang 2").json["place"] == "Ruang 2"
    assert patch(admin, session_id, capacity=12).json["place"] == "Ruang 2"
    assert patch(admin, session_id, place=None).json["place"] is None


def test_a_closed_session_takes_no_booking_until_reopened(
    app, admin, activity_id, accepted_candidate, make_session, login
):
    session_id = make_session(activity_id)
    candidate = login(accepted_candidate(activity_id))

    assert patch(admin, session_id, closed=True).json["closed"] is True
    refused = book(candidate, session_id)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "session_unavailable"

    assert patch(admin, session_id, closed=False).json["closed"] is False
    assert book(candidate, session_id).status_code == 201


def test_closing_keeps_the_bookings(
    app, admin, activity_id, accepted_candidate, make_session, login
):
    session_id = make_session(activity_id)
    assert book(login(accepted_candidate(activity_id)), session_id).status_code == 201

    patch(admin, session_id, closed=True)

    assert len(booking_rows(app, session_id)) == 1
    assert session_row(app, session_id).booked == 1


# --- deleting --------------------------------------------------------------------------------


def delete(client, session_id: int):
    return client.delete(f"/api/v1/admin/sessions/{session_id}")


def test_an_empty_session_is_deleted(app, admin, activity_id, make_session):
    session_id = make_session(activity_id)

    response = delete(admin, session_id)

    assert response.status_code == 200
    assert session_row(app, session_id) is None
    assert audit_actions(app) == [("session_deleted", session_id)]
    assert delete(admin, session_id).status_code == 404


def test_a_session_with_bookings_is_never_deleted(
    app, admin, activity_id, accepted_candidate, make_session, login
):
    session_id = make_session(activity_id)
    assert book(login(accepted_candidate(activity_id)), session_id).status_code == 201

    response = delete(admin, session_id)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "session_has_bookings"
    assert session_row(app, session_id).booked == 1
    assert len(booking_rows(app, session_id)) == 1


def test_the_foreign_key_keeps_a_booking_the_counter_missed(
    app, admin, activity_id, accepted_candidate, make_session
):
    """Should the counter ever say 0 while a booking exists, the delete still fails."""
    session_id = make_session(activity_id)
    candidate = accepted_candidate(activity_id)
    with app.app_context():
        build_booking(candidate.application_id, session_id)
        db.session.commit()

    response = delete(admin, session_id)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "session_has_bookings"
    assert len(booking_rows(app, session_id)) == 1


def test_admins_of_another_office_change_nothing(app, stranger, activity_id, make_session):
    session_id = make_session(activity_id)

    assert patch(stranger, session_id, capacity=99, closed=True).status_code == 404
    assert delete(stranger, session_id).status_code == 404
    session = session_row(app, session_id)
    assert (session.capacity, session.closed_at) == (10, None)


def test_session_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert set(paths["/api/v1/activities/{activity_id}/sessions"]) == {"get", "post"}
    assert set(paths["/api/v1/admin/sessions/{session_id}"]) == {"patch", "delete"}
    assert set(paths["/api/v1/me/bookings"]) == {"get", "post"}
    conflict = paths["/api/v1/me/bookings"]["post"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"]["$ref"].endswith("AlreadyBookedOut")
