"""Every office has a time zone (WIB, WITA or WIT): its admins enter times in it, and
every page, mail, export and calendar file of its activities shows them in it, with
the zone's name. Stored times stay UTC.

The session day is a few days ahead of the service's clock, so the tests never age.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy.exc import IntegrityError

from exam_service.accounts.models import Office, Role, User
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.core.mail import deliver_due_mail
from exam_service.notifications import service as notifications
from exam_service.recruitment.models import Activity
from exam_service.scheduling.models import Booking, TestSession
from tests.support.factories import build_office
from tests.support.mail import body_text, mails

WITA = "Asia/Makassar"
WIT = "Asia/Jayapura"
WIB = "Asia/Jakarta"


@pytest.fixture
def zone_office(app: Flask) -> Callable[[str], Office]:
    """An office in the zone `timezone` (an IANA name); a detached row."""

    def make(timezone: str) -> Office:
        with app.app_context():
            office = build_office(timezone=timezone)
            db.session.commit()
            db.session.refresh(office)
            db.session.expunge(office)
        return office

    return make


def session_day() -> date:
    return (utcnow() + timedelta(days=6)).date()


def dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def add_session_by_form(admin_client, activity_id: int, local_start: str) -> TestSession:
    """The admin's session form, as a browser posts it; the stored session."""
    path = f"/admin/kegiatan/{activity_id}/sesi"
    posted = admin_client.submit_form(
        path, {"starts_at": local_start, "capacity": "5", "place": "Aula Makassar"}
    )
    assert posted.status_code == 303, posted.get_data(as_text=True)
    with admin_client.raw.application.app_context():
        session = db.session.scalars(
            db.select(TestSession).where(TestSession.activity_id == activity_id)
        ).one()
        db.session.expunge(session)
    return session


def test_a_wita_office_enters_shows_and_mails_its_times_in_wita(
    app, zone_office, make_user, make_booking_activity, accepted_candidate, login, outbox
):
    office = zone_office(WITA)
    activity_id = make_booking_activity(office)
    admin = login(make_user(Role.ADMIN, office=office))
    day = session_day()

    form = admin.get(f"/admin/kegiatan/{activity_id}/sesi").get_data(as_text=True)
    assert "Mulai (WITA)" in form
    session = add_session_by_form(admin, activity_id, f"{day.isoformat()}T09:00")

    # 09:00 WITA is 01:00 UTC, stored as such.
    assert session.starts_at.replace(tzinfo=UTC) == datetime.combine(day, time(1, 0), UTC)
    start_text = f"{dmy(day)} 09:00 WITA"
    sessions_page = admin.get(f"/admin/kegiatan/{activity_id}/sesi").get_data(as_text=True)
    assert start_text in sessions_page
    assert "Waktu ditampilkan dalam WITA." in sessions_page
    listed = admin.get(f"/api/v1/activities/{activity_id}/sessions").json["items"]
    assert listed[0]["time_zone"] == WITA
    assert datetime.fromisoformat(listed[0]["starts_at"]) == datetime.combine(day, time(1), UTC)

    candidate = accepted_candidate(activity_id)
    client = login(candidate)
    booked = client.post("/api/v1/me/bookings", json={"session_id": session.id})
    assert booked.status_code == 201, booked.json
    assert booked.json["time_zone"] == WITA

    roster = admin.get(f"/admin/sesi/{session.id}/peserta").get_data(as_text=True)
    assert start_text in roster
    for page in ("/sesi/saya", "/sesi"):
        html = client.get(page).get_data(as_text=True)
        assert start_text in html, page
        assert "WIB" not in html, page
        assert "Waktu ditampilkan dalam WITA." in html, page
    test_page = client.get("/ujian").get_data(as_text=True)
    assert 'data-zone-offset="480"' in test_page
    assert 'data-zone-name="WITA"' in test_page
    assert "Waktu ditampilkan dalam WITA." in test_page

    [confirmation] = [m for m in mails(outbox) if "Konfirmasi" in m["Subject"]]
    assert f"Mulai: {start_text}" in body_text(confirmation)
    event = ics_event(confirmation)
    assert event.decoded("dtstart") == datetime.combine(day, time(1), UTC)
    assert start_text in str(event.get("description"))

    with app.app_context():
        queued = notifications.remind_due_sessions(now=session.starts_at - timedelta(hours=12))
        db.session.commit()
    assert queued == 1
    deliver_due_mail(app)
    [reminder] = [m for m in mails(outbox) if "Pengingat" in m["Subject"]]
    assert f"dimulai {start_text}" in body_text(reminder)
    assert ics_event(reminder).decoded("dtstart") == datetime.combine(day, time(1), UTC)


def test_the_attendance_list_is_in_the_office_zone(
    app, zone_office, make_user, make_booking_activity, accepted_candidate, login, make_session
):
    office = zone_office(WITA)
    activity_id = make_booking_activity(office)
    session_id = make_session(activity_id)
    candidate = accepted_candidate(activity_id)
    booked = login(candidate).post("/api/v1/me/bookings", json={"session_id": session_id})
    assert booked.status_code == 201
    with app.app_context():
        booked_at = db.session.scalars(db.select(Booking.created_at)).one().replace(tzinfo=UTC)
    admin = login(make_user(Role.ADMIN, office=office))

    raw = admin.get(f"/api/v1/admin/sessions/{session_id}/roster.csv").get_data()
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))

    assert header[3] == "Waktu pilih (WITA)"
    assert row[3] == (booked_at + timedelta(hours=8)).strftime("%d-%m-%Y %H:%M")
    page = admin.get(f"/admin/sesi/{session_id}/peserta").get_data(as_text=True)
    assert (booked_at + timedelta(hours=8)).strftime("%d-%m-%Y %H:%M WITA") in page


def test_the_results_export_is_in_the_office_zone(
    app, exam_activity, scored_attempt, activity_admin, login
):
    activity_id = exam_activity()
    with app.app_context():
        db.session.get_one(Activity, activity_id).office.timezone = WITA
        db.session.commit()
    finished = datetime.combine(session_day() - timedelta(days=10), time(2, 30), UTC)
    scored_attempt(activity_id, {"umum": ("5", "10")}, finished_at=finished)
    admin = login(activity_admin(activity_id))

    raw = admin.get(f"/api/v1/admin/activities/{activity_id}/results.csv").get_data()
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))

    titles = dict(zip(header, row, strict=True))
    day = dmy(finished.date())
    assert titles["Mulai (WITA)"] == f"{day} 10:00"
    assert titles["Selesai (WITA)"] == f"{day} 10:30"
    assert "Dinilai (WITA)" in titles
    assert not any("WIB" in title for title in header)
    page = admin.get(f"/admin/kegiatan/{activity_id}/hasil").get_data(as_text=True)
    assert "Mulai (WITA)" in page


@pytest.mark.parametrize(
    ("timezone", "local_start", "shown"),
    [(WIT, "10:00", "10:00 WIT"), (WIB, "08:00", "08:00 WIB")],
)
def test_wit_and_wib_offices_enter_and_show_their_own_times(
    zone_office, make_user, make_booking_activity, login, timezone, local_start, shown
):
    office = zone_office(timezone)
    activity_id = make_booking_activity(office)
    admin = login(make_user(Role.ADMIN, office=office))
    day = session_day()

    session = add_session_by_form(admin, activity_id, f"{day.isoformat()}T{local_start}")

    # Both are 01:00 UTC: WIT is UTC+9, WIB UTC+7.
    assert session.starts_at.replace(tzinfo=UTC) == datetime.combine(day, time(1, 0), UTC)
    page = admin.get(f"/admin/kegiatan/{activity_id}/sesi").get_data(as_text=True)
    assert f"{dmy(day)} {shown}" in page
    zone_name = shown.split()[-1]
    assert f"Mulai ({zone_name})" in page
    assert f"Waktu ditampilkan dalam {zone_name}." in page


def test_a_public_announcement_is_in_its_office_zone(client, zone_office, make_booking_activity):
    office = zone_office(WIT)
    announced = datetime.combine(session_day() + timedelta(days=9), time(3, 0), UTC)
    activity_id = make_booking_activity(office, announcement_at=announced)

    page = client.get(f"/pengumuman/{activity_id}").get_data(as_text=True)

    assert f"Jadwal pengumuman: {dmy(announced.date())} 12:00 WIT." in page
    assert "Waktu ditampilkan dalam WIT." in page


def test_a_candidate_sees_the_zone_of_the_office_applied_to_last(
    app, zone_office, make_booking_activity, accepted_candidate, make_application, login
):
    candidate = accepted_candidate(make_booking_activity(zone_office(WIT)))
    client = login(candidate)
    assert "Waktu ditampilkan dalam WIT." in client.get("/sesi").get_data(as_text=True)

    with app.app_context():
        user = db.session.get_one(User, candidate.user_id)
        db.session.expunge(user)
    make_application(make_booking_activity(zone_office(WITA)), user)

    assert "Waktu ditampilkan dalam WITA." in client.get("/sesi").get_data(as_text=True)


def test_visitors_see_wib(client):
    page = client.get("/login").get_data(as_text=True)

    assert "Waktu ditampilkan dalam WIB." in page


def test_an_office_takes_only_an_indonesian_zone(app_ctx):
    db.session.add(Office(code="X9", name="BPS Salah", region_code="3273", timezone="UTC"))

    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def ics_event(message) -> Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "sesi-ujian.ics"]
    [event] = Calendar.from_ical(part.get_content()).walk("VEVENT")
    return event
