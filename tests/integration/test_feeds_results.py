"""The results feed for the recruitment system: API keys, paging, regrades, masking."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from exam_service.accounts.models import Role
from exam_service.core.audit import AuditEvent
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam import service as exam
from exam_service.exam.models import Attempt
from exam_service.feeds.keys import PII_READ, RESULTS_READ, hash_key
from exam_service.feeds.models import ApiKey
from tests.support.feeds import bearer

FULL_NIK = re.compile(r"\b\d{16}\b")


def _all_items(client, secret: str, limit: int = 2, **params) -> tuple[list[dict], str]:
    """Page through the whole feed; returns the items and the last cursor."""
    items, cursor = [], ""
    while True:
        response = client.get(
            "/api/v1/results",
            query_string={"after": cursor, "limit": limit, **params},
            headers=bearer(secret),
        )
        assert response.status_code == 200, response.json
        page = response.json
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor


def test_results_need_a_key_with_the_results_scope(
    client, login, make_user, make_office, api_key, exam_activity, graded_attempt
):
    graded_attempt(exam_activity())
    assert client.get("/api/v1/results").status_code == 401
    admin = login(make_user(Role.ADMIN, office=make_office()))
    cookie_only = admin.get("/api/v1/results")
    assert cookie_only.status_code == 401
    assert cookie_only.json["error"]["code"] == "unauthorized"
    no_scope = client.get("/api/v1/results", headers=bearer(api_key(PII_READ)))
    assert no_scope.status_code == 403
    unknown = client.get("/api/v1/results", headers=bearer("rk_not-a-real-key"))
    assert unknown.status_code == 401
    basic = client.get("/api/v1/results", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    assert client.get("/api/v1/results", headers=bearer(api_key())).status_code == 200


def test_the_feed_pages_in_a_stable_order_with_every_field(
    app, client, api_key, exam_activity, graded_attempt
):
    activity_id = exam_activity()
    booked = [graded_attempt(activity_id, answers={1: "A", 2: "B"}) for _ in range(5)]
    secret = api_key()

    first = client.get("/api/v1/results?limit=2", headers=bearer(secret)).json
    assert len(first["items"]) == 2
    assert first["has_more"] is True
    items, cursor = _all_items(client, secret)
    assert [i["candidate"]["id"] for i in items] == [b.user.id for b in booked]
    assert items[:2] == first["items"]

    item = items[0]
    with app.app_context():
        attempt = db.session.scalars(
            db.select(Attempt).where(Attempt.user_id == booked[0].user.id)
        ).one()
        assert item["attempt_id"] == attempt.id
        assert item["session_id"] == attempt.session_id
    assert item["activity_id"] == activity_id
    assert item["application_id"] > 0
    assert item["finish_reason"] == "submitted"
    assert item["grading_version"] == 1
    assert set(item["category_scores"]) == {"hitung", "konsep"}
    parts = item["category_scores"].values()
    assert sum(Decimal(p["score"]) for p in parts) == Decimal(item["score"])
    assert sum(Decimal(p["max"]) for p in parts) == Decimal(item["max_score"])
    assert all(set(part) == {"score", "max"} for part in item["category_scores"].values())
    assert item["started_at"]
    assert item["finished_at"]
    assert item["graded_at"]
    assert re.fullmatch(r"3273\*{8}\d{4}", item["candidate"]["nik"])
    assert item["candidate"]["full_name"].startswith("Peserta Uji")

    # The end of the feed: an empty page and the same cursor, to poll with.
    end = client.get(f"/api/v1/results?after={cursor}", headers=bearer(secret)).json
    assert end == {"items": [], "next_cursor": cursor, "has_more": False}


def test_a_regrade_puts_the_attempt_back_after_the_cursor(
    app, client, api_key, exam_activity, graded_attempt
):
    activity_id = exam_activity()
    first, second = graded_attempt(activity_id), graded_attempt(activity_id)
    secret = api_key()
    items, cursor = _all_items(client, secret)
    assert len(items) == 2
    with app.app_context():
        attempt = db.session.scalars(
            db.select(Attempt).where(Attempt.user_id == first.user.id)
        ).one()
        exam.grade(attempt)
        db.session.commit()

    page = client.get(f"/api/v1/results?after={cursor}", headers=bearer(secret)).json
    assert [i["candidate"]["id"] for i in page["items"]] == [first.user.id]
    assert page["items"][0]["grading_version"] == 2
    # From the start, each attempt appears once, at its latest version and position.
    again, _cursor = _all_items(client, secret)
    assert [(i["candidate"]["id"], i["grading_version"]) for i in again] == [
        (second.user.id, 1),
        (first.user.id, 2),
    ]


def test_nik_is_masked_without_pii_read_and_its_reading_is_audited(
    app, client, api_key, exam_activity, graded_attempt
):
    graded_attempt(exam_activity())
    masked = client.get("/api/v1/results", headers=bearer(api_key(RESULTS_READ))).get_data(
        as_text=True
    )
    assert not FULL_NIK.search(masked)
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
        assert "api_read_nik" not in actions

    full = client.get("/api/v1/results", headers=bearer(api_key(RESULTS_READ, PII_READ))).json
    assert re.fullmatch(r"\d{16}", full["items"][0]["candidate"]["nik"])
    with app.app_context():
        reads = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "api_read_nik")
        ).all()
        assert [r.details["attempts"] for r in reads] == [[full["items"][0]["attempt_id"]]]


def test_filters_by_activity_time_and_the_keys_office(
    app, client, api_key, exam_activity, graded_attempt
):
    first_activity, second_activity = exam_activity(), exam_activity()
    graded_attempt(first_activity)
    other = graded_attempt(second_activity)
    secret = api_key()

    by_activity = client.get(
        f"/api/v1/results?activity_id={second_activity}", headers=bearer(secret)
    ).json
    assert [i["candidate"]["id"] for i in by_activity["items"]] == [other.user.id]
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert (
        client.get(
            "/api/v1/results", query_string={"graded_from": later}, headers=bearer(secret)
        ).json["items"]
        == []
    )
    before = client.get(
        "/api/v1/results", query_string={"graded_before": later}, headers=bearer(secret)
    ).json
    assert len(before["items"]) == 2

    with app.app_context():
        from exam_service.recruitment.models import Activity

        office_id = db.session.get_one(Activity, second_activity).office_id
    office_key = api_key(RESULTS_READ, office_id=office_id)
    scoped = client.get("/api/v1/results", headers=bearer(office_key)).json
    assert [i["candidate"]["id"] for i in scoped["items"]] == [other.user.id]


def test_a_bad_cursor_is_refused_not_a_server_error(client, api_key):
    secret = api_key()
    for cursor in ["%%%", "bm90IGpzb24", "eyJ2IjoxLCJzZXEiOiJ4In0", "W10"]:
        response = client.get(
            "/api/v1/results", query_string={"after": cursor}, headers=bearer(secret)
        )
        assert response.status_code == 422, cursor
        assert "after" in response.json["error"]["details"]


def test_one_result_by_attempt_id(app, client, api_key, exam_activity, graded_attempt):
    booked = graded_attempt(exam_activity())
    with app.app_context():
        attempt_id = db.session.scalars(
            db.select(Attempt.id).where(Attempt.user_id == booked.user.id)
        ).one()
    secret = api_key()
    response = client.get(f"/api/v1/results/{attempt_id}", headers=bearer(secret))
    assert response.status_code == 200
    assert response.json["attempt_id"] == attempt_id
    missing = client.get(f"/api/v1/results/{attempt_id + 99}", headers=bearer(secret))
    assert missing.status_code == 404
    too_big = client.get("/api/v1/results/99999999999", headers=bearer(secret))
    assert too_big.status_code == 422  # refused before it reaches a 32-bit column


def test_create_api_key_command_prints_the_key_once_and_stores_its_hash(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-api-key", "--name", "Sistem rekrutmen", "--scope", "results:read"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("rk_")
    assert len(secret) > 40
    with app.app_context():
        key = db.session.scalars(db.select(ApiKey)).one()
        assert key.key_hash == hash_key(secret)
        assert secret not in (key.prefix, key.name, key.key_hash)
        assert key.scopes == ["results:read"]
        assert key.office_id is None
    assert client.get("/api/v1/results", headers=bearer(secret)).status_code == 200
    refused = runner.invoke(args=["create-api-key", "--name", "x", "--scope", "all"])
    assert refused.exit_code != 0


def test_admins_create_list_and_revoke_their_offices_keys(client, login, make_user, make_office):
    office = make_office()
    admin = login(make_user(Role.ADMIN, office=office))
    created = admin.post(
        "/api/v1/admin/api-keys", json={"name": "Rekrutmen", "scopes": ["results:read"]}
    )
    assert created.status_code == 201
    secret = created.json["key"]
    listed = admin.get("/api/v1/admin/api-keys").json["items"]
    assert [k["id"] for k in listed] == [created.json["id"]]
    assert secret not in str(listed)
    assert client.get("/api/v1/results", headers=bearer(secret)).status_code == 200

    other_admin = login(make_user(Role.ADMIN, office=make_office()))
    assert other_admin.delete(f"/api/v1/admin/api-keys/{created.json['id']}").status_code == 404
    assert other_admin.get("/api/v1/admin/api-keys").json["items"] == []
    revoked = admin.delete(f"/api/v1/admin/api-keys/{created.json['id']}")
    assert revoked.status_code == 200
    assert revoked.json["revoked_at"]
    assert client.get("/api/v1/results", headers=bearer(secret)).status_code == 401

    bad = admin.post("/api/v1/admin/api-keys", json={"name": "x", "scopes": ["admin"]})
    assert bad.status_code == 422
    candidate = login(make_user(Role.CANDIDATE))
    assert candidate.get("/api/v1/admin/api-keys").status_code == 403


def test_the_api_keys_page_shows_a_new_key_once(login, make_user, make_office):
    admin = login(make_user(Role.ADMIN, office=make_office()))
    response = admin.submit_form(
        "/admin/kunci-api", {"name": "Sistem rekrutmen", "scopes": ["results:read"]}
    )
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    secret = re.search(r"rk_[A-Za-z0-9_-]{40,}", page).group(0)
    assert secret not in admin.get("/admin/kunci-api").get_data(as_text=True)
