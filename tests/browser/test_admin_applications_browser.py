"""The administrative selection list in Chromium at 360 px and 1280 px, against the
live server: filter, tick, a bulk rejection and a bulk acceptance through the page,
each confirmed with its count first.

Set BULK_SHOTS_DIR to keep screenshots of each step at both widths.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import DocumentKind, Role
from exam_service.core.extensions import db
from exam_service.recruitment.models import Application, ApplicationStatus
from tests.support.accounts import PASSWORD
from tests.support.factories import (
    build_application,
    build_documents,
    build_profile,
    build_user,
)

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("BULK_SHOTS_DIR")
DESKTOP = {"width": 1280, "height": 800}
COMPLETE, INCOMPLETE = 60, 4


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


WIDE = """[...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"""


def body_fits(page: Page, width: int) -> bool:
    page.wait_for_load_state("load")  # the style sheet applied
    return page.evaluate(f"document.documentElement.scrollWidth <= {width}")


@pytest.fixture
def office_with_applications(app, make_office, make_user, make_activity):
    office = make_office(region_code="3273")
    admin = make_user(Role.ADMIN, office=office)
    activity_id = make_activity(office, name="Rekrutmen Mitra Sensus Uji 2026")
    without_cv = [k for k in DocumentKind if k is not DocumentKind.CV]
    with app.app_context():
        for i in range(COMPLETE + INCOMPLETE):
            user = build_user(name="Calon Mitra")
            db.session.flush()
            build_profile(user, regency_code="3204" if i % 9 == 0 else "3273")
            build_documents(user.id, without_cv if i >= COMPLETE else None)
            build_application(activity_id, user.id)
        db.session.commit()
    return admin


def statuses(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Application.status, db.func.count()).group_by(Application.status)
        ).all()
    return {str(status): n for status, n in rows}


@pytest.mark.parametrize("width", [360, 1280])
def test_bulk_decisions_through_the_page(app, phone_page: Page, office_with_applications, width):
    page = phone_page
    if width != 360:
        page.set_viewport_size(DESKTOP)
    page.goto("/login?next=/admin/lamaran")
    page.fill("#email", office_with_applications.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/lamaran")

    page.goto("/admin/lamaran?documents=complete&status=submitted")
    count = page.get_by_test_id("count")
    expect(count).to_contain_text("1-50 dari 60 lamaran")
    expect(count).to_contain_text("Halaman 1 dari 2")
    assert body_fits(page, width)
    if width == 360:
        # Each application is a card: the cells are stacked and carry their column name.
        display = page.evaluate(
            "getComputedStyle(document.querySelector('table.applications tbody td')).display"
        )
        assert display == "block"
    else:
        assert page.evaluate(
            "(() => { const w = document.querySelector('.table-wrap');"
            " return w.scrollWidth <= w.clientWidth + 1; })()"
        )
    shot(page, "list")

    # Tick two and reject them with one reason.
    boxes = page.locator('input[name="application_ids"]')
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    expect(page.locator('input[name="scope"][value="selected"]')).to_be_checked()
    page.fill("#reason", "Foto KTP tidak terbaca")
    shot(page, "ticked")
    page.get_by_role("button", name="Tolak dengan satu alasan").click()
    confirm = page.get_by_test_id("confirm")
    expect(confirm).to_contain_text("2 lamaran akan ditolak.")
    expect(confirm).to_contain_text("Foto KTP tidak terbaca")
    assert body_fits(page, width)
    shot(page, "confirm-reject")
    assert statuses(app) == {"submitted": COMPLETE + INCOMPLETE}
    page.get_by_role("button", name="Ya, tolak 2 lamaran").click()
    expect(page.locator(".flash")).to_contain_text("2 ditolak")
    assert statuses(app) == {"submitted": COMPLETE + INCOMPLETE - 2, "rejected": 2}

    # Accept every eligible application with complete documents of the whole list.
    page.goto("/admin/lamaran")
    page.get_by_role(
        "button", name="Terima semua yang memenuhi syarat dan dokumennya lengkap"
    ).click()
    expect(page.get_by_test_id("confirm")).to_contain_text("58 lamaran akan diterima.")
    expect(page.get_by_test_id("confirm")).to_contain_text("2 sudah ditolak")
    shot(page, "confirm-accept")
    page.get_by_role("button", name="Ya, terima 58 lamaran").click()
    expect(page.locator(".flash")).to_contain_text("58 diterima, 6 dilewati")
    shot(page, "done")
    assert body_fits(page, width), page.evaluate(WIDE)
    assert statuses(app) == {
        "accepted": 58,
        "rejected": 2,
        str(ApplicationStatus.SUBMITTED): INCOMPLETE,
    }


@pytest.mark.parametrize("width", [360, 1280])
def test_preference_filter_and_printed_documents_through_the_page(
    app, phone_page: Page, office_with_applications, width
):
    with app.app_context():
        # Ten of them have no motorbike.
        no_motorbike = db.session.scalars(db.select(Application.id).limit(10)).all()
        for application in db.session.scalars(
            db.select(Application).where(Application.id.in_(no_motorbike))
        ):
            application.owns_motorbike = False
        db.session.commit()
    page = phone_page
    if width != 360:
        page.set_viewport_size(DESKTOP)
    page.goto("/login?next=/admin/lamaran")
    page.fill("#email", office_with_applications.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/lamaran")

    page.locator("details.filters summary").click()
    page.get_by_label("Sepeda motor").check()
    page.get_by_role("button", name="Terapkan").click()
    expect(page.get_by_test_id("count")).to_contain_text(
        f"dari {COMPLETE + INCOMPLETE - 10} lamaran"
    )
    assert body_fits(page, width), page.evaluate(WIDE)
    shot(page, "preference-filter")

    boxes = page.locator('input[name="application_ids"]')
    boxes.nth(0).check()
    boxes.nth(1).check()
    boxes.nth(2).check()
    page.get_by_role("button", name="Tandai berkas fisik diterima (yang dicentang)").click()
    expect(page.locator(".flash")).to_contain_text("3 lamaran ditandai berkas fisiknya diterima")
    # Back on the same filtered list, which now says who has handed them in.
    expect(page.get_by_label("Sepeda motor")).to_be_checked()
    shot(page, "paper-marked")

    page.goto("/admin/lamaran?paper=missing")
    expect(page.get_by_test_id("count")).to_contain_text(
        f"dari {COMPLETE + INCOMPLETE - 3} lamaran"
    )
    with app.app_context():
        received = db.session.scalar(
            db.select(db.func.count(Application.id)).where(
                Application.paper_documents_received_at.is_not(None)
            )
        )
    assert received == 3
