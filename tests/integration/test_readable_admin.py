"""Admin pages people read: durations in minutes, grouped audit history, category
names in tables, and the item rulings page (admins of the activity's office)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from exam_service.accounts.models import Role
from exam_service.core.audit import AuditEvent
from exam_service.core.extensions import db
from exam_service.exam.models import Attempt, ItemRuling
from exam_service.journey.service import group_history
from exam_service.recruitment.models import Activity
from exam_service.recruitment.service import DECISION, VIEW_PERSONAL_DATA, HistoryEntry
from exam_service.scheduling.models import Booking

ACTIVITY_FORM = {
    "name": "Survei Menit",
    "registration_opens_at": "2026-11-06T08:00",
    "registration_closes_at": "2026-11-10T23:59",
    "booking_opens_at": "2026-11-14T08:00",
    "booking_closes_at": "2026-11-30T16:00",
    "announcement_at": "",
    "test_question_count": "30",
    "test_duration_minutes": "90",
    "min_education": "SMA/SMK",
    "preferred_min_age": "18",
    "preferred_max_age": "50",
}


@pytest.fixture
def office(make_office):
    return make_office()


@pytest.fixture
def admin(office, make_user, login):
    return login(make_user(Role.ADMIN, office=office))


@pytest.fixture
def session_admin(login, activity_admin):
    return lambda activity_id: login(activity_admin(activity_id))


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- test duration in minutes ---------------------------------------------------------


def test_activity_form_takes_minutes_and_stores_seconds(app, admin):
    page = _text(admin.get("/admin/kegiatan/baru"))
    assert "Durasi ujian (menit)" in page
    assert 'name="test_duration_minutes"' in page
    assert 'value="60"' in page
    created = admin.submit_form("/admin/kegiatan/baru", ACTIVITY_FORM)
    assert created.status_code == 303, _text(created)
    with app.app_context():
        activity = db.session.scalars(db.select(Activity)).one()
        assert activity.test_duration_seconds == 90 * 60
        activity_id = activity.id
    # The API keeps its contract in seconds.
    listed = admin.get("/api/v1/admin/activities").json["items"]
    assert [a["test_duration_seconds"] for a in listed] == [5400]
    # Editing shows minutes again.
    edit = _text(admin.get(f"/admin/kegiatan/{activity_id}/ubah"))
    assert re.search(r'name="test_duration_minutes"[^>]*value="90"', edit)


def test_activity_form_refuses_minutes_out_of_range(app, admin):
    refused = admin.submit_form(
        "/admin/kegiatan/baru", {**ACTIVITY_FORM, "test_duration_minutes": "241"}
    )
    assert refused.status_code == 422
    assert "Durasi ujian harus antara 1 dan 240 menit." in _text(refused)
    with app.app_context():
        assert db.session.scalars(db.select(Activity)).first() is None


# --- grouped audit history ------------------------------------------------------------


def _entry(minute: int, actor: str = "Admin Satu", action: str = VIEW_PERSONAL_DATA, **details):
    at = datetime(2026, 12, 4, 3, minute, tzinfo=UTC)
    return HistoryEntry(at, actor, action, details or {"fields": ["nik", "documents"]})


def test_group_history_collapses_runs_of_the_same_view_only():
    entries = [
        *[_entry(m) for m in range(3)],
        _entry(3, action=DECISION, decision="accepted"),
        _entry(4),
        _entry(5, actor="Admin Dua"),
        _entry(6),
        _entry(7),
    ]
    groups = group_history(entries)
    assert [(g.actor, g.action, g.count) for g in groups] == [
        ("Admin Satu", VIEW_PERSONAL_DATA, 3),
        ("Admin Satu", DECISION, 1),
        ("Admin Satu", VIEW_PERSONAL_DATA, 1),
        ("Admin Dua", VIEW_PERSONAL_DATA, 1),
        ("Admin Satu", VIEW_PERSONAL_DATA, 2),
    ]
    assert groups[0].first_at.minute == 0
    assert groups[0].last_at.minute == 2
    # Two identical decisions are two events, never a count.
    twice = group_history([_entry(0, action=DECISION), _entry(1, action=DECISION)])
    assert [g.count for g in twice] == [1, 1]


def test_admin_application_page_groups_repeated_views(
    app, exam_activity, book_candidate, session_admin
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    with app.app_context():
        application_id = db.session.get_one(Booking, booked.booking_id).application_id
    admin = session_admin(activity_id)
    for _ in range(4):
        assert admin.get(f"/admin/lamaran/{application_id}").status_code == 200
    page = _text(admin.get(f"/admin/lamaran/{application_id}"))
    with app.app_context():
        views = db.session.scalar(
            db.select(db.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == VIEW_PERSONAL_DATA, AuditEvent.object_id == application_id)
        )
    assert views == 5  # every view is still audited ...
    history = page.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert history.count("<tr") == 2  # header + one grouped row
    assert "5x" in history
    assert "terakhir" in history
    assert "WIB" in history


# --- category names, not codes ----------------------------------------------------------


def _graded_attempt(app, exam_activity, book_candidate, login, choose_wrong: bool = True):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    candidate = login(booked.user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    with app.app_context():
        item = db.session.get_one(Attempt, attempt_id).items[0]
        wrong = "ABCD"[item.option_order.index(1)]  # original option 1 is never the key
        version_id = item.question_version_id
    if choose_wrong:
        candidate.put("/api/v1/me/attempt/answers/1", json={"choice": wrong, "seq": 1})
    assert candidate.post("/api/v1/me/attempt/submit").status_code == 200
    return activity_id, attempt_id, version_id


def test_results_page_titles_category_columns_with_names(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id, _attempt, _version = _graded_attempt(app, exam_activity, book_candidate, login)
    page = _text(session_admin(activity_id).get(f"/admin/kegiatan/{activity_id}/hasil"))
    assert "Skor Hitung" in page
    assert "Skor Konsep" in page
    assert "Skor hitung" not in page
    assert 'class="stack"' in page
    assert 'data-label="Skor Hitung"' in page


# --- item rulings page ------------------------------------------------------------------


def test_rulings_page_applies_a_ruling_after_confirmation_and_says_how_many_regraded(
    app, exam_activity, book_candidate, login, session_admin
):
    activity_id, attempt_id, version_id = _graded_attempt(app, exam_activity, book_candidate, login)
    with app.app_context():
        before = db.session.get_one(Attempt, attempt_id).score
    admin = session_admin(activity_id)
    listing = admin.get(f"/admin/kegiatan/{activity_id}/soal-bermasalah")
    assert listing.status_code == 200
    assert f'id="versi-{version_id}"' in _text(listing)
    # The results page links to it.
    results = _text(admin.get(f"/admin/kegiatan/{activity_id}/hasil"))
    assert f"/admin/kegiatan/{activity_id}/soal-bermasalah" in results

    url = f"/admin/kegiatan/{activity_id}/soal-bermasalah/{version_id}"
    assert admin.get(url).status_code == 200
    unconfirmed = admin.submit_form(url, {"rule": "full_credit", "reason": "Dua kunci"})
    assert unconfirmed.status_code == 422
    assert "Centang untuk memastikan penilaian ulang." in _text(unconfirmed)
    with app.app_context():
        assert db.session.get(ItemRuling, (activity_id, version_id)) is None

    done = admin.submit_form(
        url, {"rule": "full_credit", "reason": "Dua kunci", "confirm": "y"}, follow_redirects=True
    )
    assert done.status_code == 200
    body = _text(done)
    assert "Keputusan disimpan: 1 ujian dinilai ulang." in body
    assert "Semua pilihan dianggap benar" in body
    with app.app_context():
        attempt = db.session.get_one(Attempt, attempt_id)
        assert attempt.grading_version == 2
        assert attempt.score > before
        ruling = db.session.get_one(ItemRuling, (activity_id, version_id))
        assert ruling.rule == "full_credit"
        assert ruling.reason == "Dua kunci"


def test_rulings_are_for_admins_of_the_activity_office_only(
    app, exam_activity, book_candidate, login, session_admin, make_user, make_office
):
    activity_id, _attempt, version_id = _graded_attempt(app, exam_activity, book_candidate, login)
    url = f"/admin/kegiatan/{activity_id}/soal-bermasalah"
    stranger = login(make_user(Role.ADMIN, office=make_office()))
    assert stranger.get(url).status_code == 404
    refused = stranger.submit_form(
        f"{url}/{version_id}", {"rule": "drop", "reason": "x", "confirm": "y"}
    )
    assert refused.status_code == 404
    author = login(make_user(Role.AUTHOR))
    assert author.get(url).status_code == 403
    with app.app_context():
        assert db.session.get(ItemRuling, (activity_id, version_id)) is None
    # The own office's admin may.
    assert session_admin(activity_id).get(url).status_code == 200
