"""Activities: created and edited by an office's admins, validated, scoped to the office."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from exam_service.accounts.models import Role
from exam_service.core.audit import AuditEvent
from exam_service.core.extensions import db
from exam_service.recruitment.models import Activity

T0 = datetime(2026, 11, 6, 1, 0, tzinfo=UTC)  # 6 Nov 08:00 WIB


def activity_body(**overrides) -> dict:
    body = {
        "name": "Rekrutmen Mitra Statistik 2027",
        "registration_opens_at": T0.isoformat(),
        "registration_closes_at": (T0 + timedelta(days=4)).isoformat(),
        "booking_opens_at": (T0 + timedelta(days=8)).isoformat(),
        "booking_closes_at": (T0 + timedelta(days=24)).isoformat(),
        "announcement_at": (T0 + timedelta(days=39)).isoformat(),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def office(make_office):
    return make_office()


@pytest.fixture
def admin(office, make_user, login):
    return login(make_user(Role.ADMIN, office=office))


def stored(app, activity_id: int) -> Activity:
    with app.app_context():
        activity = db.session.get_one(Activity, activity_id)
        db.session.expunge(activity)
        return activity


def test_admin_creates_an_activity_with_the_defaults(app, office, admin):
    response = admin.post("/api/v1/admin/activities", json=activity_body())

    assert response.status_code == 201, response.json
    body = response.json
    assert body["office_id"] == office.id
    assert body["test_question_count"] == 30
    assert body["test_duration_seconds"] == 3600
    assert body["min_education"] == "SMA/SMK"
    assert (body["preferred_min_age"], body["preferred_max_age"]) == (18, 50)
    assert body["application_counts"] == {
        "submitted": 0,
        "accepted": 0,
        "rejected": 0,
        "passed": 0,
        "not_passed": 0,
    }
    activity = stored(app, body["id"])
    assert activity.registration_opens_at == T0
    with app.app_context():
        event = db.session.scalars(db.select(AuditEvent)).one()
        assert (event.action, event.object_id) == ("activity_created", body["id"])


def test_blueprint_and_tiny_durations_are_accepted(app, admin):
    blueprint = {
        "categories": {"numerasi": 3, "literasi": 2},
        "difficulty_mix": {"easy": 0.3, "medium": 0.5, "hard": 0.2},
    }
    response = admin.post(
        "/api/v1/admin/activities",
        json=activity_body(test_question_count=5, test_duration_seconds=3, blueprint=blueprint),
    )
    assert response.status_code == 201, response.json
    assert stored(app, response.json["id"]).blueprint == blueprint


def test_booking_may_open_when_registration_closes(admin):
    closes = (T0 + timedelta(days=4)).isoformat()
    response = admin.post(
        "/api/v1/admin/activities",
        json=activity_body(registration_closes_at=closes, booking_opens_at=closes),
    )
    assert response.status_code == 201, response.json


def _at(days: float) -> str:
    return (T0 + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"registration_closes_at": _at(0)}, "registration_closes_at"),
        ({"booking_opens_at": _at(3)}, "booking_opens_at"),
        ({"booking_closes_at": _at(8)}, "booking_closes_at"),
        ({"announcement_at": _at(24)}, "announcement_at"),
        ({"test_question_count": 0}, "test_question_count"),
        ({"test_question_count": 201}, "test_question_count"),
        ({"test_duration_seconds": 0}, "test_duration_seconds"),
        ({"test_duration_seconds": 14401}, "test_duration_seconds"),
        ({"preferred_min_age": 40, "preferred_max_age": 30}, "preferred_max_age"),
        ({"name": "   "}, "name"),
        ({"blueprint": {"categories": {"numerasi": 29}}}, "blueprint"),
        ({"blueprint": {"categories": {}}}, "blueprint"),
        ({"blueprint": {"categories": {" spasi": 30}}}, "blueprint"),
        ({"blueprint": {"categories": {"k" * 65: 30}}}, "blueprint"),
        ({"blueprint": {"categories": {"a": 31, "b": -1}}}, "blueprint"),
        (
            {"blueprint": {"categories": {"a": 30}, "difficulty_mix": {"easy": 0.5}}},
            "blueprint",
        ),
        (
            {"blueprint": {"categories": {"a": 30}, "difficulty_mix": {"trivial": 1.0}}},
            "blueprint",
        ),
    ],
)
def test_broken_rules_are_refused_per_field(app, admin, overrides, field):
    response = admin.post("/api/v1/admin/activities", json=activity_body(**overrides))

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 0


def test_times_without_a_zone_are_refused(admin):
    response = admin.post(
        "/api/v1/admin/activities",
        json=activity_body(registration_opens_at="2026-11-06T08:00:00"),
    )
    assert response.status_code == 422


def test_admin_updates_own_activity_only(app, office, admin, make_office, make_activity):
    own = make_activity(office)
    other = make_activity(make_office())

    updated = admin.put(
        f"/api/v1/admin/activities/{own}",
        json=activity_body(name="Nama baru", test_question_count=20),
    )
    assert updated.status_code == 200, updated.json
    assert stored(app, own).name == "Nama baru"
    assert stored(app, own).test_question_count == 20

    refused = admin.put(f"/api/v1/admin/activities/{other}", json=activity_body(name="Diambil"))
    assert refused.status_code == 404
    assert stored(app, other).name != "Diambil"
    invalid = admin.put(
        f"/api/v1/admin/activities/{own}", json=activity_body(test_question_count=0)
    )
    assert invalid.status_code == 422
    assert stored(app, own).test_question_count == 20


def test_admin_lists_own_office_activities_with_counts(
    office, admin, make_office, make_activity, make_application, complete_candidate
):
    own = make_activity(office)
    make_activity(make_office())
    make_application(own, complete_candidate())

    items = admin.get("/api/v1/admin/activities").json["items"]

    assert [i["id"] for i in items] == [own]
    assert items[0]["application_counts"]["submitted"] == 1


def test_roles_on_the_activity_admin_api(client, make_user, make_office, login):
    assert client.get("/api/v1/admin/activities").status_code == 401
    candidate = login(make_user(Role.CANDIDATE))
    assert candidate.get("/api/v1/admin/activities").status_code == 403
    assert candidate.post("/api/v1/admin/activities", json=activity_body()).status_code == 403
    author = login(make_user(Role.AUTHOR))
    assert author.post("/api/v1/admin/activities", json=activity_body()).status_code == 403
    officeless = login(make_user(Role.ADMIN))
    assert officeless.post("/api/v1/admin/activities", json=activity_body()).status_code == 403


# --- pages ------------------------------------------------------------------------


FORM = {
    "name": "Survei Uji",
    "registration_opens_at": "2026-11-06T08:00",
    "registration_closes_at": "2026-11-10T23:59",
    "booking_opens_at": "2026-11-14T08:00",
    "booking_closes_at": "2026-11-30T16:00",
    "announcement_at": "2026-12-15T10:00",
    "test_question_count": "30",
    "test_duration_minutes": "60",
    "blueprint_categories": "numerasi = 20\nliterasi = 10",
    "difficulty_mix": "30/50/20",
    "min_education": "SMA/SMK",
    "preferred_min_age": "18",
    "preferred_max_age": "50",
}


def test_create_and_edit_pages_take_wib_times(app, office, admin):
    assert admin.get("/admin/kegiatan").status_code == 200
    created = admin.submit_form("/admin/kegiatan/baru", FORM)
    assert created.status_code == 303
    with app.app_context():
        activity = db.session.scalars(db.select(Activity)).one()
        assert activity.office_id == office.id
        assert activity.registration_opens_at == datetime(2026, 11, 6, 1, 0, tzinfo=UTC)
        assert activity.blueprint == {
            "categories": {"numerasi": 20, "literasi": 10},
            "difficulty_mix": {"easy": 0.3, "medium": 0.5, "hard": 0.2},
        }
        activity_id = activity.id

    listing = admin.get("/admin/kegiatan").get_data(as_text=True)
    assert "Survei Uji" in listing
    assert "06-11-2026 08:00 WIB" in listing
    edit_page = admin.get(f"/admin/kegiatan/{activity_id}/ubah").get_data(as_text=True)
    assert 'value="2026-11-06T08:00"' in edit_page
    assert "numerasi = 20" in edit_page
    assert 'value="30/50/20"' in edit_page

    edited = admin.submit_form(
        f"/admin/kegiatan/{activity_id}/ubah", {**FORM, "name": "Survei Uji Ubah"}
    )
    assert edited.status_code == 303
    assert stored(app, activity_id).name == "Survei Uji Ubah"


def test_create_page_shows_the_broken_rule_on_its_field(app, admin):
    response = admin.submit_form(
        "/admin/kegiatan/baru", {**FORM, "booking_opens_at": "2026-11-09T08:00"}
    )
    assert response.status_code == 422
    assert "Pemilihan sesi dibuka paling cepat saat pendaftaran ditutup." in response.get_data(
        as_text=True
    )
    sum_mismatch = admin.submit_form("/admin/kegiatan/baru", {**FORM, "test_question_count": "25"})
    assert sum_mismatch.status_code == 422
    assert "harus sama dengan jumlah soal ujian" in sum_mismatch.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 0


def test_edit_page_of_another_office_is_not_found(admin, make_office, make_activity):
    other = make_activity(make_office())
    assert admin.get(f"/admin/kegiatan/{other}/ubah").status_code == 404


def test_every_page_of_an_activity_is_linked_from_the_menu(office, admin, make_activity):
    """Results, the final selection and the feeds' pages were reachable only by typing
    their URLs; the menu and the activity list now lead to each (issue 14 builds the
    activity's own home page)."""
    activity_id = make_activity(office)
    page = admin.get("/admin/kegiatan").get_data(as_text=True)

    for path in (
        f"/admin/kegiatan/{activity_id}/hasil",
        f"/admin/kegiatan/{activity_id}/seleksi-akhir",
        f"/admin/kegiatan/{activity_id}/sesi",
        "/admin/webhook",
        "/admin/kunci-api",
    ):
        assert f'href="{path}"' in page, path
        assert admin.get(path).status_code == 200, path
