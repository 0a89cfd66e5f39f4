"""No English in what a browser shows, the scripts' own text included.

tests/integration/test_no_english.py reads every page and API answer the server
sends; this reads what Chromium renders after the pages' scripts ran (the test
page's states, the documents page, the practice test), for each role, through
the links of its menu.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Role
from tests.support.accounts import PASSWORD
from tests.support.english import ENGLISH_NUMBER, ENGLISH_PATTERN

pytestmark = pytest.mark.browser


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Surel").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()


def english_in(page: Page) -> list[str]:
    text = page.locator("body").inner_text()
    found = [m.group() for m in ENGLISH_PATTERN.finditer(text)]
    found += [m.group() for m in ENGLISH_NUMBER.finditer(text)]
    return found


def visit_menu(page: Page) -> dict[str, list[str]]:
    """Every entry of the signed-in menu, by its link; what each page shows."""
    page.goto("/beranda")
    links = page.locator("header nav a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    found = {}
    for target in targets:
        page.goto(target)
        page.wait_for_load_state("networkidle")
        found[target] = english_in(page)
    return found


def test_no_english_in_what_each_role_sees(
    browser, live_server, phone_page, exam_activity, book_candidate, activity_admin, make_user
):
    page = phone_page
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    admin = activity_admin(activity_id)
    author = make_user(Role.AUTHOR)
    found: dict[str, list[str]] = {}

    log_in(page, booked.email)
    found.update({f"kandidat {k}": v for k, v in visit_menu(page).items()})
    page.goto("/ujian")
    page.get_by_role("button", name="Mulai ujian").click()
    expect(page.locator("#exam-timer")).to_have_text(re.compile(r"\d\d:\d\d"))
    found["kandidat /ujian (berjalan)"] = english_in(page)
    page.get_by_role("button", name="Keluar").click()
    found["kandidat keluar saat ujian"] = english_in(page)

    for label, user in (("admin", admin), ("penulis", author)):
        context = browser.new_context(
            base_url=live_server.url, locale="id-ID", viewport={"width": 360, "height": 740}
        )
        other = context.new_page()
        log_in(other, user.email)
        found.update({f"{label} {k}": v for k, v in visit_menu(other).items()})
        context.close()

    assert {where: words for where, words in found.items() if words} == {}
    assert len(found) >= 15, found.keys()
