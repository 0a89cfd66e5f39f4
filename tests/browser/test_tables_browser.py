"""Wide admin tables in Chromium at 360 px and at 1280 px, against the live server.

At 360 px a table of class "stack" shows each row as a card whose cells carry their
column's name (data-label), so the page body never scrolls sideways and every cell
is on screen; at 1280 px it is an ordinary table with nothing cut.

Set TABLES_SHOTS_DIR to keep screenshots of each page at both widths.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Role
from exam_service.core.extensions import db
from exam_service.exam.models import Attempt
from exam_service.scheduling.models import Booking
from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("TABLES_SHOTS_DIR")
PHONE_WIDTH, DESKTOP = 360, {"width": 1280, "height": 800}


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


def log_in(page: Page, email: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def body_fits(page: Page, width: int) -> bool:
    return page.evaluate(f"document.documentElement.scrollWidth <= {width}")


def cells_off_screen(page: Page, table: str, width: int) -> list[str]:
    """Cells of `table` that are not wholly between 0 and `width` (none when stacked)."""
    return page.evaluate(
        """([selector, width]) => [...document.querySelectorAll(selector + ' tbody td')]
            .filter(td => td.offsetParent !== null)
            .filter(td => { const r = td.getBoundingClientRect();
                            return r.left < -0.5 || r.right > width + 0.5; })
            .map(td => td.dataset.label || td.textContent.trim().slice(0, 30))""",
        [table, width],
    )


def wrap_scrolls(page: Page, table: str) -> bool:
    """Whether the table's box is wider than its scroll container (content cut off)."""
    return page.evaluate(
        f"""(() => {{ const w = document.querySelector('{table}').closest('.table-wrap');
            return w.scrollWidth > w.clientWidth; }})()"""
    )


def labels_shown(page: Page, table: str) -> list[str]:
    """The column names drawn before the cells (the CSS ::before from data-label)."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector + ' tbody td[data-label]')]
            .map(td => getComputedStyle(td, '::before').content)
            .filter(c => c && c !== 'none' && c !== 'normal')""",
        table,
    )


def not_cut_on_desktop(page: Page, table: str) -> None:
    """A real table at 1280 px whose every column is inside its box, unclipped."""
    page.set_viewport_size(DESKTOP)
    assert body_fits(page, DESKTOP["width"])
    assert (
        page.evaluate(f"getComputedStyle(document.querySelector('{table} tbody td')).display")
        == "table-cell"
    )
    wrap = page.evaluate(
        f"""(() => {{ const w = document.querySelector('{table}').closest('.table-wrap');
            return [w.scrollWidth, w.clientWidth]; }})()"""
    )
    assert wrap[0] <= wrap[1], f"{table} is cut at 1280 px: {wrap}"
    expect(page.locator(f"{table} thead th").first).to_be_visible()


@pytest.fixture
def graded_activity(app, exam_activity, book_candidate, login, activity_admin):
    """An activity with three graded attempts in one session, and its admin."""
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    booked = [first, *(book_candidate(activity_id, session_id=first.session_id) for _ in "ab")]
    for n, candidate in enumerate(booked):
        client = login(candidate.user)
        attempt_id = client.post("/api/v1/me/attempt").json["attempt_id"]
        with app.app_context():
            items = db.session.get_one(Attempt, attempt_id).items
            keys = ["ABCD"[item.option_order.index(0)] for item in items]
        for seq, key in enumerate(keys[: n + 2], start=1):
            client.put(f"/api/v1/me/attempt/answers/{seq}", json={"choice": key, "seq": seq})
        assert client.post("/api/v1/me/attempt/submit").status_code == 200
    with app.app_context():
        application_id = db.session.get_one(Booking, first.booking_id).application_id
    admin = activity_admin(activity_id)
    return activity_id, first.session_id, application_id, admin


def test_results_and_sessions_tables_at_360_and_1280(phone_page: Page, graded_activity):
    activity_id, _session_id, _application_id, admin = graded_activity
    page = phone_page
    results = f"/admin/kegiatan/{activity_id}/hasil"
    log_in(page, admin.email, results)

    table = "main table.stack"
    expect(page.locator(f"{table} tbody tr")).to_have_count(3)
    assert body_fits(page, PHONE_WIDTH)
    assert cells_off_screen(page, table, PHONE_WIDTH) == []
    assert not wrap_scrolls(page, table)
    shown = labels_shown(page, table)
    assert '"Skor Hitung"' in shown
    assert '"Nama"' in shown
    expect(page.locator(f"{table} tbody tr").first.locator('td[data-label="Skor"]')).to_be_visible()
    shot(page, "results")
    not_cut_on_desktop(page, table)
    shot(page, "results")

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    page.goto(f"/admin/kegiatan/{activity_id}/ubah")
    expect(page.get_by_label("Durasi ujian (menit)")).to_have_value("60")
    assert body_fits(page, PHONE_WIDTH)
    shot(page, "activity-form")

    page.goto(f"/admin/kegiatan/{activity_id}/sesi")
    expect(page.locator(f"{table} tbody tr")).to_have_count(1)
    assert body_fits(page, PHONE_WIDTH)
    assert cells_off_screen(page, table, PHONE_WIDTH) == []
    assert not wrap_scrolls(page, table)
    expect(page.locator(f"{table} tbody").get_by_role("button", name="Simpan")).to_be_in_viewport()
    shot(page, "sessions")
    not_cut_on_desktop(page, table)
    shot(page, "sessions")


def test_application_detail_and_rulings_at_360_and_1280(phone_page: Page, graded_activity):
    activity_id, _session_id, application_id, admin = graded_activity
    page = phone_page
    detail = f"/admin/lamaran/{application_id}"
    log_in(page, admin.email, detail)
    page.reload()  # a second view: one grouped history row
    assert body_fits(page, PHONE_WIDTH)
    assert cells_off_screen(page, "main table.stack", PHONE_WIDTH) == []
    assert not wrap_scrolls(page, "#history")
    expect(page.locator("#history tbody tr")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("2x")
    shot(page, "application")
    page.set_viewport_size(DESKTOP)
    assert body_fits(page, DESKTOP["width"])
    shot(page, "application")

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    page.goto(f"/admin/kegiatan/{activity_id}/soal-bermasalah")
    assert body_fits(page, PHONE_WIDTH)
    assert cells_off_screen(page, "#rulings", PHONE_WIDTH) == []
    assert not wrap_scrolls(page, "#rulings")
    shot(page, "rulings")
    page.locator("#rulings tbody tr").first.get_by_role("link", name="Tetapkan").click()
    page.get_by_label("Soal dibatalkan", exact=False).check()
    page.fill("#reason", "Kunci jawaban keliru")
    page.get_by_role("button", name="Simpan dan nilai ulang").click()
    expect(page.locator("main .error")).to_contain_text("Centang untuk memastikan")
    assert body_fits(page, PHONE_WIDTH)
    shot(page, "ruling-form")
    page.get_by_label("Saya yakin", exact=False).check()
    page.get_by_role("button", name="Simpan dan nilai ulang").click()
    expect(page.locator(".flash-success")).to_contain_text(re.compile(r"[1-3] ujian dinilai ulang"))
    expect(page.locator("#rulings")).to_contain_text("Soal dibatalkan")
    assert body_fits(page, PHONE_WIDTH)
    assert not wrap_scrolls(page, "#rulings")
    shot(page, "rulings-ruled")
    page.set_viewport_size(DESKTOP)
    not_cut_on_desktop(page, "#rulings")
    shot(page, "rulings-ruled")


def test_blueprint_difficulty_columns_and_roster_at_360_and_1280(
    phone_page: Page, graded_activity, make_user
):
    activity_id, session_id, _application_id, admin = graded_activity
    page = phone_page
    log_in(page, admin.email, f"/admin/sesi/{session_id}/peserta")
    table = "main table.stack"
    expect(page.locator(f"{table} tbody tr")).to_have_count(3)
    assert body_fits(page, PHONE_WIDTH)
    assert cells_off_screen(page, table, PHONE_WIDTH) == []
    assert not wrap_scrolls(page, table)
    shot(page, "roster")
    not_cut_on_desktop(page, table)
    shot(page, "roster")

    page.context.clear_cookies()
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    author = make_user(Role.AUTHOR)
    log_in(page, author.email, f"/bank/kisi-kisi/{activity_id}")
    expect(page.locator(f"{table} tbody tr").first).to_be_visible()
    assert body_fits(page, PHONE_WIDTH)
    assert cells_off_screen(page, table, PHONE_WIDTH) == []
    assert not wrap_scrolls(page, table)
    assert '"Sulit"' in labels_shown(page, table)
    shot(page, "blueprint")
    not_cut_on_desktop(page, table)
    shot(page, "blueprint")
