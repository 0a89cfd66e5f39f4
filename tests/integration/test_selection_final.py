"""Final selection: rules, the documented ranking with its tie-breaks, the preview."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exam_service.accounts.models import Role
from exam_service.core.clock import utcnow


@pytest.fixture
def ranked_activity(exam_activity, scored_attempt, book_candidate):
    """Seven candidates whose order exercises every tie-break; returns (activity, names)."""
    activity_id = exam_activity()
    early, late = utcnow() - timedelta(minutes=20), utcnow() - timedelta(minutes=10)
    people = {}

    def add(name, hitung, konsep, finished_at=late):
        people[name] = scored_attempt(
            activity_id,
            {"hitung": (hitung, "3"), "konsep": (konsep, "2")},
            finished_at=finished_at,
            full_name=name,
        ).user.id

    add("Ani", "3", "1")  # 4, best first category
    add("Budi", "2", "2")  # 4, like Dedi but applied earlier
    add("Citra", "2", "2", early)  # 4, finished earlier
    add("Dedi", "2", "2")
    add("Eka", "3", "2")  # 5
    add("Gita", "0", "2")  # 2
    people["Fajar"] = book_candidate(activity_id).user.id  # booked, never sat the test
    return activity_id, people


def _preview(admin, activity_id) -> list[dict]:
    response = admin.get(f"/api/v1/admin/activities/{activity_id}/selection/preview")
    assert response.status_code == 200, response.json
    return response.json["rows"]


def test_quota_ranks_by_total_then_category_then_finish_then_application(
    login, activity_admin, ranked_activity
):
    activity_id, _people = ranked_activity
    admin = login(activity_admin(activity_id))
    put = admin.put(
        f"/api/v1/admin/activities/{activity_id}/selection", json={"method": "quota", "quota": 3}
    )
    assert put.status_code == 200, put.json
    assert put.json["tie_break_rule"].startswith("Peringkat")
    rows = _preview(admin, activity_id)
    assert [(r["full_name"], r["rank"], r["passed"], r["reason"]) for r in rows] == [
        ("Eka", 1, True, "passed"),
        ("Ani", 2, True, "passed"),
        ("Citra", 3, True, "passed"),
        ("Budi", 4, False, "outside_quota"),
        ("Dedi", 5, False, "outside_quota"),
        ("Gita", 6, False, "outside_quota"),
        (rows[-1]["full_name"], None, False, "no_result"),
    ]
    assert rows[0]["score"] == "5"
    assert rows[0]["category_scores"] == {"hitung": "3", "konsep": "2"}
    assert all(r["nik"].count("*") == 8 for r in rows)


def test_threshold_with_category_minimums_as_in_civil_service_tests(
    login, activity_admin, ranked_activity
):
    activity_id, _people = ranked_activity
    admin = login(activity_admin(activity_id))
    rule = {"method": "threshold", "threshold": "4", "category_minimums": {"hitung": "2.5"}}
    saved = admin.put(f"/api/v1/admin/activities/{activity_id}/selection", json=rule)
    assert saved.json["category_minimums"] == {"hitung": "2.5"}
    assert saved.json["threshold"] == "4"
    rows = _preview(admin, activity_id)
    outcome = {r["full_name"]: (r["passed"], r["reason"]) for r in rows if r["rank"]}
    assert outcome == {
        "Eka": (True, "passed"),
        "Ani": (True, "passed"),
        "Citra": (False, "below_category_minimum"),
        "Budi": (False, "below_category_minimum"),
        "Dedi": (False, "below_category_minimum"),
        "Gita": (False, "below_category_minimum"),
    }
    # Those meeting every minimum rank above those who do not.
    assert [r["full_name"] for r in rows[:2]] == ["Eka", "Ani"]

    lower = admin.put(
        f"/api/v1/admin/activities/{activity_id}/selection",
        json={"method": "threshold", "threshold": "4"},
    )
    assert lower.status_code == 200
    passed = {r["full_name"] for r in _preview(admin, activity_id) if r["passed"]}
    assert passed == {"Eka", "Ani", "Budi", "Citra", "Dedi"}


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"method": "quota"}, "quota"),
        ({"method": "threshold"}, "threshold"),
        (
            {"method": "quota", "quota": 2, "category_minimums": {"lainnya": "1"}},
            "category_minimums",
        ),
    ],
)
def test_rules_are_validated(login, activity_admin, exam_activity, rule, field):
    activity_id = exam_activity()
    admin = login(activity_admin(activity_id))
    response = admin.put(f"/api/v1/admin/activities/{activity_id}/selection", json=rule)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]


def test_selection_belongs_to_the_activitys_office(
    login, make_user, make_office, activity_admin, exam_activity
):
    activity_id = exam_activity()
    stranger = login(make_user(Role.ADMIN, office=make_office()))
    base = f"/api/v1/admin/activities/{activity_id}/selection"
    assert stranger.get(base).status_code == 404
    assert stranger.put(base, json={"method": "quota", "quota": 1}).status_code == 404
    assert stranger.get(f"{base}/preview").status_code == 404
    candidate = login(make_user(Role.CANDIDATE))
    assert candidate.get(base).status_code == 403
    admin = login(activity_admin(activity_id))
    assert admin.get(f"{base}/preview").status_code == 409  # no rule yet
    empty = admin.get(base).json
    assert empty["method"] is None
    assert empty["scheduled"] is False
    assert empty["categories"] == ["hitung", "konsep"]


def test_the_admin_page_saves_the_rule_and_shows_the_preview(
    login, activity_admin, ranked_activity
):
    activity_id, _people = ranked_activity
    admin = login(activity_admin(activity_id))
    page = f"/admin/kegiatan/{activity_id}/seleksi-akhir"
    assert admin.get(page).status_code == 200
    saved = admin.submit_form(page, {"method": "quota", "quota": "2", "min_0": "3"})
    assert saved.status_code == 303
    html = admin.get(page).get_data(as_text=True)
    assert "Pratinjau" in html
    assert html.count("badge-ok") >= 2  # Eka and Ani pass
    refused = admin.submit_form(page, {"method": "threshold", "threshold": "abc"})
    assert refused.status_code == 422


def test_the_admin_page_reads_and_writes_decimals_the_indonesian_way(
    login, activity_admin, ranked_activity
):
    activity_id, _people = ranked_activity
    admin = login(activity_admin(activity_id))
    page = f"/admin/kegiatan/{activity_id}/seleksi-akhir"

    saved = admin.submit_form(page, {"method": "threshold", "threshold": "3,5", "min_0": "2,25"})

    assert saved.status_code == 303
    rule = admin.get(f"/api/v1/admin/activities/{activity_id}/selection").json
    assert (rule["threshold"], rule["category_minimums"]) == ("3.5", {"hitung": "2.25"})
    html = admin.get(page).get_data(as_text=True)
    assert 'value="3,5"' in html
    assert 'value="2,25"' in html
    assert "Nilai minimal" in html
    assert "(boleh kosong)" in html
