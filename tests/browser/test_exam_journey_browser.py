"""The test page around the test itself, in Chromium on a phone (360x740), live server.

Before the start: the booked session and a countdown on the server's clock (the phone's
clock is hours off), "Mulai ujian" enabled by itself when the session opens. During the
test: extra time given by an admin reaches the open page ("Waktu ditambah ..."), and
"Keluar" asks first. After the end: the end screen and the receipt survive a reload,
and "Salin kode" copies the receipt code, also where the clipboard API is missing.

Set EXAM_SHOTS_DIR to keep screenshots of each state at 360 and 1280 px.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.core.extensions import db
from exam_service.exam.models import Attempt, AttemptStatus
from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EXAM_SHOTS_DIR")


@pytest.fixture
def page(phone_page: Page) -> Iterator[Page]:
    """The phone page, left quiet before the tables are emptied (see test_exam_page_browser)."""
    yield phone_page
    phone_page.context.route("**/api/**", lambda route: route.abort())
    if phone_page.locator("#exam").count():
        expect(phone_page.locator("#exam")).to_have_attribute("data-requests", "0")
    phone_page.goto("about:blank")


def shot(page: Page, name: str) -> None:
    """Screenshots for a person to look at: the phone, then a desktop width."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}-360.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})


def log_in(page: Page, email: str) -> None:
    page.goto("/login?next=/ujian")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/ujian")


def attempt_of(app, user_id: int) -> Attempt:
    with app.app_context():
        attempt = db.session.scalars(db.select(Attempt).where(Attempt.user_id == user_id)).one()
        db.session.expunge(attempt)
        return attempt


def countdown(page: Page) -> int:
    return int(page.locator("#exam-countdown-time").get_attribute("data-seconds") or "-1")


def remaining(page: Page) -> int:
    return int(page.locator("#exam-timer").get_attribute("data-remaining") or "-1")


def start_test(page: Page) -> None:
    page.get_by_role("button", name="Mulai ujian").click()
    expect(page.locator("#exam-test")).to_be_visible()


def choose(page: Page, position: int, key: str) -> None:
    page.locator(f'#exam-grid button[data-position="{position}"]').click()
    page.locator(f'#exam-option-list input[value="{key}"]').check()
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "saved")


# --- before the start ------------------------------------------------------------------------


def test_the_countdown_opens_the_start_by_itself(app, page, exam_activity, book_candidate):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    booked = book_candidate(exam_activity(), starts_in=timedelta(seconds=6))
    # The phone's clock is three hours fast: the countdown must not care.
    page.clock.set_system_time(datetime.now(UTC) + timedelta(hours=3))
    log_in(page, booked.email)

    expect(page.locator("#exam-intro-title")).to_have_text("Sesi ujian belum dimulai")
    expect(page.locator("#exam-session-activity")).to_have_text("Rekrutmen Mitra Uji")
    expect(page.locator("#exam-session-starts")).to_have_text(
        re.compile(r"^(Minggu|Senin|Selasa|Rabu|Kamis|Jumat|Sabtu), \d\d-\d\d-\d{4} \d\d:\d\d WIB$")
    )
    expect(page.locator("#exam-session-place")).to_have_text("Akan diumumkan")
    expect(page.locator("#exam-session-duration")).to_have_text("60 menit")
    expect(page.locator("#exam-countdown-label")).to_have_text("Ujian dapat dimulai dalam")
    expect(page.locator("#exam-countdown-time")).not_to_have_attribute("data-seconds", "")
    assert 0 <= countdown(page) <= 6  # from the server's time, not the phone's
    start = page.get_by_role("button", name="Mulai ujian")
    expect(start).to_be_disabled()
    expect(page.locator("#exam-start-why")).to_contain_text("aktif sendiri saat sesi dimulai")
    shot(page, "1-before-countdown")

    # The session opens while the page is open: no reload, no tap.
    expect(start).to_be_enabled(timeout=20_000)
    expect(page.locator("#exam-intro-title")).to_have_text("Ujian dapat dimulai")
    expect(page.locator("#exam-countdown-label")).to_have_text("Batas mulai ujian dalam")
    assert 880 <= countdown(page) <= app.config["LATE_ENTRY_SECONDS"]
    expect(page.locator("#exam-before-message")).to_contain_text("Ujian dapat dimulai sampai")
    shot(page, "2-before-open")
    start_test(page)
    assert attempt_of(app, booked.user.id).status == AttemptStatus.IN_PROGRESS
    assert errors == []


def test_a_session_days_away(page, exam_activity, book_candidate):
    booked = book_candidate(exam_activity(), starts_in=timedelta(days=2, hours=3))
    log_in(page, booked.email)
    expect(page.locator("#exam-countdown-time")).to_have_text(
        re.compile(r"^2 hari 0[23]:\d\d:\d\d$")
    )
    expect(page.get_by_role("button", name="Mulai ujian")).to_be_disabled()


def test_no_booking_says_so_and_leads_to_the_booking(page, make_user):
    user = make_user()
    log_in(page, user.email)
    expect(page.locator("#exam-intro-title")).to_have_text("Belum ada sesi ujian")
    expect(page.locator("#exam-before-message")).to_have_text(
        re.compile("^Anda belum memiliki lamaran")
    )
    expect(page.locator("#exam-start")).to_be_hidden()
    expect(page.locator("#exam-countdown")).to_be_hidden()
    book = page.get_by_role("link", name="Pilih sesi ujian")
    expect(book).to_have_attribute("href", "/sesi")
    shot(page, "3-no-booking")


def test_a_closed_late_entry_and_a_past_session(app, page, exam_activity, book_candidate):
    late_entry = app.config["LATE_ENTRY_SECONDS"]
    activity_id = exam_activity()
    booked = book_candidate(activity_id, starts_in=-timedelta(seconds=late_entry + 60))
    log_in(page, booked.email)
    expect(page.locator("#exam-intro-title")).to_have_text("Batas waktu masuk sudah lewat")
    expect(page.locator("#exam-session-activity")).to_have_text("Rekrutmen Mitra Uji")
    expect(page.locator("#exam-start")).to_be_hidden()
    expect(page.locator("#exam-rules")).to_be_hidden()
    shot(page, "4-late-entry-closed")

    over = book_candidate(activity_id, starts_in=-timedelta(hours=3))
    page.context.clear_cookies()
    log_in(page, over.email)
    expect(page.locator("#exam-intro-title")).to_have_text("Sesi ujian sudah lewat")
    expect(page.locator("#exam-before-message")).to_have_text("Waktu sesi ujian Anda sudah lewat.")
    expect(page.locator("#exam-start")).to_be_hidden()
    expect(page.get_by_role("link", name="Kembali ke beranda")).to_be_visible()
    shot(page, "4-session-over")


# --- during the test ---------------------------------------------------------------------------


def test_extra_time_reaches_the_open_page(
    app, page, live_server, exam_activity, book_candidate, activity_admin
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    log_in(page, booked.email)
    start_test(page)
    expect(page.locator("#exam-timer")).not_to_have_attribute("data-remaining", "")
    before = remaining(page)
    attempt_id = attempt_of(app, booked.user.id).id
    admin = live_server.login(activity_admin(activity_id).email, PASSWORD)

    def extend(seconds: int) -> None:
        response = admin.post(
            f"{live_server.url}/api/v1/admin/attempts/{attempt_id}/extensions",
            json={"seconds": seconds, "reason": "Listrik padam di lokasi ujian"},
            timeout=30,
        )
        assert response.status_code == 201, response.text

    # The page asks for its deadline every 30 s; the test shortens that to 1 s.
    extend(600)
    expect(page.locator("#exam-extended")).to_be_hidden()
    with page.expect_request(re.compile(r"/api/v1/me/attempt/status$")):
        page.locator("#exam").evaluate("root => root.setAttribute('data-poll-seconds', '1')")
    expect(page.locator("#exam-extended")).to_have_text("Waktu ditambah 10 menit oleh panitia.")
    assert remaining(page) >= before + 590
    shot(page, "5-extended")

    # Coming back to the page asks at once too (here: the poll is an hour away).
    page.locator("#exam").evaluate("root => root.setAttribute('data-poll-seconds', '3600')")
    extend(90)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#exam-extended")).to_have_text(
        "Waktu ditambah 1 menit 30 detik oleh panitia."
    )
    assert remaining(page) >= before + 680


def test_logging_out_during_the_test_asks_first(app, page, exam_activity, book_candidate):
    booked = book_candidate(exam_activity())
    log_in(page, booked.email)
    start_test(page)
    page.get_by_role("button", name="Keluar").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Waktu ujian terus berjalan walaupun Anda keluar")
    expect(dialog).to_contain_text("Jawaban yang sudah tersimpan aman di server")
    shot(page, "6-logout-confirm")

    page.get_by_role("button", name="Kembali ke ujian").click()
    expect(dialog).to_be_hidden()
    choose(page, 1, "B")  # still logged in, still saving
    assert page.url.endswith("/ujian")

    page.get_by_role("button", name="Keluar").click()
    page.get_by_role("button", name="Ya, keluar").click()
    page.wait_for_url("**/login")
    # The time kept running on the server; nothing was finished by leaving.
    assert attempt_of(app, booked.user.id).status == AttemptStatus.IN_PROGRESS


# --- after the end ------------------------------------------------------------------------------


def test_the_end_screen_and_receipt_survive_a_reload(app, page, exam_activity, book_candidate):
    booked = book_candidate(exam_activity())
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, booked.email)
    start_test(page)
    choose(page, 1, "A")
    choose(page, 3, "C")
    page.get_by_role("button", name="Selesai dan kumpulkan").click()
    page.get_by_role("button", name="Ya, kumpulkan").click()
    expect(page.locator("#exam-end-title")).to_have_text("Ujian selesai")
    saved_line = "2 dari 5 soal terjawab dan tersimpan di server."
    expect(page.locator("#exam-end-text")).to_have_text(saved_line)
    answers_hash = attempt_of(app, booked.user.id).answers_hash
    assert answers_hash
    expect(page.locator("#exam-receipt-hash")).to_have_text(answers_hash)

    page.reload()
    expect(page.locator("#exam-end-title")).to_have_text("Ujian selesai")
    expect(page.locator("#exam-end-text")).to_have_text(saved_line)
    expect(page.locator("#exam-receipt-hash")).to_have_text(answers_hash)
    expect(page.locator("#exam-receipt-reason")).to_have_text("Dikumpulkan oleh peserta")

    page.get_by_role("button", name="Salin kode").click()
    expect(page.locator("#exam-receipt-copied")).to_have_text("Tersalin")
    assert page.evaluate("navigator.clipboard.readText()") == answers_hash
    shot(page, "7-receipt-after-reload")

    # Without the clipboard API (plain http on a LAN address): select and copy.
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.reload()
    expect(page.locator("#exam-receipt-hash")).to_have_text(answers_hash)
    page.get_by_role("button", name="Salin kode").click()
    expect(page.locator("#exam-receipt-copied")).to_have_text("Tersalin")
    assert page.evaluate("window.getSelection().toString()").strip() == answers_hash
