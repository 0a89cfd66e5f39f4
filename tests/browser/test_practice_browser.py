"""The practice test through the page on a phone (360x740), and the candidate's printable
result after publication; screenshots at 360 and 1280 px go to /tmp/shots-practice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Profile, Role
from exam_service.authoring.models import Category
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.core.privacy import mask_nik
from exam_service.exam.models import Attempt
from exam_service.feeds.dispatcher import ResultsDispatcher
from exam_service.practice import store
from exam_service.recruitment.models import Activity, Application
from tests.support.accounts import PASSWORD
from tests.support.practice import EXPLANATION, add_practice_bank, practice_keys

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-practice")
WIDE = {"width": 1280, "height": 900}


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def page(phone_page: Page) -> Iterator[Page]:
    """The phone page, left quiet before the tables are emptied (see test_exam_page_browser)."""
    yield phone_page
    phone_page.context.route("**/api/**", lambda route: route.abort())
    if phone_page.locator("#exam").count():
        expect(phone_page.locator("#exam")).to_have_attribute("data-requests", "0")
    phone_page.goto("about:blank")


def log_in(page: Page, email: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def test_a_practice_test_on_a_phone(app, page, make_user):
    with app.app_context():
        add_practice_bank()
        db.session.commit()
    user = make_user(Role.CANDIDATE)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    log_in(page, user.email, "/lamaran")
    # The candidate's navigation leads to it.
    page.get_by_role("link", name="Ujian latihan").click()
    page.wait_for_url("**/ujian-latihan")
    intro = page.locator("#exam-intro")
    expect(intro).to_be_visible()
    expect(intro.locator("#practice-intro")).to_contain_text("5 soal dengan waktu 10 menit")
    expect(page.locator("#exam-start")).to_be_enabled()
    shot(page, "practice-start-360")

    page.get_by_role("button", name="Mulai ujian").click()
    expect(page.locator("#exam-test")).to_be_visible()
    expect(page.locator("#exam-qnum")).to_have_text("Soal 1 dari 5")
    timer = int(page.locator("#exam-timer").get_attribute("data-remaining") or "0")
    assert 590 <= timer <= 600
    with app.app_context():
        keys = practice_keys(user.id)
        attempt_id = store.load(user.id).id
    wrong = "B" if keys[2] != "B" else "C"
    for position, choice in [(1, keys[1]), (2, wrong)]:
        page.locator(f'#exam-grid button[data-position="{position}"]').click()
        page.locator(f'#exam-option-list input[value="{choice}"]').check()
        expect(page.locator("#exam-qstate")).to_have_attribute("data-state", "saved")
    shot(page, "practice-question-360")
    with app.app_context():
        stored = store.load(user.id)
        assert {p: c for p, (_s, c) in stored.answers.items()} == {1: keys[1], 2: wrong}
        # Nothing of it in the database.
        assert db.session.scalar(db.select(db.func.count()).select_from(Attempt)) == 0

    page.get_by_role("button", name="Selesai dan kumpulkan").click()
    page.get_by_role("button", name="Ya, kumpulkan").click()
    result = page.locator("#practice-result")
    expect(result).to_be_visible()
    expect(page.locator("#practice-score")).to_have_text("1")
    expect(page.locator("#practice-max")).to_have_text("5")
    expect(page.locator("#practice-answered")).to_have_text("2 dari 5 soal dijawab.")
    expect(page.locator("#exam-receipt")).to_be_hidden()  # nothing is kept: no receipt
    first = page.locator('.practice-item[data-position="1"]')
    expect(first.locator(".practice-verdict")).to_have_text("Benar")
    second = page.locator('.practice-item[data-position="2"]')
    expect(second.locator(".practice-verdict")).to_have_text("Salah")
    expect(second.locator(".practice-option.is-key .exam-option-key")).to_have_text(f"{keys[2]}.")
    expect(second.locator(".practice-option.is-chosen .badge-err")).to_have_text("Jawaban Anda")
    expect(page.locator('.practice-item[data-position="3"] .practice-verdict')).to_have_text(
        "Tidak dijawab"
    )
    explained = page.locator(".practice-explanation")
    if explained.count():
        expect(explained.first).to_contain_text(EXPLANATION)
    shot(page, "practice-result-360")

    # The result survives a reload; "Ulangi latihan" starts a new practice test.
    page.reload()
    expect(page.locator("#practice-result")).to_be_visible()
    page.get_by_role("button", name="Ulangi latihan").click()
    expect(page.locator("#exam-test")).to_be_visible()
    expect(page.locator("#exam-grid button.answered")).to_have_count(0)
    with app.app_context():
        assert store.load(user.id).id != attempt_id

    page.set_viewport_size(WIDE)
    shot(page, "practice-question-1280")
    page.get_by_role("button", name="Selesai dan kumpulkan").click()
    page.get_by_role("button", name="Ya, kumpulkan").click()
    expect(page.locator("#practice-result")).to_be_visible()
    expect(page.locator("#practice-score")).to_have_text("0")
    shot(page, "practice-result-1280")
    assert errors == []


def test_the_printable_result_after_publication(
    app, page, login, activity_admin, exam_activity, scored_attempt
):
    activity_id = exam_activity()
    ani = scored_attempt(
        activity_id, {"hitung": ("22.5", "30"), "konsep": ("15", "20")}, full_name="Ani Lestari"
    )
    with app.app_context():
        db.session.get_one(Activity, activity_id).show_score_to_candidates = True
        names = {"hitung": "Aritmetika Dasar dan Persentase", "konsep": "Konsep Statistik Resmi"}
        for category in db.session.scalars(db.select(Category)):
            category.name = names[category.slug]
        db.session.commit()
    admin = login(activity_admin(activity_id))
    base = f"/api/v1/admin/activities/{activity_id}/selection"
    rule = {"method": "threshold", "threshold": "30", "category_minimums": {"konsep": "10"}}
    assert admin.put(base, json=rule).status_code == 200
    at = utcnow() + timedelta(days=5)
    assert (
        admin.post(f"{base}/schedule", json={"announcement_at": at.isoformat()}).status_code == 200
    )
    with app.app_context():
        ResultsDispatcher(app).tick(at + timedelta(seconds=1))
        application_id = db.session.scalar(
            db.select(Application.id).where(Application.user_id == ani.user.id)
        )
        masked = mask_nik(db.session.get_one(Profile, ani.user.id).nik)
    path = f"/lamaran/{application_id}/hasil"
    log_in(page, ani.email, path)
    sheet = page.locator("#result-sheet")
    expect(sheet.locator("#result-status")).to_contain_text("Lulus")
    expect(sheet.locator("#result-score")).to_have_text("37,5")
    expect(sheet.locator("#result-categories")).to_contain_text("Aritmetika Dasar dan Persentase")
    expect(sheet.locator("#result-categories")).to_contain_text("22,5 / 30")
    expect(sheet.locator("#result-rule")).to_contain_text("paling sedikit 30")
    expect(sheet.locator("#result-nik")).to_have_text(masked)
    expect(page.get_by_role("button", name="Cetak")).to_be_visible()
    shot(page, "result-360")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Cetak")).to_be_hidden()
    shot(page, "result-print-360")
    page.emulate_media(media="screen")
    page.set_viewport_size(WIDE)
    shot(page, "result-1280")
    # "Cetak" opens the browser's print dialog.
    page.evaluate(
        "() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }"
    )
    page.get_by_role("button", name="Cetak").click()
    assert page.evaluate("window.__printed") == 1


def test_the_editor_marks_a_practice_question(app, page, make_user):
    with app.app_context():
        question_id = add_practice_bank(per_category=1)[0]
        db.session.commit()
    author = make_user(Role.AUTHOR)
    log_in(page, author.email, f"/bank/soal/{question_id}")
    expect(page.locator("h1 .badge-warn")).to_have_text("Latihan")
    expect(page.get_by_label("Soal latihan")).to_be_checked()
    expect(page.get_by_label("Soal latihan")).to_be_disabled()  # active: it stays one
    expect(page.locator("#practice-locked")).to_be_visible()
    expect(page.get_by_label("Pembahasan", exact=False)).to_have_value(EXPLANATION)
    page.locator(".authoring-practice").scroll_into_view_if_needed()
    shot(page, "editor-practice-360")
    page.goto("/bank/soal?practice=latihan")
    expect(page.locator("#question-count")).to_have_text("2 soal")
    shot(page, "bank-list-practice-360")
