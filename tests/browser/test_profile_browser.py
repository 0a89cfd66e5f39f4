"""The profile and the applications page on a phone (issue 16): the gentle NIK hint
after saving, the education that has to be chosen, and a "Lamar" that is visibly
disabled and says why, with the way to fix it."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Gender
from tests.support.accounts import PASSWORD
from tests.support.factories import invented_nik

pytestmark = pytest.mark.browser

ACCENT = "rgb(11, 92, 173)"  # app.css --accent: an enabled button


def log_in(page: Page, email: str, target: str) -> None:
    page.goto(f"/login?next={target}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{target}")


def fits_the_phone(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_nik_hint_after_saving_on_a_phone(phone_page, make_user):
    page = phone_page
    log_in(page, make_user().email, "/profil")
    expect(page.get_by_text("Kolom bertanda")).to_be_visible()
    education = page.get_by_label("Pendidikan terakhir")
    expect(education).to_have_value("")  # no level chosen for the candidate
    expect(education.locator("option:checked")).to_have_text("Pilih pendidikan")

    # Invented: the NIK says a woman born 12-03-1995; the form says a man born 13-03-1995.
    page.get_by_label("NIK").fill(invented_nik(date(1995, 3, 12), Gender.FEMALE))
    page.get_by_label("Tanggal lahir").fill("1995-03-13")
    page.get_by_label("Laki-laki").check()
    page.get_by_label("Alamat").fill("Jl. Sawah Indah No. 3")
    page.get_by_label("Desa/kelurahan").fill("Sukamaju")
    page.get_by_label("Kecamatan").fill("Cibeunying")
    page.get_by_label("Nomor ponsel").fill("081234567890")
    page.get_by_role("button", name="Simpan profil").click()
    expect(page.get_by_text("Pilih pendidikan terakhir Anda.")).to_be_visible()  # refused

    page.get_by_label("Pendidikan terakhir").select_option("SMA/SMK")
    page.get_by_role("button", name="Simpan profil").click()

    expect(page.locator(".flash-success")).to_have_text("Profil tersimpan.")  # saved all the same
    hints = page.locator("#nik-hints")
    expect(hints).to_be_visible()
    expect(hints).to_contain_text("NIK menunjukkan tanggal lahir 12 Maret 1995")
    expect(hints).to_contain_text("NIK menunjukkan jenis kelamin perempuan")
    assert fits_the_phone(page)

    # Corrected: the hint is gone.
    page.get_by_label("Tanggal lahir").fill("1995-03-12")
    page.get_by_label("Perempuan").check()
    page.get_by_role("button", name="Simpan profil").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#nik-hints")).to_have_count(0)


def test_disabled_lamar_says_why_on_a_phone(
    phone_page, make_office, make_activity, complete_candidate
):
    make_activity(make_office(), name="Sensus Uji 2026")
    candidate = complete_candidate(documents=False)
    page = phone_page
    log_in(page, candidate.email, "/lamaran")

    apply = page.get_by_role("button", name="Lamar")
    expect(apply).to_be_disabled()
    background = apply.evaluate("b => getComputedStyle(b).backgroundColor")
    assert background != ACCENT  # looks disabled, not like a live button
    expect(apply).to_have_accessible_description("Unggah 6 dokumen lagi dulu. Ke dokumen")
    why = page.locator(".why", has_text="Unggah 6 dokumen lagi dulu.")
    apply.scroll_into_view_if_needed()
    expect(why).to_be_in_viewport()  # right beside the button, seen with it
    assert fits_the_phone(page)

    why.get_by_role("link", name="Ke dokumen").click()
    page.wait_for_url("**/dokumen")
