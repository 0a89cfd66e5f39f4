"""Publication of the final selection at the announcement time, the public
announcement, and candidates' requests for a human review."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
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
