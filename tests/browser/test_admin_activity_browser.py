"""The admin's activity page in Chromium at 360x740 and at 1280 px, against the live
server: the counts are readable, nothing is cut and every link is big enough to tap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD
from tests.support.funnel import seed_activity

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-funnel"))
MIN_TAP = 44  # px, the smallest comfortable target for a thumb


def log_in(page: Page, email: str) -> None:
    page.goto("/login?next=/admin/kegiatan")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/kegiatan")


def check_the_page(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"the page scrolls sideways at {width} px"
    )
    funnel = page.locator("#funnel")
    expect(funnel.get_by_text("Melamar", exact=True)).to_be_visible()
    for count in funnel.locator(".count").all():
        box = count.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width, "a count is cut at the right"
        assert float(count.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 16
    small = [
        (link.inner_text().strip(), box["height"])
        for link in page.locator("main a").all()
        if (box := link.bounding_box()) is not None and box["height"] < MIN_TAP
    ]
    assert not small, f"links too small to tap: {small}"


def test_the_activity_page_at_phone_and_desktop_widths(request, app, browser, live_server):
    seeded = seed_activity(request)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height, name in ((360, 740, "phone"), (1280, 900, "desktop")):
        context = browser.new_context(
            base_url=live_server.url,
            locale="id-ID",
            viewport={"width": width, "height": height},
            is_mobile=width < 600,
            has_touch=width < 600,
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            log_in(page, seeded.admin_user.email)
            page.get_by_role("link", name="Rekrutmen Mitra Uji").click()
            page.wait_for_url(f"**/admin/kegiatan/{seeded.activity_id}")
            expect(page.locator("h1")).to_have_text("Rekrutmen Mitra Uji")
            check_the_page(page, width)
            page.screenshot(path=str(SHOTS / f"admin-activity-{name}.png"), full_page=True)
            page.locator("#funnel").get_by_text("Diterima", exact=True).click()
            page.wait_for_url("**/admin/lamaran?*status=accepted*")
        finally:
            context.close()
