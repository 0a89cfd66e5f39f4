"""A WITA office (Asia/Makassar) in Chromium, at 360x740 and 1280x800, live server: the
admin enters a session at 09:00 in the office's zone and sees it so, the candidate's
booking page and test page (whose times exam.js writes) show 09:00 WITA.

Set EXAM_SHOTS_DIR to keep screenshots of each page at both widths.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Role
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.scheduling.models import TestSession
from tests.support.accounts import PASSWORD
from tests.support.factories import build_office

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EXAM_SHOTS_DIR")


@pytest.fixture
def page(phone_page: Page) -> Iterator[Page]:
    """The phone page, left quiet (no test page polling) before the tables are emptied."""
    yield phone_page
    phone_page.context.route("**/api/**", lambda route: route.abort())
    if phone_page.locator("#exam").count():
        expect(phone_page.locator("#exam")).to_have_attribute("data-requests", "0")
    phone_page.goto("about:blank")


def shot(page: Page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}-360.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})


def log_in(page: Page, email: str, then: str) -> None:
    page.goto(f"/login?next={then}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{then}")


def test_a_wita_office_sees_and_enters_wita_times(
    app, page: Page, make_user, make_booking_activity, accepted_candidate
):
    with app.app_context():
        office = build_office(timezone="Asia/Makassar")
        db.session.commit()
        db.session.refresh(office)
        db.session.expunge(office)
    activity_id = make_booking_activity(office)
    admin = make_user(Role.ADMIN, office=office)
    candidate = accepted_candidate(activity_id)
    day: date = (utcnow() + timedelta(days=6)).date()
    start_text = f"{day:%d-%m-%Y} 09:00 WITA"

    sessions = f"/admin/kegiatan/{activity_id}/sesi"
    log_in(page, admin.email, sessions)
    page.get_by_label("Mulai (WITA)").fill(f"{day.isoformat()}T09:00")
    page.get_by_label("Kapasitas (kursi)").fill("5")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".flash-success")).to_contain_text("Sesi telah dibuat")
    expect(page.locator("main table")).to_contain_text(start_text)
    expect(page.locator("footer")).to_have_text("Waktu ditampilkan dalam WITA.")
    with app.app_context():
        stored = db.session.scalars(db.select(TestSession.starts_at)).one()
    assert stored.replace(tzinfo=UTC) == datetime.combine(day, time(1), UTC)
    shot(page, "tz-admin-sessions")
    page.context.clear_cookies()

    log_in(page, candidate.email, "/sesi")
    expect(page.locator("main")).to_contain_text(start_text)
    page.get_by_role("link", name="Pilih sesi ini").click()
    page.get_by_label("Saya mengerti pilihan ini tidak dapat diubah").check()
    page.get_by_role("button", name="Ya, pilih sesi ini").click()
    page.wait_for_url("**/sesi/saya")
    expect(page.locator("main")).to_contain_text(start_text)
    expect(page.locator("main")).not_to_contain_text("WIB")
    expect(page.locator("footer")).to_have_text("Waktu ditampilkan dalam WITA.")
    shot(page, "tz-candidate-booking")

    page.goto("/ujian")
    expect(page.locator("#exam-session-starts")).to_contain_text(start_text)
    expect(page.locator("#exam-session-late")).to_contain_text(f"{day:%d-%m-%Y} 09:15 WITA")
    expect(page.locator("footer")).to_have_text("Waktu ditampilkan dalam WITA.")
    shot(page, "tz-candidate-test-page")
