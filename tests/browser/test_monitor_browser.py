"""The live monitor in Chromium on a phone (360x740) against the live server: it follows
the session without a reload (a candidate starts, leaves the screen, answers), explains
the integrity events with their times on a tap, and lists who has not started yet.

Screenshots at 360 and 1280 px go to MONITOR_SHOTS_DIR when it is set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.core.extensions import db
from exam_service.exam import service
from exam_service.exam.models import Attempt
from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("MONITOR_SHOTS_DIR")


@pytest.fixture
def page(phone_page: Page) -> Iterator[Page]:
    """The phone page, left quiet before the tables are emptied (no poll in flight)."""
    yield phone_page
    phone_page.context.route("**/api/**", lambda route: route.abort())
    phone_page.goto("about:blank")


def shot(page: Page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}-360.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})


def poll_now(page: Page) -> None:
    """The page asks every 10 s and at once when it becomes visible again."""
    with page.expect_response(re.compile(r"/api/v1/admin/sessions/\d+/monitor$")):
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def test_the_monitor_follows_the_session_without_a_reload(
    page, live_server, exam_activity, book_candidate, activity_admin
):
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    second = book_candidate(activity_id, session_id=first.session_id)
    admin = activity_admin(activity_id)
    url = f"/admin/sesi/{first.session_id}/pantau"
    page.goto(f"/login?next={url}")
    page.fill("#email", admin.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{url}")
    expect(page.get_by_role("heading", name="Belum mulai (2)")).to_be_visible()
    expect(page.locator("#monitor")).to_have_attribute("data-polls", "1")
    page.evaluate("window.sameDocument = true")

    # A candidate starts, leaves the screen, loses the connection, answers.
    candidate = live_server.login(first.email, PASSWORD)
    base = f"{live_server.url}/api/v1/me/attempt"
    assert candidate.post(base, timeout=30).status_code == 200
    for kind in ["hidden", "visible", "offline", "online"]:
        assert candidate.post(f"{base}/events", json={"kind": kind}, timeout=30).ok
    poll_now(page)
    card = page.locator(f'.mon-card[data-booking="{first.booking_id}"]')
    expect(card.locator(".badge")).to_have_text("Mengerjakan")
    expect(page.get_by_role("heading", name="Belum mulai (1)")).to_be_visible()
    expect(page.locator(f'.mon-card[data-booking="{second.booking_id}"]')).to_contain_text(
        "Belum mulai"
    )
    summary = card.locator(".mon-events summary")
    expect(summary).to_have_text("2 kejadian: layar ditinggalkan 1x, koneksi terputus 1x")
    expect(card.locator(".mon-clock")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(card.locator("[data-answered]")).to_have_text("0")

    # Numbers change in place: an answer shows at the next poll.
    saved = candidate.put(f"{base}/answers/1", json={"choice": "A", "seq": 1}, timeout=30)
    assert saved.status_code == 200
    poll_now(page)
    expect(card.locator("[data-answered]")).to_have_text("1")

    # The times behind the headline, on a tap.
    summary.tap()
    events = card.locator(".mon-events li")
    expect(events).to_have_count(4)
    expect(events.first).to_contain_text("layar ditinggalkan")
    expect(events.first.locator("time")).to_have_text(re.compile(r"\d\d:\d\d"))
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    expect(page.locator("#monitor-updated")).not_to_have_text("Gagal memperbarui. Mencoba lagi...")
    shot(page, "monitor")


def test_accommodation_session_extension_and_reopening_from_the_monitor(
    app, page, live_server, exam_activity, book_candidate, activity_admin
):
    activity_id = exam_activity()
    timed_out = book_candidate(activity_id)
    busy = book_candidate(activity_id, session_id=timed_out.session_id)
    waiting = book_candidate(activity_id, session_id=timed_out.session_id)
    for booked in (timed_out, busy):
        started = live_server.login(booked.email, PASSWORD).post(
            f"{live_server.url}/api/v1/me/attempt", timeout=30
        )
        assert started.status_code == 200
    with app.app_context():
        timed_out_id = db.session.scalar(
            db.select(Attempt.id).where(Attempt.booking_id == timed_out.booking_id)
        )
        deadline = db.session.get_one(Attempt, timed_out_id).deadline
        assert service.finish_if_due(timed_out_id, now=deadline + timedelta(minutes=1))
        db.session.commit()
    admin = activity_admin(activity_id)
    url = f"/admin/sesi/{timed_out.session_id}/pantau"
    page.goto(f"/login?next={url}")
    page.fill("#email", admin.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{url}")

    # Extra minutes for the candidate who has not started.
    waiting_card = page.locator(f'.mon-card[data-booking="{waiting.booking_id}"]')
    waiting_card.get_by_text("Atur waktu khusus").tap()
    waiting_card.get_by_label("Menit").fill("20")
    waiting_card.get_by_label("Alasan").fill("Peserta tunanetra")
    shot(page, "monitor-forms")
    waiting_card.get_by_role("button", name="Simpan waktu khusus").tap()
    expect(page.locator(".flash-success")).to_have_text("Waktu khusus disimpan.")
    expect(page.locator(f'.mon-card[data-booking="{waiting.booking_id}"]')).to_contain_text(
        "Waktu khusus: +20 menit"
    )

    # Everyone in progress at once (the one who timed out is not).
    page.get_by_text("Tambah waktu untuk semua peserta yang sedang mengerjakan").tap()
    page.locator("#bulk-reason").fill("Listrik padam di ruang ujian")
    page.get_by_role("button", name="Tambah waktu untuk semua").tap()
    expect(page.locator(".flash-success")).to_have_text("Waktu ditambahkan untuk 1 peserta.")
    busy_card = page.locator(f'.mon-card[data-booking="{busy.booking_id}"]')
    expect(busy_card).to_contain_text("(+10 menit)")

    # The timed-out attempt, reopened once.
    card = page.locator(f'.mon-card[data-booking="{timed_out.booking_id}"]')
    expect(card.locator(".badge").first).to_have_text("Selesai (waktu habis)")
    card.get_by_text("Buka kembali ujian").tap()
    card.get_by_label("Alasan").fill("Ponsel mati, berita acara no. 3")
    card.get_by_role("button", name="Buka kembali").tap()
    expect(page.locator(".flash-success")).to_contain_text("Ujian dibuka kembali.")
    card = page.locator(f'.mon-card[data-booking="{timed_out.booking_id}"]')
    expect(card.locator(".badge").first).to_have_text("Mengerjakan")
    expect(card).to_contain_text("Dibuka kembali")
    shot(page, "monitor-after")
