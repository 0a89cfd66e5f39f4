"""Playwright driving Debian's Chromium (/usr/bin/chromium) on a phone-size viewport.

Browser downloads are impossible here, so Playwright is pointed at the system
browser; without it, browser tests are skipped locally and fail in CI (where
.ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server) -> Iterator:
    """A fresh phone-size page whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, locale="id-ID", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
