"""Applying on a phone (360 px): the activity's requirements, the declarations of the
announcement answered one by one, a missing answer shown on its question, then sent."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from exam_service.core.extensions import db
from exam_service.recruitment import declarations
from exam_service.recruitment.models import Application
from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.browser


def test_a_candidate_applies_with_the_declarations(
    app, phone_page: Page, make_office, make_activity, complete_candidate
):
    activity_id = make_activity(make_office(), name="Rekrutmen Mitra Sensus Uji 2027")
    user = complete_candidate()
    page = phone_page
    page.goto("/login?next=/lamaran")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/lamaran")

    page.locator("section.card", has_text="Rekrutmen Mitra Sensus Uji 2027").get_by_role(
        "link", name="Lamar"
    ).click()
    page.wait_for_url(f"**/kegiatan/{activity_id}/lamar")
    expect(page.get_by_text("Bukan ASN (syarat).")).to_be_visible()
    questions = page.locator("fieldset.field")
    expect(questions).to_have_count(len(declarations.DECLARATIONS))
    questions.nth(0).get_by_label("Ya").check()
    page.get_by_role("button", name="Kirim lamaran").click()
    # Nothing sent: each unanswered question says so, the answered one keeps its answer.
    expect(page.get_by_text("Pilih ya atau tidak.")).to_have_count(5)
    expect(questions.nth(0).get_by_label("Ya")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth <= 360")

    for i in range(1, len(declarations.DECLARATIONS)):
        questions.nth(i).get_by_label("Ya").check()
    page.locator("fieldset.field", has_text="sepeda motor").get_by_label("Tidak").check()
    page.get_by_role("button", name="Kirim lamaran").click()
    expect(page.locator(".flash")).to_contain_text("Lamaran Anda telah dikirim.")
    page.get_by_text("Pernyataan Anda saat melamar").click()
    expect(page.locator("details li", has_text="sepeda motor")).to_contain_text("Tidak")

    with app.app_context():
        application = db.session.scalars(db.select(Application)).one()
        assert application.not_civil_servant is True
        assert application.owns_motorbike is False
