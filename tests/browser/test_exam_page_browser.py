"""The candidate's test page in Chromium on a phone-size screen, against the live server.

A whole short test with a reload in the middle, answers given offline that reach the
server once the connection is back, and a test whose time runs out.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from exam_service.core.extensions import db
from exam_service.exam.models import Answer, Attempt, AttemptStatus, IntegrityEvent
from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.browser

FIRST_LOAD_BUDGET = 100 * 1024


@pytest.fixture
def page(phone_page: Page) -> Iterator[Page]:
    """The phone page, left quiet: every table is emptied right after a test, and a
    request of the page still running on the server would race that."""
    yield phone_page
    phone_page.context.route("**/api/**", lambda route: route.abort())
    if phone_page.locator("#exam").count():
        expect(phone_page.locator("#exam")).to_have_attribute("data-requests", "0")
    phone_page.goto("about:blank")


def log_in(page: Page, email: str) -> None:
    page.goto("/login?next=/ujian")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/ujian")


def is_page_error(message) -> bool:
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def first_load_bytes(page: Page) -> int:
    """The page and every script and stylesheet it links, uncompressed."""
    html = page.request.get("/ujian").body()
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)
    assert len(assets) >= 3
    return len(html) + sum(len(page.request.get(a.decode()).body()) for a in assets)


def start_test(page: Page) -> None:
    page.get_by_role("button", name="Mulai ujian").click()
    expect(page.locator("#exam-test")).to_be_visible()


def go_to(page: Page, position: int) -> None:
    page.locator(f'#exam-grid button[data-position="{position}"]').click()
    expect(page.locator("#exam-qnum")).to_have_text(f"Soal {position} dari 5")


def choose(page: Page, position: int, key: str) -> None:
    go_to(page, position)
    page.locator(f'#exam-option-list input[value="{key}"]').check()


def expect_saved(page: Page) -> None:
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "saved")
    expect(page.locator("#exam-status")).to_have_text("Tersimpan")


def remaining(page: Page) -> int:
    return int(page.locator("#exam-timer").get_attribute("data-remaining") or "-1")


def attempt_of(app, user_id: int) -> Attempt:
    with app.app_context():
        attempt = db.session.scalars(db.select(Attempt).where(Attempt.user_id == user_id)).one()
        db.session.expunge(attempt)
        return attempt


def stored_answers(app, attempt_id: int) -> dict[int, str | None]:
    with app.app_context():
        rows = db.session.scalars(db.select(Answer).where(Answer.attempt_id == attempt_id))
        return {row.position: row.choice for row in rows}


def event_kinds(app, attempt_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(IntegrityEvent.kind)
                .where(IntegrityEvent.attempt_id == attempt_id)
                .order_by(IntegrityEvent.id)
            )
        )


def wait_for(condition, timeout: float = 15.0):
    """Poll the database (the page's state is asserted with expect, which waits itself)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_whole_test_with_a_reload_midway(app, page, exam_activity, book_candidate):
    booked = book_candidate(exam_activity())
    loaded, errors = [], []
    page.on("response", lambda response: loaded.append(response))
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The phone's clock is three hours fast: the countdown must not care.
    page.clock.set_system_time(datetime.now(UTC) + timedelta(hours=3))
    # CSP violations ("Refused to ...") and script errors are reported on the console;
    # the API's expected 404 (no attempt yet) is not an error of the page.
    page.on("console", lambda m: errors.append(m.text) if is_page_error(m) else None)
    log_in(page, booked.email)

    assert {"/ujian", "/static/exam.js", "/static/exam.css"} <= {
        urlparse(r.url).path for r in loaded
    }
    # Nothing from elsewhere, and the page with its scripts and styles under budget.
    assert all(urlparse(r.url).netloc == urlparse(page.url).netloc for r in loaded)
    assert first_load_bytes(page) < FIRST_LOAD_BUDGET

    start_test(page)
    attempt = attempt_of(app, booked.user.id)
    for position, key in [(1, "A"), (2, "B"), (3, "C")]:
        choose(page, position, key)
        expect_saved(page)
    before = remaining(page)
    assert 3500 < before <= 3600

    page.reload()
    expect(page.locator("#exam-test")).to_be_visible()
    # Back on the question left open, with every answer and the time as they were.
    expect(page.locator("#exam-qnum")).to_have_text("Soal 3 dari 5")
    expect(page.locator('#exam-option-list input[value="C"]')).to_be_checked()
    for position in (1, 2, 3):
        button = page.locator(f'#exam-grid button[data-position="{position}"]')
        expect(button).to_have_class(re.compile(r"\banswered\b"))
        expect(button).to_have_attribute("aria-label", f"Soal {position}, sudah dijawab")
    expect(page.locator('#exam-grid button[data-position="5"]')).to_have_attribute(
        "aria-label", "Soal 5, belum dijawab"
    )
    expect(page.locator("#exam-timer")).not_to_have_attribute("data-remaining", "")
    after = remaining(page)
    assert before - 60 < after <= before
    go_to(page, 1)
    expect(page.locator('#exam-option-list input[value="A"]')).to_be_checked()

    choose(page, 4, "D")
    expect_saved(page)
    page.get_by_role("button", name="Tandai untuk ditinjau").click()
    expect(page.locator("#exam-flag")).to_have_attribute("aria-pressed", "true")
    expect(page.locator('#exam-grid button[data-position="4"]')).to_have_attribute(
        "aria-label", "Soal 4, sudah dijawab, ditandai"
    )

    page.get_by_role("button", name="Selesai dan kumpulkan").click()
    expect(page.locator("#exam-confirm-unanswered")).to_have_text(
        "Belum dijawab (1 soal): nomor 5."
    )
    expect(page.locator("#exam-confirm-flagged")).to_have_text("Ditandai untuk ditinjau: nomor 4.")
    page.get_by_role("button", name="Kembali ke soal").click()
    choose(page, 5, "A")
    expect_saved(page)
    page.get_by_role("button", name="Selesai dan kumpulkan").click()
    expect(page.locator("#exam-confirm-unanswered")).to_have_text("Semua soal sudah dijawab.")
    page.get_by_role("button", name="Ya, kumpulkan").click()

    expect(page.locator("#exam-end-title")).to_have_text("Ujian selesai")
    expect(page.locator("#exam-receipt-reason")).to_have_text("Dikumpulkan oleh peserta")
    expect(page.locator("#exam-receipt-time")).to_have_text(re.compile(r"\d\d:\d\d:\d\d WIB$"))
    finished = attempt_of(app, booked.user.id)
    assert finished.status == AttemptStatus.FINISHED
    expect(page.locator("#exam-receipt-hash")).to_have_text(finished.answers_hash)
    assert stored_answers(app, attempt.id) == {1: "A", 2: "B", 3: "C", 4: "D", 5: "A"}
    assert "resumed" in event_kinds(app, attempt.id)

    # Coming back later shows the receipt, not the test.
    page.reload()
    expect(page.locator("#exam-receipt-hash")).to_have_text(finished.answers_hash)
    expect(page.locator("#exam-test")).to_be_hidden()
    assert errors == []


def test_a_snapshot_older_than_an_acknowledgement_does_not_undo_it(
    app, page, exam_activity, book_candidate
):
    """Back online, the page saves its queue and asks for the whole attempt at once.
    When that snapshot was taken before the save, the page must not show the saved
    answer as unanswered. The snapshot here is taken before answering and delivered
    after the acknowledgement, which a slow network does on its own."""
    booked = book_candidate(exam_activity())
    log_in(page, booked.email)
    start_test(page)
    attempt_id = attempt_of(app, booked.user.id).id
    stale = page.request.get("/api/v1/me/attempt")
    assert stale.json()["answers"] == {}
    stale_body = stale.text()

    def late_snapshot(route) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        time.sleep(1.5)
        route.fulfill(status=200, content_type="application/json", body=stale_body)

    page.route("**/api/v1/me/attempt", late_snapshot)
    page.context.set_offline(True)
    choose(page, 2, "B")
    page.context.set_offline(False)
    assert wait_for(lambda: stored_answers(app, attempt_id) == {2: "B"})
    page.wait_for_timeout(2500)  # the stale snapshot has arrived and been applied
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "saved")
    expect(page.locator('#exam-grid button[data-position="2"]')).to_have_attribute(
        "aria-label", re.compile(r"sudah dijawab(?!, belum)")
    )


def test_answers_given_offline_reach_the_server(app, page, exam_activity, book_candidate):
    booked = book_candidate(exam_activity())
    log_in(page, booked.email)
    start_test(page)
    attempt_id = attempt_of(app, booked.user.id).id
    choose(page, 1, "A")
    expect_saved(page)

    page.context.set_offline(True)
    expect(page.locator("#exam-status")).to_have_text(
        "Tidak terhubung — jawaban disimpan di perangkat dan akan dikirim otomatis"
    )
    choose(page, 2, "B")
    choose(page, 3, "C")
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "pending")
    expect(page.locator('#exam-grid button[data-position="2"]')).to_have_attribute(
        "aria-label", "Soal 2, sudah dijawab, belum terkirim"
    )
    assert stored_answers(app, attempt_id) == {1: "A"}

    page.context.set_offline(False)
    expected = {1: "A", 2: "B", 3: "C"}
    assert wait_for(lambda: stored_answers(app, attempt_id) == expected)
    expect(page.locator("#exam-status")).to_have_text("Tersimpan")
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "saved")
    # Recorded for the admin (best effort, after the answers).
    assert wait_for(lambda: {"offline", "online"} <= set(event_kinds(app, attempt_id)))

    # The queue also survives a reload while the server cannot be reached.
    answers_url = "**/api/v1/me/attempt/answers/**"
    page.route(answers_url, lambda route: route.abort("internetdisconnected"))
    choose(page, 4, "D")
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "pending")
    page.reload()
    expect(page.locator("#exam-qnum")).to_have_text("Soal 4 dari 5")
    expect(page.locator('#exam-option-list input[value="D"]')).to_be_checked()
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "pending")
    assert 4 not in stored_answers(app, attempt_id)
    page.unroute(answers_url)
    # Sent again within the backoff (at most about 10 s).
    assert wait_for(lambda: stored_answers(app, attempt_id).get(4) == "D")
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "saved", timeout=15_000)


def test_time_runs_out(app, page, exam_activity, book_candidate):
    from exam_service.worker import Worker

    booked = book_candidate(exam_activity(duration_seconds=8))
    log_in(page, booked.email)
    start_test(page)
    attempt_id = attempt_of(app, booked.user.id).id
    choose(page, 2, "B")
    expect_saved(page)

    expect(page.locator("#exam-end-title")).to_have_text("Waktu habis", timeout=15_000)
    expect(page.locator("#exam-test")).to_be_hidden()
    assert stored_answers(app, attempt_id) == {2: "B"}

    # The finishing worker closes the attempt server-side; the page shows its receipt.
    stop = threading.Event()
    worker = threading.Thread(
        target=Worker(app, poll_seconds=0.2, sweep_seconds=1).run,
        kwargs={"stop": stop, "max_seconds": 30},
    )
    worker.start()
    try:
        expect(page.locator("#exam-receipt-reason")).to_have_text(
            "Waktu habis (ditutup otomatis)", timeout=25_000
        )
    finally:
        stop.set()
        worker.join()
    finished = attempt_of(app, booked.user.id)
    assert finished.status == AttemptStatus.FINISHED
    expect(page.locator("#exam-receipt-hash")).to_have_text(finished.answers_hash)


def test_a_new_choice_after_the_storage_was_wiped(app, page, exam_activity, book_candidate):
    """The sequence counter restarts low; the server's stale reply lifts it, and the
    choice on screen is sent again above the stored one."""
    booked = book_candidate(exam_activity())
    log_in(page, booked.email)
    start_test(page)
    attempt_id = attempt_of(app, booked.user.id).id
    choose(page, 1, "A")
    expect_saved(page)
    choose(page, 1, "C")
    expect_saved(page)
    page.evaluate("window.localStorage.clear()")
    page.reload()
    expect(page.locator('#exam-option-list input[value="C"]')).to_be_checked()
    choose(page, 1, "B")
    expect_saved(page)
    expect(page.locator('#exam-option-list input[value="B"]')).to_be_checked()
    assert stored_answers(app, attempt_id) == {1: "B"}


def test_an_expired_login_keeps_the_queue(app, page, exam_activity, book_candidate):
    booked = book_candidate(exam_activity())
    log_in(page, booked.email)
    start_test(page)
    attempt_id = attempt_of(app, booked.user.id).id
    # Logging out in another tab ends the login session on the server (the test page
    # asks first while the test is under way).
    other_tab = page.context.new_page()
    other_tab.goto("/ujian")
    other_tab.get_by_role("button", name="Keluar").click()
    other_tab.get_by_role("button", name="Ya, keluar").click()
    # Left open: closing a tab right after a navigation can hang Chromium's
    # shutdown of it; the context closes every tab at teardown anyway.
    other_tab.wait_for_url("**/login")

    choose(page, 2, "C")
    # The server refuses the CSRF token (it went with the login), the page finds out why.
    expect(page.locator("#exam-blocked-text")).to_have_text(re.compile("^Sesi login Anda berakhir"))
    expect(page.locator("#exam-blocked-link")).to_have_text("Masuk lagi")
    expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "pending")
    assert stored_answers(app, attempt_id) == {}

    page.locator("#exam-blocked-link").click()
    page.fill("#email", booked.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/ujian")
    expect(page.locator("#exam-qnum")).to_have_text("Soal 2 dari 5")
    expect_saved(page)
    assert stored_answers(app, attempt_id) == {2: "C"}


def test_a_session_that_has_not_started(app, page, exam_activity, book_candidate):
    from exam_service.core.clock import WIB, format_local
    from exam_service.scheduling.models import TestSession

    booked = book_candidate(exam_activity(), starts_in=timedelta(hours=2))
    with app.app_context():
        starts_at = db.session.get_one(TestSession, booked.session_id).starts_at
    log_in(page, booked.email)
    # Said before any tap, and "Mulai ujian" stays disabled until the session starts.
    expect(page.locator("#exam-intro-title")).to_have_text("Sesi ujian belum dimulai")
    # In WIB like every time on the site ("Rabu, 25-11-2026 10:00 WIB").
    expect(page.locator("#exam-session-starts")).to_contain_text(format_local(starts_at, WIB))
    expect(page.get_by_role("button", name="Mulai ujian")).to_be_disabled()
    with app.app_context():
        started = db.select(Attempt).where(Attempt.user_id == booked.user.id)
        assert db.session.scalar(started) is None


def test_a_first_start_after_late_entry_says_so(app, page, exam_activity, book_candidate):
    late_entry = app.config["LATE_ENTRY_SECONDS"]
    booked = book_candidate(exam_activity(), starts_in=-timedelta(seconds=late_entry + 60))
    log_in(page, booked.email)
    expect(page.locator("#exam-intro-title")).to_have_text("Batas waktu masuk sudah lewat")
    expect(page.locator("#exam-before-message")).to_contain_text("Hubungi panitia")
    expect(page.locator("#exam-start")).to_be_hidden()
    with app.app_context():
        started = db.select(Attempt).where(Attempt.user_id == booked.user.id)
        assert db.session.scalar(started) is None
