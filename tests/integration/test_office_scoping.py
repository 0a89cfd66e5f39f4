"""Invariant 8 as one rule across every domain: an admin sees only their own office.

The same answers everywhere (accounts/offices.py and the guards built on it): an
admin account without an office is refused (403) before any record is looked up,
and another office's activity, session or attempt is not found (404), so its
existence is not revealed. The office's own admin reaches every route (200).
"""

from __future__ import annotations

import pytest

from exam_service.accounts.models import Role

# Every admin read, by the record it is scoped to; {a}, {s}, {t} are filled in below.
SCOPED_READS = [
    "/api/v1/admin/activities/{a}/selection",
    "/api/v1/admin/activities/{a}/review-requests",
    "/api/v1/admin/activities/{a}/results.csv",
    "/api/v1/activities/{a}/sessions",
    "/api/v1/admin/sessions/{s}/monitor",
    "/api/v1/admin/sessions/{s}/roster",
    "/api/v1/admin/attempts/{t}/events",
]
OFFICE_LISTS = ["/api/v1/admin/activities", "/api/v1/admin/api-keys", "/api/v1/admin/webhooks"]
NO_OFFICE = "Akun admin ini belum terhubung ke kantor mana pun."


@pytest.fixture
def records(exam_activity, book_candidate, login):
    """An activity with a session and a started attempt: the ids every path template needs."""
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    attempt_id = login(booked.user).post("/api/v1/me/attempt").json["attempt_id"]
    return {"a": activity_id, "s": booked.session_id, "t": attempt_id}


@pytest.mark.parametrize("template", SCOPED_READS)
def test_each_scoped_read_is_for_its_own_office_only(
    template, records, login, activity_admin, make_user, make_office
):
    path = template.format(**records)
    assert login(activity_admin(records["a"])).get(path).status_code == 200
    stranger = login(make_user(Role.ADMIN, office=make_office()))
    assert stranger.get(path).status_code == 404
    officeless = login(make_user(Role.ADMIN)).get(path)
    assert officeless.status_code == 403
    assert officeless.json["error"]["message"] == NO_OFFICE


@pytest.mark.parametrize("path", OFFICE_LISTS)
def test_an_admin_without_an_office_is_refused_the_same_way_everywhere(path, login, make_user):
    response = login(make_user(Role.ADMIN)).get(path)
    assert response.status_code == 403
    assert response.json["error"]["message"] == NO_OFFICE


def test_an_admin_without_an_office_cannot_create_an_api_key(login, make_user):
    response = login(make_user(Role.ADMIN)).post(
        "/api/v1/admin/api-keys", json={"name": "Sistem rekrutmen", "scopes": ["results:read"]}
    )
    assert response.status_code == 403
