"""A candidate on a phone, from registration to "accepted", the admin's decision included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Role
from exam_service.core.extensions import db
from exam_service.recruitment.models import Application
from tests.support.accounts import PASSWORD, jpeg_bytes, pdf_bytes
from tests.support.mail import body_text, mails

pytestmark = pytest.mark.browser

EMAIL = "calon.mitra@uji.example"
CANDIDATE_PASSWORD = "padi menguning di sawah"
ACTIVATION = re.compile(r"https?://[^/\s]+(/activate/[A-Za-z0-9_\-]+)")


def activation_path(outbox: Path) -> str:
    (message,) = [m for m in mails(outbox) if m["To"] == EMAIL]
    match = ACTIVATION.search(body_text(message))
    assert match, "no activation link in the mail"
    return match.group(1)


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Surel").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()


def fill_profile(page: Page) -> None:
    page.goto("/profil")
    page.get_by_label("NIK").fill("3273015507950003")  # invented; a woman born 15-07-1995
    page.get_by_label("Nama lengkap").fill("Calon Mitra Uji")
    page.get_by_label("Tanggal lahir").fill("1995-07-15")
    page.get_by_label("Perempuan").check()
    page.get_by_label("Alamat").fill("Jl. Sawah Indah No. 3")
    page.get_by_label("Desa/kelurahan").fill("Sukamaju")
    page.get_by_label("Kecamatan").fill("Cibeunying")
    page.get_by_label("Nomor ponsel").fill("081234567890")
    page.get_by_label("Pendidikan terakhir").select_option("SMA/SMK")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".flash-success")).to_be_visible()


def upload_documents(page: Page, tmp_path: Path) -> None:
    photo, pdf = tmp_path / "foto.jpg", tmp_path / "berkas.pdf"
    photo.write_bytes(jpeg_bytes())
    pdf.write_bytes(pdf_bytes())
    page.goto("/dokumen")
    for kind in ("ktp", "photo", "diploma", "cv", "phone_spec", "application_letter"):
        section = page.locator("form", has=page.locator(f"#file-{kind}"))
        # The photo and the phone-spec screenshot are images; the other kinds take a PDF.
        picture = kind in ("photo", "phone_spec")
        section.locator(f"#file-{kind}").set_input_files(str(photo if picture else pdf))
        section.locator("button[type=submit]").click()
        expect(page.locator(".flash-success").first).to_be_visible()


def test_register_to_accepted_on_a_phone(
    app, phone_page, browser, live_server, outbox, make_office, make_activity, make_user, tmp_path
):
    office = make_office(region_code="3273")
    activity_id = make_activity(office)
    admin = make_user(Role.ADMIN, office=office)
    page = phone_page

    page.goto("/register")
    page.get_by_label("Nama lengkap").fill("Calon Mitra Uji")
    page.get_by_label("Surel").fill(EMAIL)
    page.get_by_label("Kata sandi").fill(CANDIDATE_PASSWORD)
    page.get_by_label(re.compile("Saya menyetujui")).check()
    page.get_by_role("button", name="Daftar").click()
    expect(page.locator(".flash-success")).to_be_visible()

    page.goto(activation_path(outbox))
    page.get_by_role("button", name="Aktifkan akun saya").click()
    expect(page.locator(".flash-success")).to_contain_text("aktif")

    log_in(page, EMAIL, CANDIDATE_PASSWORD)
    fill_profile(page)
    upload_documents(page, tmp_path)
    page.goto("/lamaran")
    page.get_by_role("link", name="Lamar", exact=True).click()
    for question in page.locator("fieldset.field").all():
        question.get_by_label("Ya").check()
    page.get_by_role("button", name="Kirim lamaran").click()
    expect(page.get_by_text("Lamaran dikirim").first).to_be_visible()

    with app.app_context():
        application_id = db.session.scalars(
            db.select(Application.id).where(Application.activity_id == activity_id)
        ).one()

    admin_context = browser.new_context(base_url=live_server.url, locale="id-ID")
    admin_page = admin_context.new_page()
    log_in(admin_page, admin.email, PASSWORD)
    admin_page.goto(f"/admin/lamaran/{application_id}")
    admin_page.get_by_label(re.compile("Terima")).check()
    admin_page.get_by_label(re.compile("Alasan")).fill("Berkas lengkap dan sesuai.")
    admin_page.get_by_role("button", name="Simpan keputusan").click()
    expect(admin_page.locator(".flash-success")).to_be_visible()
    admin_context.close()

    page.goto("/lamaran")
    expect(page.get_by_text("Diterima", exact=True).first).to_be_visible()
    expect(page.get_by_text("Berkas lengkap dan sesuai.")).to_be_visible()
