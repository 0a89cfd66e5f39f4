"""On a phone: the notices of a rejection, tomorrow's session and a published result,
on the candidate's home page and in the mail (sent by the worker's mail step)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Role
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.core.mail import deliver_due_mail
from exam_service.feeds.dispatcher import ResultsDispatcher
from exam_service.notifications import service as notifications
from exam_service.recruitment.models import Activity
from tests.support.accounts import PASSWORD
from tests.support.feeds import schedule_quota_selection
from tests.support.mail import body_text, mails

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^/\s]+(/[^\s]*[^\s.,])")
SHOTS = Path("/tmp/shots-account")


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Surel").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()


def the_mail(outbox: Path, address: str, subject: str):
    found = [m for m in mails(outbox) if m["To"] == address and subject in m["Subject"]]
    assert len(found) == 1, f"expected one mail '{subject}', found {len(found)}"
    return found[0]


def test_a_rejection_gives_its_reason_on_the_home_page_and_by_mail(
    app, phone_page, make_office, make_user, make_booking_activity, accepted_candidate, login,
    outbox,
):  # fmt: skip
    office = make_office()
    admin = login(make_user(Role.ADMIN, office=office))
    candidate = accepted_candidate(make_booking_activity(office))
    admin.post(
        f"/api/v1/admin/applications/{candidate.application_id}/decision",
        json={"decision": "rejected", "reason": "Ijazah tidak terbaca"},
    )
    deliver_due_mail(app)

    log_in(phone_page, candidate.email)

    notice = phone_page.locator(".notice", has_text="Lamaran tidak diterima")
    expect(notice).to_contain_text("Alasan: Ijazah tidak terbaca")
    mail = the_mail(outbox, candidate.email, "Lamaran tidak diterima")
    assert "Alasan: Ijazah tidak terbaca" in body_text(mail)


def test_tomorrows_session_is_reminded_with_a_calendar(
    app, phone_page, make_office, make_booking_activity, accepted_candidate, make_session,
    login, outbox,
):  # fmt: skip
    office = make_office()
    activity_id = make_booking_activity(office)
    session_id = make_session(activity_id, starts_at=utcnow() + timedelta(hours=20))
    candidate = accepted_candidate(activity_id)
    booked = login(candidate).post("/api/v1/me/bookings", json={"session_id": session_id})
    assert booked.status_code == 201
    with app.app_context():
        assert notifications.remind_due_sessions() == 1  # the worker's reminder step
        db.session.commit()
    deliver_due_mail(app)

    log_in(phone_page, candidate.email)

    notice = phone_page.locator(".notice", has_text="Pengingat ujian besok")
    expect(notice).to_contain_text("Aula BPS Kota Uji")
    expect(notice).not_to_contain_text("terlampir")  # the attachment is the mail's
    expect(notice.locator('a[href$="/ujian"]')).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=str(SHOTS / "home-reminder-360.png"), full_page=True)
    mail = the_mail(outbox, candidate.email, "Pengingat ujian besok")
    assert [p.get_filename() for p in mail.iter_attachments()] == ["sesi-ujian.ics"]
    assert "Jadwal terlampir" in body_text(mail)


def test_a_published_result_leads_from_the_mail_to_the_result_page(
    app, phone_page, exam_activity, scored_attempt, activity_admin, login, outbox
):
    activity_id = exam_activity()
    ani = scored_attempt(activity_id, {"hitung": ("3", "3")}, full_name="Ani Lestari")
    response, _ = schedule_quota_selection(login(activity_admin(activity_id)), activity_id)
    assert response.json["scheduled"] is True
    with app.app_context():
        announcement_at = db.session.get_one(Activity, activity_id).announcement_at
        ResultsDispatcher(app).tick(announcement_at)  # the worker publishes
    deliver_due_mail(app)

    log_in(phone_page, ani.user.email)
    expect(phone_page.locator(".notice", has_text="Hasil seleksi diumumkan")).to_be_visible()
    mail = the_mail(outbox, ani.user.email, "Hasil seleksi diumumkan")
    link = LINK.search(body_text(mail))
    assert link, "no link in the mail"
    phone_page.goto(link.group(1))

    expect(phone_page.locator("h1")).to_contain_text("Hasil")
    expect(phone_page.locator("body")).to_contain_text("Lulus")
