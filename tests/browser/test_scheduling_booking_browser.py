"""Choosing the test session in Chromium on a phone-size screen, against the live server:
the candidate sees that the choice is final, confirms it, and finds no way to change it."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Role
from tests.support.accounts import PASSWORD
from tests.support.mail import only_mail
from tests.support.scheduling import booking_rows

pytestmark = pytest.mark.browser

CHANGE_CONTROL = re.compile(r"ubah|ganti|batal|hapus|pilih", re.IGNORECASE)


def log_in(page: Page, email: str) -> None:
    page.goto("/login?next=/sesi")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/sesi")


def fits_the_phone(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def expect_no_way_to_change(page: Page) -> None:
    main = page.locator("main")
    expect(main.locator("form")).to_have_count(0)
    expect(main.locator("button, input, select, textarea")).to_have_count(0)
    expect(main.locator("a[href*='konfirmasi']")).to_have_count(0)
    expect(main.get_by_role("link", name=CHANGE_CONTROL)).to_have_count(0)
    expect(main.get_by_role("button", name=CHANGE_CONTROL)).to_have_count(0)


def test_candidate_books_a_session_once_and_cannot_change_it(
    app,
    phone_page: Page,
    make_office,
    make_user,
    make_booking_activity,
    accepted_candidate,
    make_session,
    outbox,
):
    office = make_office()
    make_user(Role.ADMIN, office=office)
    activity_id = make_booking_activity(office)
    chosen = make_session(activity_id, capacity=20, place="Aula BPS Kota Uji")
    other = make_session(activity_id, capacity=20, place="Ruang Rapat 2")
    candidate = accepted_candidate(activity_id)
    page = phone_page

    log_in(page, candidate.email)
    options = page.locator("li.session-option")
    expect(options).to_have_count(2)
    assert fits_the_phone(page)
    page.locator(f'li[data-session-id="{chosen}"]').get_by_role(
        "link", name="Pilih sesi ini"
    ).click()

    page.wait_for_url(f"**/sesi/{chosen}/konfirmasi")
    warning = page.locator(".warning-box")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("tidak dapat diubah")
    expect(warning).to_contain_text("oleh admin")
    expect(page.locator("main")).to_contain_text("Aula BPS Kota Uji")
    assert fits_the_phone(page)

    page.get_by_role("button", name="Ya, pilih sesi ini").click()  # not yet ticked
    expect(page.locator("main .error")).to_contain_text("Centang pernyataan")
    assert booking_rows(app) == []

    page.get_by_label("Saya mengerti pilihan ini tidak dapat diubah").check()
    page.get_by_role("button", name="Ya, pilih sesi ini").click()

    page.wait_for_url("**/sesi/saya")
    expect(page.locator(".flash-success")).to_contain_text("telah dipilih")
    expect(page.locator("main")).to_contain_text("Aula BPS Kota Uji")
    expect(page.locator("main")).to_contain_text("tidak dapat diubah")
    expect_no_way_to_change(page)

    page.goto("/sesi")
    expect(page.locator("main")).to_contain_text("Sesi sudah dipilih")
    expect(page.locator("main")).not_to_contain_text("Ruang Rapat 2")
    expect_no_way_to_change(page)

    page.goto(f"/sesi/{other}/konfirmasi")  # a bookmarked or typed address
    page.wait_for_url("**/sesi/saya")
    expect(page.locator(".flash-error")).to_contain_text("tidak dapat diubah")

    (booking,) = booking_rows(app)
    assert (booking.application_id, booking.session_id) == (candidate.application_id, chosen)
    mail = only_mail(outbox)
    assert mail["To"] == candidate.email
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "sesi-ujian.ics"
    event = Calendar.from_ical(attachment.get_content()).events[0]
    assert str(event["location"]) == "Aula BPS Kota Uji"
