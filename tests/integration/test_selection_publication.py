"""Publication of the final selection at the announcement time, the public
announcement, and candidates' requests for a human review."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from exam_service.authoring.models import Category
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam.models import Attempt
from exam_service.feeds.dispatcher import ResultsDispatcher
from exam_service.feeds.models import OutboxEvent
from exam_service.recruitment.models import Activity, Application
from exam_service.selection import service as selection
from exam_service.worker import Worker
from tests.support.feeds import schedule_quota_selection

FULL_NIK = re.compile(r"\b\d{16}\b")


@pytest.fixture
def scheduled(app, login, activity_admin, exam_activity, scored_attempt, book_candidate):
    """Two who sat the test (Ani passes with a quota of 1, Budi does not) and one who
    never did; the announcement is scheduled five days ahead."""
    activity_id = exam_activity()
    ani = scored_attempt(activity_id, {"hitung": ("3", "3")}, full_name="Ani Lestari")
    budi = scored_attempt(activity_id, {"hitung": ("1", "3")}, full_name="Budi Santoso")
    absent = book_candidate(activity_id)
    admin = login(activity_admin(activity_id))
    response, _ = schedule_quota_selection(admin, activity_id)
    assert response.json["scheduled"] is True
    with app.app_context():
        announcement_at = db.session.get_one(Activity, activity_id).announcement_at
    return {
        "activity_id": activity_id,
        "admin": admin,
        "ani": login(ani.user),
        "budi": login(budi.user),
        "absent": login(absent.user),
        "at": announcement_at,
    }


def _application(client) -> dict:
    [application] = client.get("/api/v1/me/applications").json["items"]
    return application


def _result(client) -> dict:
    application_id = _application(client)["application_id"]
    return client.get(f"/api/v1/me/applications/{application_id}/result").json


def _publish_at(app, now: datetime) -> None:
    with app.app_context():
        ResultsDispatcher(app).tick(now)


def test_nothing_shows_before_the_announcement_time(app, client, scheduled):
    _publish_at(app, scheduled["at"] - timedelta(seconds=1))
    for who in ("ani", "budi", "absent"):
        assert _application(scheduled[who])["status"] == "accepted"
        assert _result(scheduled[who]) == {
            "application_id": _application(scheduled[who])["application_id"],
            "published": False,
            "status": None,
            "published_at": None,
            "score": None,
            "max_score": None,
            "rank": None,
            "categories": [],
            "method": None,
            "threshold": None,
            "quota": None,
            "review": None,
        }
    page = client.get(f"/pengumuman/{scheduled['activity_id']}").get_data(as_text=True)
    assert "belum diumumkan" in page
    assert "Ani Lestari" not in page
    with app.app_context():
        assert db.session.scalars(db.select(OutboxEvent.type)).all() == [
            "attempt.graded",
            "attempt.graded",
        ]


def test_at_the_announcement_time_statuses_page_and_events_appear(app, client, scheduled):
    _publish_at(app, scheduled["at"] + timedelta(seconds=1))
    assert _application(scheduled["ani"])["status"] == "passed"
    assert _application(scheduled["budi"])["status"] == "not_passed"
    assert _application(scheduled["absent"])["status"] == "not_passed"
    ani = _result(scheduled["ani"])
    assert ani["published"] is True
    assert ani["status"] == "passed"
    assert ani["score"] is None  # the activity does not show scores to candidates

    page = client.get(f"/pengumuman/{scheduled['activity_id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ani Lestari" in html
    assert "Budi Santoso" not in html
    assert re.search(r"3273\*{8}\d{4}", html)
    assert not FULL_NIK.search(html)
    assert 'id="print-button"' in html
    assert "announcement.js" in html

    with app.app_context():
        events = db.session.scalars(
            db.select(OutboxEvent).where(OutboxEvent.type == "result.published")
        ).all()
        assert sorted(e.payload["status"] for e in events) == ["not_passed", "not_passed", "passed"]
        assert not any(FULL_NIK.search(str(e.payload)) for e in events)
        db.session.get_one(Activity, scheduled["activity_id"]).show_score_to_candidates = True
        db.session.commit()
    assert _result(scheduled["ani"])["score"] == "3"
    assert _result(scheduled["ani"])["rank"] == 1

    # Published once: a second round changes nothing, and the rule is locked.
    _publish_at(app, scheduled["at"] + timedelta(seconds=2))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEvent)) == 5
    base = f"/api/v1/admin/activities/{scheduled['activity_id']}/selection"
    locked = scheduled["admin"].put(base, json={"method": "quota", "quota": 3})
    assert locked.status_code == 409
    assert locked.json["error"]["code"] == "selection_published"
    assert scheduled["admin"].delete(f"{base}/schedule").status_code == 409


def test_the_worker_publishes_when_the_time_has_come(app, scheduled):
    with app.app_context():
        db.session.get_one(Activity, scheduled["activity_id"]).announcement_at = utcnow()
        db.session.commit()
    Worker(app).tick()
    assert _application(scheduled["ani"])["status"] == "passed"


def test_scheduling_rules(app, login, activity_admin, exam_activity):
    activity_id = exam_activity()
    admin = login(activity_admin(activity_id))
    base = f"/api/v1/admin/activities/{activity_id}/selection"
    later = (utcnow() + timedelta(days=10)).isoformat()
    no_rule = admin.post(f"{base}/schedule", json={"announcement_at": later})
    assert no_rule.status_code == 409
    admin.put(base, json={"method": "quota", "quota": 1})
    for too_early in (utcnow() - timedelta(hours=1), utcnow() + timedelta(days=1)):
        response = admin.post(f"{base}/schedule", json={"announcement_at": too_early.isoformat()})
        assert response.status_code == 422
        assert "announcement_at" in response.json["error"]["details"]
    assert admin.post(f"{base}/schedule", json={"announcement_at": later}).status_code == 200
    unscheduled = admin.delete(f"{base}/schedule")
    assert unscheduled.json["scheduled"] is False
    with app.app_context():
        assert selection.due_publications(utcnow() + timedelta(days=11)) == []


def test_candidates_ask_for_a_review_and_admins_answer(app, login, make_user, scheduled):
    ani = scheduled["ani"]
    application_id = _application(ani)["application_id"]
    url = f"/api/v1/me/applications/{application_id}/review-request"
    reason = {"reason": "Saya yakin jawaban nomor 3 saya benar."}
    too_soon = ani.post(url, json=reason)
    assert too_soon.status_code == 409
    assert too_soon.json["error"]["code"] == "not_published"

    _publish_at(app, scheduled["at"] + timedelta(seconds=1))
    assert ani.post(url, json={"reason": "pendek"}).status_code == 422
    created = ani.post(url, json=reason)
    assert created.status_code == 201
    assert ani.post(url, json=reason).status_code == 409
    assert scheduled["budi"].post(url, json=reason).status_code == 404

    admin = scheduled["admin"]
    listed = admin.get(f"/api/v1/admin/activities/{scheduled['activity_id']}/review-requests").json[
        "items"
    ]
    assert [(r["full_name"], r["outcome"], r["answer"]) for r in listed] == [
        ("Ani Lestari", "passed", None)
    ]
    assert not FULL_NIK.search(str(listed))
    answer_url = f"/api/v1/admin/review-requests/{created.json['id']}/answer"
    answered = admin.post(answer_url, json={"answer": "Sudah diperiksa ulang: nilai tetap."})
    assert answered.status_code == 200
    assert admin.post(answer_url, json={"answer": "lagi"}).status_code == 409
    assert _result(ani)["review"]["answer"] == "Sudah diperiksa ulang: nilai tetap."
    page = admin.get(f"/admin/kegiatan/{scheduled['activity_id']}/peninjauan")
    assert "Sudah diperiksa ulang" in page.get_data(as_text=True)


def test_the_review_form_on_the_result_page(app, scheduled):
    budi = scheduled["budi"]
    application_id = _application(budi)["application_id"]
    page = f"/lamaran/{application_id}/hasil"
    assert "belum diumumkan" in budi.get(page).get_data(as_text=True)
    _publish_at(app, scheduled["at"] + timedelta(seconds=1))
    html = budi.get(page).get_data(as_text=True)
    assert "Tidak lulus" in html
    assert "Minta peninjauan" in html
    sent = budi.submit_form(page, {"reason": "Mohon periksa kembali skor saya."})
    assert sent.status_code == 303
    assert "Menunggu jawaban panitia" in budi.get(page).get_data(as_text=True)
    assert scheduled["ani"].get(page).status_code == 404
    with app.app_context():
        status = db.session.get_one(Application, application_id).status
    assert status == "not_passed"


# --- the candidate's result after publication: per category, the pass mark, printable ---------


@pytest.fixture
def with_scores(app, login, activity_admin, exam_activity, scored_attempt):
    """An activity that shows scores, with a threshold and a category minimum; Ani passes
    (4 of 5), Budi does not (below the minimum of "konsep"). Categories have names."""
    activity_id = exam_activity()
    ani = scored_attempt(
        activity_id, {"hitung": ("2.5", "3"), "konsep": ("1.5", "2")}, full_name="Ani Lestari"
    )
    budi = scored_attempt(
        activity_id, {"hitung": ("3", "3"), "konsep": ("0.5", "2")}, full_name="Budi Santoso"
    )
    with app.app_context():
        db.session.get_one(Activity, activity_id).show_score_to_candidates = True
        for category in db.session.scalars(db.select(Category)):
            category.name = {"hitung": "Berhitung Dasar", "konsep": "Konsep Statistik"}[
                category.slug
            ]
        db.session.commit()
    admin = login(activity_admin(activity_id))
    base = f"/api/v1/admin/activities/{activity_id}/selection"
    rule = {"method": "threshold", "threshold": "3.5", "category_minimums": {"konsep": "1"}}
    assert admin.put(base, json=rule).status_code == 200
    at = utcnow() + timedelta(days=5)
    assert (
        admin.post(f"{base}/schedule", json={"announcement_at": at.isoformat()}).status_code == 200
    )
    return {"activity_id": activity_id, "ani": login(ani.user), "budi": login(budi.user), "at": at}


def test_the_result_shows_each_category_by_name_and_the_pass_mark(app, with_scores):
    ani = with_scores["ani"]
    application_id = _application(ani)["application_id"]
    page = f"/lamaran/{application_id}/hasil"
    before = ani.get(page).get_data(as_text=True)
    assert "belum diumumkan" in before
    assert "Berhitung Dasar" not in before
    assert 'id="print-button"' not in before

    _publish_at(app, with_scores["at"] + timedelta(seconds=1))
    result = _result(ani)
    assert (result["status"], result["score"], result["max_score"]) == ("passed", "4", "5")
    assert (result["method"], result["threshold"], result["quota"]) == ("threshold", "3.5", None)
    assert result["categories"] == [
        {"slug": "hitung", "name": "Berhitung Dasar", "score": "2.5", "max_score": "3",
         "minimum": None},
        {"slug": "konsep", "name": "Konsep Statistik", "score": "1.5", "max_score": "2",
         "minimum": "1"},
    ]  # fmt: skip

    html = ani.get(page).get_data(as_text=True)
    assert "Lulus" in html
    for text in ("Berhitung Dasar", "Konsep Statistik", "2,5 / 3", "1,5 / 2"):
        assert text in html
    assert "paling sedikit 3,5" in html  # the pass mark, as Indonesians read it
    assert not re.search(r"\b\d+\.\d", html.split('id="result-sheet"')[1].split("</article>")[0])
    assert ">hitung<" not in html
    assert ">konsep<" not in html
    # Printable: the office, the candidate, a masked NIK, the activity, dates in WIB.
    assert 'id="print-button"' in html
    assert "announcement.js" in html
    assert "Ani Lestari" in html
    assert re.search(r"3273\*{8}\d{4}", html)
    assert not FULL_NIK.search(html)
    with app.app_context():
        activity = db.session.get_one(Activity, with_scores["activity_id"])
        assert activity.office.name in html
        assert activity.name in html
    assert html.count(" WIB") >= 2

    budi = with_scores["budi"]
    budi_html = budi.get(f"/lamaran/{_application(budi)['application_id']}/hasil").get_data(
        as_text=True
    )
    assert "Tidak lulus" in budi_html
    assert 'class="below"' in budi_html  # konsep 0,5 under its minimum 1
    # Never another candidate's.
    assert budi.get(page).status_code == 404
    assert budi.get(f"/api/v1/me/applications/{application_id}/result").status_code == 404


def test_the_scores_stay_as_published_when_the_attempt_is_regraded(app, with_scores):
    _publish_at(app, with_scores["at"] + timedelta(seconds=1))
    ani = with_scores["ani"]
    with app.app_context():
        for attempt in db.session.scalars(db.select(Attempt)):
            attempt.category_scores = {"hitung": {"score": "0", "max": "3"}}
        db.session.commit()
    assert [c["score"] for c in _result(ani)["categories"]] == ["2.5", "1.5"]


def test_without_showing_scores_only_the_outcome_is_shown(app, with_scores):
    with app.app_context():
        db.session.get_one(Activity, with_scores["activity_id"]).show_score_to_candidates = False
        db.session.commit()
    _publish_at(app, with_scores["at"] + timedelta(seconds=1))
    ani = with_scores["ani"]
    result = _result(ani)
    assert result["status"] == "passed"
    assert (result["score"], result["categories"], result["threshold"]) == (None, [], None)
    html = ani.get(f"/lamaran/{_application(ani)['application_id']}/hasil").get_data(as_text=True)
    assert "Lulus" in html
    assert "Berhitung Dasar" not in html
    assert 'id="result-categories"' not in html
    assert 'id="print-button"' in html  # the outcome itself can still be printed
