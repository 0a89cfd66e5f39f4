"""An author writes a question in Chromium against the live server: the phone-size
preview follows the typing (with the markup sanitized as it will be stored), the
question is saved, activated, edited into a second version, and the history shows both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Role
from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.browser

LAPTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def laptop_page(browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="id-ID", **LAPTOP)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_author_writes_previews_activates_and_versions_a_question(
    app, laptop_page: Page, make_user
):
    author = make_user(Role.AUTHOR)
    page = laptop_page
    page.goto("/login?next=/bank/kategori")
    page.fill("#email", author.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/bank/kategori")

    page.fill("#slug", "hitung")
    page.fill("#name", "Berhitung")
    page.get_by_role("button", name="Tambah", exact=True).click()
    expect(page.locator("main table")).to_contain_text("hitung")

    page.goto("/bank/soal/baru")
    page.fill("#stem", "Hasil <b>2 + 3</b> adalah<script>alert(1)</script>")
    page.fill("#options-0-text", "5")
    page.fill("#options-0-points", "1")
    page.fill("#options-1-text", "6")
    page.fill("#options-2-text", "Tidak ada yang benar")
    page.check("#options-2-keep_last")

    preview = page.locator("#preview")
    expect(preview.locator("#preview-stem b")).to_have_text("2 + 3")
    expect(preview.locator("#preview-stem script")).to_have_count(0)
    expect(preview.locator(".exam-option-text")).to_have_text(["5", "6", "Tidak ada yang benar"])
    expect(page.locator("#preview-problems li")).to_have_count(0)
    frame_width = page.locator(".phone-frame").evaluate("e => e.getBoundingClientRect().width")
    assert frame_width <= 360

    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".flash-success")).to_contain_text("disimpan")
    expect(page.locator("h1")).to_contain_text("Draf")

    page.get_by_role("button", name="Aktifkan").click()
    expect(page.locator("h1")).to_contain_text("Aktif")
    expect(page.locator(".warning-box")).to_contain_text("versi baru")

    page.fill("#stem", "Hasil 2 + 3 adalah berapa?")
    expect(preview.locator("#preview-stem")).to_have_text("Hasil 2 + 3 adalah berapa?")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator("main")).to_contain_text("Versi 2")

    page.get_by_role("link", name="Riwayat versi").click()
    versions = page.locator("article.card")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("Hasil 2 + 3 adalah berapa?")
    expect(versions.nth(1).locator(".exam-stem b")).to_have_text("2 + 3")


def test_a_broken_draft_is_explained_in_indonesian_on_a_phone(app, phone_page: Page, make_user):
    author = make_user(Role.AUTHOR)
    page = phone_page
    page.goto("/login?next=/bank/kategori")
    page.fill("#email", author.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/bank/kategori")
    page.fill("#slug", "hitung")
    page.fill("#name", "Berhitung")
    page.get_by_role("button", name="Tambah", exact=True).click()
    expect(page.locator("main table")).to_contain_text("hitung")

    page.goto("/bank/soal/baru")
    page.fill("#options-0-text", "Semua benar")
    page.check("#options-0-keep_last")
    page.fill("#options-1-text", "Dua")
    page.fill("#options-2-text", "Dua")

    problems = page.locator("#preview-problems li")
    expect(problems).to_have_text(
        [
            "Teks soal kosong.",
            "Pilihan C sama dengan pilihan sebelumnya.",
            "Belum ada pilihan yang bernilai poin.",
            "Pilihan yang selalu terakhir harus pilihan paling akhir.",
        ]
    )
    for english in ("stem is empty", "repeats an earlier option", "no option earns points"):
        expect(page.locator("#preview-problems")).not_to_contain_text(english)
