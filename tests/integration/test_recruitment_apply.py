"""Candidates apply inside the window with a complete profile, once, and follow their status."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from exam_service.accounts.models import Document, DocumentKind, Education, Role
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment import declarations
from exam_service.recruitment.models import Application, ApplicationStatus
from tests.support.accounts import PASSWORD
from tests.support.clients import csrf_from
from tests.support.recruitment import add_booking


@pytest.fixture
def office(make_office):
    return make_office()


def applications_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Application))


def test_candidate_applies_and_sees_the_submitted_step(
    app, office, make_activity, complete_candidate, login
):
    activity_id = make_activity(office)
    client = login(complete_candidate())

    response = client.post(f"/api/v1/activities/{activity_id}/applications")

    assert response.status_code == 201, response.json
    assert response.json["status"] == "submitted"
    assert response.json["booking"] is None
    assert response.json["result"] is None
    steps = {s["key"]: s["state"] for s in response.json["timeline"]}
    assert steps == {
        "submitted": "done",
        "decision": "pending",
        "session": "pending",
        "test": "pending",
        "result": "pending",
    }
    mine = client.get("/api/v1/me/applications").json["items"]
    assert [a["application_id"] for a in mine] == [response.json["application_id"]]


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        pytest.param(timedelta(hours=1), timedelta(days=2), id="before the window"),
        pytest.param(-timedelta(days=3), -timedelta(seconds=1), id="after the window"),
    ],
)
def test_applying_outside_the_window_is_refused(
    app, office, make_activity, complete_candidate, login, opens, closes
):
    now = utcnow()
    activity_id = make_activity(
        office, registration_opens_at=now + opens, registration_closes_at=now + closes
    )
    client = login(complete_candidate())

    response = client.post(f"/api/v1/activities/{activity_id}/applications")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "registration_closed"
    assert applications_count(app) == 0


def test_incomplete_profile_names_what_is_missing(
    app, office, make_activity, complete_candidate, login
):
    activity_id = make_activity(office)
    user = complete_candidate(profile=False)
    with app.app_context():
        db.session.execute(
            db.delete(Document).where(
                Document.user_id == user.id,
                Document.kind.in_([DocumentKind.KTP, DocumentKind.APPLICATION_LETTER]),
            )
        )
        db.session.commit()
    client = login(user)

    response = client.post(f"/api/v1/activities/{activity_id}/applications")

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "incomplete_profile"
    assert set(error["details"]) == {"profile", "ktp", "application_letter"}
    for label in ("Profil", "Scan KTP", "Surat lamaran tulisan tangan"):
        assert label in error["message"]
    assert applications_count(app) == 0


def test_second_application_to_the_same_activity_is_refused(
    app, office, make_activity, complete_candidate, login
):
    activity_id = make_activity(office)
    client = login(complete_candidate())
    assert client.post(f"/api/v1/activities/{activity_id}/applications").status_code == 201

    again = client.post(f"/api/v1/activities/{activity_id}/applications")

    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_applied"
    assert applications_count(app) == 1


def test_unknown_activity_is_not_found(complete_candidate, login):
    client = login(complete_candidate())
    assert client.post("/api/v1/activities/999999/applications").status_code == 404


def test_open_activities_lists_only_activities_open_now(
    office, make_activity, complete_candidate, login
):
    now = utcnow()
    open_id = make_activity(office, name="Dibuka")
    make_activity(
        office,
        name="Belum dibuka",
        registration_opens_at=now + timedelta(days=1),
        registration_closes_at=now + timedelta(days=2),
    )
    make_activity(
        office,
        name="Sudah ditutup",
        registration_opens_at=now - timedelta(days=5),
        registration_closes_at=now - timedelta(days=1),
        booking_opens_at=now,
    )
    client = login(complete_candidate())

    items = client.get("/api/v1/activities").json["items"]

    assert [(a["id"], a["name"]) for a in items] == [(open_id, "Dibuka")]


def test_candidate_b_cannot_read_a_application(
    office, make_activity, make_application, complete_candidate, login
):
    activity_id = make_activity(office)
    a, b = complete_candidate(), complete_candidate()
    a_application = make_application(activity_id, a)
    client_b = login(b)

    assert client_b.get(f"/api/v1/me/applications/{a_application}").status_code == 404
    assert client_b.get(f"/lamaran/{a_application}").status_code == 404
    assert client_b.get("/api/v1/me/applications").json["items"] == []
    own = login(a).get(f"/api/v1/me/applications/{a_application}")
    assert own.status_code == 200
    assert own.json["application_id"] == a_application


def test_anonymous_gets_401_and_staff_get_403_on_candidate_endpoints(
    client, office, make_activity, make_user, login
):
    activity_id = make_activity(office)
    assert client.get("/api/v1/me/applications").status_code == 401
    assert client.get("/api/v1/activities").status_code == 401
    # With a valid CSRF token, so that the login check is what answers.
    client.csrf_token = client.get("/api/v1/auth/csrf").json["csrf_token"]
    assert client.post(f"/api/v1/activities/{activity_id}/applications").status_code == 401
    admin = login(make_user(Role.ADMIN, office=office))
    assert admin.post(f"/api/v1/activities/{activity_id}/applications").status_code == 403
    assert admin.get("/api/v1/me/applications").status_code == 403


def test_status_shows_rejection_with_reason(
    office, make_activity, make_application, complete_candidate, login
):
    activity_id = make_activity(office)
    user = complete_candidate()
    application_id = make_application(
        activity_id, user, ApplicationStatus.REJECTED, reason="Ijazah tidak terbaca."
    )
    client = login(user)

    item = client.get("/api/v1/me/applications").json["items"][0]

    assert item["status"] == "rejected"
    assert item["decision_reason"] == "Ijazah tidak terbaca."
    assert [(s["key"], s["state"]) for s in item["timeline"]] == [
        ("submitted", "done"),
        ("decision", "failed"),
    ]
    assert item["timeline"][1]["note"] == "Ijazah tidak terbaca."
    page = client.get(f"/lamaran/{application_id}").get_data(as_text=True)
    assert "Ijazah tidak terbaca." in page
    assert "Tidak diterima" in page


def test_status_shows_the_booked_session(
    app, office, make_activity, make_application, complete_candidate, login
):
    activity_id = make_activity(office)
    user = complete_candidate()
    application_id = make_application(activity_id, user, ApplicationStatus.ACCEPTED)
    session_id = add_booking(app, application_id, place="Aula Lantai 2")

    item = login(user).get("/api/v1/me/applications").json["items"][0]

    assert item["booking"]["session_id"] == session_id
    assert item["booking"]["place"] == "Aula Lantai 2"
    steps = {s["key"]: s for s in item["timeline"]}
    assert steps["decision"]["state"] == "done"
    assert steps["session"]["state"] == "done"
    assert "Aula Lantai 2" in steps["session"]["note"]
    assert steps["test"]["state"] == "pending"


@pytest.mark.parametrize(
    ("status", "result_state"),
    [(ApplicationStatus.PASSED, "done"), (ApplicationStatus.NOT_PASSED, "failed")],
)
def test_final_status_already_shows_in_the_timeline(
    office, make_activity, make_application, complete_candidate, login, status, result_state
):
    activity_id = make_activity(office)
    user = complete_candidate()
    make_application(activity_id, user, status)

    item = login(user).get("/api/v1/me/applications").json["items"][0]

    steps = {s["key"]: s["state"] for s in item["timeline"]}
    assert item["status"] == status.value
    assert steps["test"] == "done"
    assert steps["result"] == result_state


# --- pages ---------------------------------------------------------------------------


def test_applications_page_lists_open_activities_and_applies(
    app, office, make_activity, complete_candidate, login
):
    activity_id = make_activity(office, name="Sensus Uji 2026")
    client = login(complete_candidate())

    html = client.get("/lamaran").get_data(as_text=True)
    assert "Sensus Uji 2026" in html
    assert f'href="/kegiatan/{activity_id}/lamar"' in html
    form = client.get(f"/kegiatan/{activity_id}/lamar").get_data(as_text=True)
    for key in declarations.KEYS:
        assert f'name="{key}"' in form
    answers = {key: "1" for key in declarations.KEYS} | {"owns_motorbike": "0"}
    applied = client.raw.post(
        f"/kegiatan/{activity_id}/lamar",
        data={"csrf_token": csrf_from(form), **answers},
        follow_redirects=True,
    )

    assert applied.status_code == 200
    assert "Lamaran Anda telah dikirim." in applied.get_data(as_text=True)
    assert applications_count(app) == 1
    with app.app_context():
        application = db.session.scalars(db.select(Application)).one()
        assert declarations.answers_of(application) == {
            key: key != "owns_motorbike" for key in declarations.KEYS
        }


def test_the_apply_page_asks_every_declaration(
    app, office, make_activity, complete_candidate, login
):
    activity_id = make_activity(office)
    client = login(complete_candidate())
    form = client.get(f"/kegiatan/{activity_id}/lamar").get_data(as_text=True)

    answered = client.raw.post(
        f"/kegiatan/{activity_id}/lamar",
        data={"csrf_token": csrf_from(form), "not_civil_servant": "1"},
    )

    assert answered.status_code == 422
    assert answered.get_data(as_text=True).count("Pilih ya atau tidak.") == 5
    assert applications_count(app) == 0


def test_a_civil_servant_may_apply_but_is_not_eligible(
    office, make_activity, complete_candidate, login, make_user
):
    activity_id = make_activity(office)
    client = login(complete_candidate())
    answers = {key: True for key in declarations.KEYS} | {"not_civil_servant": False}

    created = client.post(f"/api/v1/activities/{activity_id}/applications", json=answers)

    assert created.status_code == 201
    assert created.json["declarations"]["not_civil_servant"] is False
    admin = login(make_user(Role.ADMIN, office=office))
    row = admin.get(f"/api/v1/admin/applications?activity_id={activity_id}").json["items"][0]
    assert row["eligibility"]["meets_hard_rules"] is False
    assert admin.get("/api/v1/admin/applications?eligible=no").json["total"] == 1
    assert admin.get("/api/v1/admin/applications?eligible=yes").json["total"] == 0


def test_applying_without_a_body_leaves_the_declarations_unanswered(
    office, make_activity, complete_candidate, login
):
    activity_id = make_activity(office)
    client = login(complete_candidate())

    created = client.post(f"/api/v1/activities/{activity_id}/applications")

    assert created.status_code == 201
    assert created.json["declarations"] == dict.fromkeys(declarations.KEYS)


@pytest.mark.parametrize("education", [Education.SD, Education.SMP])
def test_education_below_the_minimum_is_refused_at_applying(
    app, office, make_activity, complete_candidate, login, education
):
    activity_id = make_activity(office)
    client = login(complete_candidate(education=education))

    refused = client.post(f"/api/v1/activities/{activity_id}/applications")
    page = client.get(f"/kegiatan/{activity_id}/lamar").get_data(as_text=True)

    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "education_below_minimum"
    assert "SMA/SMK" in refused.json["error"]["details"]["education"]
    assert "Anda belum dapat melamar kegiatan ini." in page
    assert "Kirim lamaran" not in page
    assert applications_count(app) == 0


def test_applications_page_shows_what_is_missing(office, make_activity, complete_candidate, login):
    activity_id = make_activity(office)
    client = login(complete_candidate(documents=False))

    html = client.get("/lamaran").get_data(as_text=True)

    box = html.split('class="warning-box"', 1)[1].split("</div>", 1)[0]
    assert "Scan KTP" in box
    assert "Pas foto" in box
    assert "Profil" not in box.split("<ul>")[1].split("</ul>")[0]  # the profile is complete
    assert 'href="/profil"' in box
    assert 'href="/dokumen"' in box
    assert f'disabled aria-describedby="why-apply-{activity_id}"' in html
    assert f'href="/kegiatan/{activity_id}/lamar"' not in html


def test_simultaneous_applications_make_one_row(
    app, live_server, office, make_activity, complete_candidate
):
    """Twelve presses of "Lamar" at once on three workers: one application, the rest 409."""
    activity_id = make_activity(office)
    user = complete_candidate()
    http = live_server.login(user.email, PASSWORD)
    barrier = threading.Barrier(12)

    def press() -> int:
        own = requests.Session()  # one connection per thread, like twelve browser tabs
        own.cookies.update(http.cookies)
        own.headers.update(http.headers)
        barrier.wait()
        url = f"{live_server.url}/api/v1/activities/{activity_id}/applications"
        return own.post(url, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(lambda _: press(), range(12)))

    assert statuses == [201] + [409] * 11
    assert applications_count(app) == 1
