"""The single, irreversible booking: once, inside the window, never changed or cancelled."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from exam_service.accounts.models import Office, Role, User
from exam_service.core.clock import utcnow
from exam_service.core.errors import Conflict
from exam_service.core.extensions import db
from exam_service.recruitment.models import ApplicationStatus
from exam_service.scheduling import service
from exam_service.scheduling.models import Booking, TestSession
from tests.support.factories import build_booking
from tests.support.mail import body_text, mails, only_mail
from tests.support.scheduling import booking_rows, session_row

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class OfficeSetup:
    office: Office
    admin: User
    activity_id: int


@pytest.fixture
def office_x(make_office, make_user, make_booking_activity) -> OfficeSetup:
    office = make_office()
    return OfficeSetup(office, make_user(Role.ADMIN, office=office), make_booking_activity(office))


def book(client, session_id: int):
    return client.post("/api/v1/me/bookings", json={"session_id": session_id})


# --- the one booking ------------------------------------------------------------------


def test_accepted_candidate_books_once_and_gets_a_mail_with_a_calendar(
    app, office_x, accepted_candidate, make_session, login, outbox
):
    candidate = accepted_candidate(office_x.activity_id)
    session_id = make_session(office_x.activity_id, capacity=3, place="Aula BPS Kota Uji")
    client = login(candidate)

    response = book(client, session_id)

    assert response.status_code == 201, response.json
    session = session_row(app, session_id)
    assert response.json["session_id"] == session_id
    assert response.json["application_id"] == candidate.application_id
    assert response.json["place"] == "Aula BPS Kota Uji"
    assert response.json["starts_at"] == session.starts_at.isoformat().replace("+00:00", "Z")
    assert session.booked == 1
    assert [b.application_id for b in booking_rows(app)] == [candidate.application_id]
    mine = client.get("/api/v1/me/bookings").json["items"]
    assert [b["id"] for b in mine] == [response.json["id"]]

    mail = only_mail(outbox)
    assert mail["To"] == candidate.email
    assert "tidak dapat diubah" in body_text(mail)
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "sesi-ujian.ics"
    assert attachment.get_content_type() == "text/calendar"
    event = Calendar.from_ical(attachment.get_content()).events[0]
    assert str(event["uid"]) == f"booking-{response.json['id']}@127.0.0.1"
    assert event.decoded("dtstart") == session.starts_at
    assert event.decoded("dtend") == session.ends_at
    assert event["dtstart"].to_ical().endswith(b"Z")  # UTC, not a floating local time
    assert str(event["location"]) == "Aula BPS Kota Uji"
    assert "Rekrutmen Mitra Statistik Uji" in str(event["summary"])


def test_a_second_booking_is_refused_with_the_booking_already_held(
    app, office_x, accepted_candidate, make_session, login, outbox
):
    candidate = accepted_candidate(office_x.activity_id)
    first, second = (make_session(office_x.activity_id) for _ in range(2))
    client = login(candidate)
    held = book(client, first).json

    for session_id in (second, first):
        response = book(client, session_id)

        assert response.status_code == 409
        assert response.json["error"]["code"] == "already_booked"
        assert response.json["booking"] == held
    assert session_row(app, first).booked == 1
    assert session_row(app, second).booked == 0
    assert len(booking_rows(app)) == 1
    assert len(mails(outbox)) == 1


def test_the_unique_constraint_decides_and_the_losing_seat_is_given_back(
    app, app_ctx, office_x, accepted_candidate, make_session
):
    """The path of a parallel request that passed every check and lost the insert:
    the savepoint's rollback must also undo its seat increment."""
    candidate = accepted_candidate(office_x.activity_id)
    held_in, other = (make_session(office_x.activity_id) for _ in range(2))
    build_booking(candidate.application_id, held_in)
    db.session.commit()

    with pytest.raises(Conflict) as refused:
        service._take_seat(candidate.application_id, other, utcnow())

    assert refused.value.code == "already_booked"
    assert refused.value.extra["booking"]["session_id"] == held_in
    db.session.commit()  # the outer transaction is still usable
    db.session.expire_all()
    assert db.session.get_one(TestSession, other).booked == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 1


# --- every way a booking is refused -----------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.PASSED,
        ApplicationStatus.NOT_PASSED,
    ],
)
def test_only_accepted_applications_may_book(
    app, office_x, accepted_candidate, make_session, login, status
):
    candidate = accepted_candidate(office_x.activity_id, status=status)
    session_id = make_session(office_x.activity_id)

    response = book(login(candidate), session_id)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "not_accepted"
    assert session_row(app, session_id).booked == 0


def test_a_candidate_without_an_application_may_not_book(
    app, office_x, complete_candidate, make_session, login
):
    session_id = make_session(office_x.activity_id)

    response = book(login(complete_candidate()), session_id)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "not_accepted"


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        pytest.param(timedelta(hours=1), timedelta(days=2), id="before the window"),
        pytest.param(-timedelta(days=2), -timedelta(seconds=1), id="after the window"),
    ],
)
def test_booking_outside_the_window_is_refused(
    app, make_office, make_booking_activity, accepted_candidate, make_session, login, opens, closes
):
    now = utcnow()
    activity_id = make_booking_activity(
        make_office(), booking_opens_at=now + opens, booking_closes_at=now + closes
    )
    session_id = make_session(activity_id)

    response = book(login(accepted_candidate(activity_id)), session_id)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "booking_closed"
    assert session_row(app, session_id).booked == 0


def test_a_closed_session_cannot_be_booked(app, office_x, accepted_candidate, make_session, login):
    session_id = make_session(office_x.activity_id, closed=True)

    response = book(login(accepted_candidate(office_x.activity_id)), session_id)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "session_unavailable"
    assert session_row(app, session_id).booked == 0


def test_a_session_that_has_started_cannot_be_booked(
    app, office_x, accepted_candidate, make_session, login
):
    session_id = make_session(office_x.activity_id, starts_at=utcnow() - timedelta(minutes=1))

    response = book(login(accepted_candidate(office_x.activity_id)), session_id)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "session_unavailable"


def test_a_session_of_another_activity_cannot_be_booked(
    app, office_x, make_office, make_booking_activity, accepted_candidate, make_session, login
):
    other_activity = make_booking_activity(make_office())
    session_id = make_session(other_activity)

    response = book(login(accepted_candidate(office_x.activity_id)), session_id)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "session_unavailable"
    assert session_row(app, session_id).booked == 0


def test_a_full_session_is_refused_and_nothing_is_written(
    app, office_x, accepted_candidates, make_session, login, outbox
):
    first, second = accepted_candidates(office_x.activity_id, 2)
    session_id = make_session(office_x.activity_id, capacity=1)
    assert book(login(first), session_id).status_code == 201

    response = book(login(second), session_id)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "session_full"
    assert session_row(app, session_id).booked == 1
    assert [b.application_id for b in booking_rows(app)] == [first.application_id]
    assert len(mails(outbox)) == 1


def test_an_unknown_session_is_not_found(app, office_x, accepted_candidate, login):
    response = book(login(accepted_candidate(office_x.activity_id)), 999_999)

    assert response.status_code == 404


def test_only_candidates_book(app, office_x, make_user, make_session, login, client):
    session_id = make_session(office_x.activity_id)

    assert book(login(office_x.admin), session_id).status_code == 403
    assert book(login(make_user(Role.AUTHOR)), session_id).status_code == 403
    client.csrf_token = client.get("/api/v1/auth/csrf").json["csrf_token"]
    assert book(client, session_id).status_code == 401  # anonymous
    assert session_row(app, session_id).booked == 0


def test_booking_needs_the_csrf_token(app, office_x, accepted_candidate, make_session, login):
    client = login(accepted_candidate(office_x.activity_id))
    session_id = make_session(office_x.activity_id)

    response = client.post(
        "/api/v1/me/bookings", json={"session_id": session_id}, headers={"X-CSRFToken": "x"}
    )

    assert response.status_code == 400
    assert session_row(app, session_id).booked == 0


def test_candidates_see_only_their_own_bookings(
    app, office_x, accepted_candidates, make_session, login
):
    mine, theirs = accepted_candidates(office_x.activity_id, 2)
    session_id = make_session(office_x.activity_id)
    assert book(login(theirs), session_id).status_code == 201

    assert login(mine).get("/api/v1/me/bookings").json == {"items": []}


def test_a_mail_server_that_is_down_does_not_undo_the_booking(
    app, office_x, accepted_candidate, make_session, login, monkeypatch
):
    client = login(accepted_candidate(office_x.activity_id))
    session_id = make_session(office_x.activity_id)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # nothing listens: connection refused

    response = book(client, session_id)

    assert response.status_code == 201
    assert len(booking_rows(app, session_id)) == 1


def test_admins_cannot_change_a_decision_once_the_candidate_has_booked(
    app, office_x, accepted_candidate, make_session, login
):
    candidate = accepted_candidate(office_x.activity_id)
    assert book(login(candidate), make_session(office_x.activity_id)).status_code == 201

    response = login(office_x.admin).post(
        f"/api/v1/admin/applications/{candidate.application_id}/decision",
        json={"decision": "rejected", "reason": "Berubah pikiran"},
    )

    assert response.status_code == 409
    assert len(booking_rows(app)) == 1


# --- there is no way to change or cancel a booking -----------------------------------------

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Every rule of this module that may write. The only ones that touch bookings are
# the booking itself (the API and the confirmation page); the admin rules change
# sessions only, and a session with bookings cannot be deleted (see
# test_scheduling_sessions.py). A new writing rule must be added here knowingly.
SCHEDULING_WRITES = {
    ("POST", "/api/v1/me/bookings"),
    ("POST", "/sesi/<id:session_id>/konfirmasi"),
    ("POST", "/api/v1/activities/<int:activity_id>/sessions"),
    ("PATCH", "/api/v1/admin/sessions/<int:session_id>"),
    ("DELETE", "/api/v1/admin/sessions/<int:session_id>"),
    ("POST", "/admin/kegiatan/<id:activity_id>/sesi"),
    ("POST", "/admin/sesi/<id:session_id>/ubah"),
    ("POST", "/admin/sesi/<id:session_id>/tutup"),
    ("POST", "/admin/sesi/<id:session_id>/buka"),
    ("POST", "/admin/sesi/<id:session_id>/hapus"),
}
BOOKING_WORDS = re.compile(r"book|pesan|pilih", re.IGNORECASE)


def _writes(rules) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in rules for method in rule.methods & UNSAFE}


def test_no_route_can_change_or_cancel_a_booking(app):
    rules = list(app.url_map.iter_rules())

    about_bookings = {(m, r) for m, r in _writes(rules) if BOOKING_WORDS.search(r)}
    scheduling = [r for r in rules if r.endpoint.startswith(("scheduling.", "scheduling_api."))]

    # Anywhere in the app (admin APIs included): the one write on bookings is creating
    # one; an accommodation is a row of its own about a booking, which it leaves as it
    # is (test_an_accommodation_leaves_the_booking_as_it_is).
    assert about_bookings == {("POST", "/api/v1/me/bookings")} | ACCOMMODATION_WRITES
    assert _writes(scheduling) == SCHEDULING_WRITES


ACCOMMODATION_WRITES = {
    ("PUT", "/api/v1/admin/bookings/<int:booking_id>/accommodation"),
    ("POST", "/admin/peserta-sesi/<id:booking_id>/waktu-khusus"),
}


def test_an_accommodation_leaves_the_booking_as_it_is(
    app, exam_activity, book_candidate, activity_admin, login
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    before = [(b.id, b.application_id, b.session_id, b.created_at) for b in booking_rows(app)]

    response = login(activity_admin(activity_id)).put(
        f"/api/v1/admin/bookings/{booked.booking_id}/accommodation",
        json={"minutes": 10, "reason": "Peserta dengan disabilitas"},
    )

    assert response.status_code == 200
    after = [(b.id, b.application_id, b.session_id, b.created_at) for b in booking_rows(app)]
    assert after == before


def test_no_code_updates_or_deletes_a_booking_row():
    """A grep, not a proof: it catches the obvious ways of changing a booking."""
    pattern = re.compile(
        r"(update|delete)\(\s*Booking\b|session\.delete\(\s*booking|"
        r"booking\w*\.(session_id|application_id)\s*=(\s|[^=])",
        re.IGNORECASE,
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "exam_service").rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_get_never_books(app, office_x, accepted_candidate, make_session, login):
    client = login(accepted_candidate(office_x.activity_id))
    session_id = make_session(office_x.activity_id)

    client.get(f"/sesi/{session_id}/konfirmasi")
    client.get("/api/v1/me/bookings")

    assert session_row(app, session_id).booked == 0
    assert booking_rows(app) == []
