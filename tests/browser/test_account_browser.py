"""On a phone: a forgotten password, and the notices a candidate is sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Role
from exam_service.core.mail import deliver_due_mail
from tests.support.accounts import PASSWORD
from tests.support.mail import body_text, mails

pytestmark = pytest.mark.browser

RESET_LINK = re.compile(r"https?://[^/\s]+(/atur-ulang-sandi/[A-Za-z0-9_\-]+)")
LINK = re.compile(r"https?://[^/\s]+(/[^\s]*[^\s.,])")
NEW_PASSWORD = "gunung tinggi sekali"
SHOTS = Path("/tmp/shots-account")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def mail_to(outbox: Path, address: str, subject: str):
    found = [m for m in mails(outbox) if m["To"] == address and subject in m["Subject"]]
    assert len(found) == 1, f"expected one mail '{subject}', found {len(found)}"
    return found[0]


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Surel").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()


def test_forgotten_password_to_a_new_login_on_a_phone(phone_page, make_user, outbox):
    user = make_user()
    page = phone_page

    page.goto("/login")
    page.get_by_role("link", name="Lupa kata sandi?").click()
    expect(page).to_have_url(re.compile("/lupa-sandi$"))
    shot(page, "forgot-360")
    page.get_by_label("Surel").fill(user.email)
    page.get_by_role("button", name="Kirim tautan").click()
    expect(page.locator(".flash-success")).to_contain_text("tautan untuk membuat kata sandi baru")

    match = RESET_LINK.search(body_text(mail_to(outbox, user.email, "Atur ulang kata sandi")))
    assert match, "no reset link in the mail"
    page.goto(match.group(1))
    shot(page, "reset-360")
    page.get_by_label("Kata sandi baru (minimal 8 karakter)").fill(NEW_PASSWORD)
    page.get_by_label("Ulangi kata sandi baru").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Simpan kata sandi baru").click()
    expect(page.locator(".flash-success")).to_contain_text("Kata sandi baru tersimpan")

    log_in(page, user.email, NEW_PASSWORD)
    page.goto(match.group(1))  # the link again: used up
    page.get_by_label("Kata sandi baru (minimal 8 karakter)").fill("lain lagi sekali")
    page.get_by_label("Ulangi kata sandi baru").fill("lain lagi sekali")
    page.get_by_role("button", name="Simpan kata sandi baru").click()
    expect(page.get_by_role("alert")).to_contain_text("sudah dipakai")


def test_the_account_page_from_the_menu_on_a_phone(phone_page, make_user, login):
    user = make_user()
    page = phone_page
    log_in(page, user.email, PASSWORD)

    page.get_by_role("link", name="Akun").click()
    shot(page, "account-360")
    page.get_by_label("Kata sandi saat ini").fill(PASSWORD)
    page.get_by_label("Kata sandi baru (minimal 8 karakter)").fill(NEW_PASSWORD)
    page.get_by_label("Ulangi kata sandi baru").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Simpan kata sandi").click()

    expect(page.locator(".flash-success")).to_contain_text("Kata sandi diubah")
    assert login(user, NEW_PASSWORD).get("/api/v1/me").status_code == 200


def test_a_decision_reaches_the_candidate_home_and_mail(
    app,
    phone_page,
    make_office,
    make_user,
    make_booking_activity,
    accepted_candidate,
    login,
    outbox,
):
    from exam_service.recruitment.models import ApplicationStatus

    office = make_office()
    admin = login(make_user(Role.ADMIN, office=office))
    candidate = accepted_candidate(
        make_booking_activity(office), status=ApplicationStatus.SUBMITTED
    )
    decided = admin.post(
        f"/api/v1/admin/applications/{candidate.application_id}/decision",
        json={"decision": "accepted", "reason": None},
    )
    assert decided.status_code == 200
    deliver_due_mail(app)  # the worker's mail step
    mail = mail_to(outbox, candidate.email, "Lamaran diterima")
    page = phone_page

    log_in(page, candidate.email, PASSWORD)
    expect(page.get_by_text(mail["Subject"])).to_be_visible()
    shot(page, "home-notice-360")
    next_step = LINK.search(body_text(mail))
    assert next_step, "no link in the mail"
    page.goto(next_step.group(1))
    expect(page).to_have_url(re.compile("/sesi$"))
