"""The announcement's rules as data: the declarations as filters and sort keys, the
printed documents received (one, many, a filter), the decision deadline and the
printed documents' date on the activity, and the candidates' word "Diterima"."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from exam_service.accounts.models import Education, Role
from exam_service.core.audit import AuditEvent
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment import declarations
from exam_service.recruitment.models import Application, ApplicationStatus
from tests.support.clients import csrf_from
from tests.support.factories import build_application, build_documents, build_profile, build_user


@pytest.fixture
def office(make_office):
    return make_office(region_code="3273")


@pytest.fixture
def admin(office, make_user, login):
    return login(make_user(Role.ADMIN, office=office))


def applicant(activity_id: int, name: str, **answers: bool | None) -> int:
    """An application with every document; declarations "ya" unless `answers` says."""
    user = build_user(name=name)
    db.session.flush()
    build_profile(user)
    build_documents(user.id)
    application = build_application(activity_id, user.id, **answers)
    db.session.flush()
    return application.id


def listed(client, query: str = "") -> dict:
    response = client.get(f"/api/v1/admin/applications{query}")
    assert response.status_code == 200, response.json
    return response.json


def names(body: dict) -> list[str]:
    """The applicants' first names (the factory numbers the names: "Ani 2")."""
    return [item["full_name"].split()[0] for item in body["items"]]


# --- the declarations in the list -----------------------------------------------------------


@pytest.fixture
def three(app, office, make_activity):
    """Ani declared everything, Budi has no motorbike and no experience, Citra is an ASN."""
    activity_id = make_activity(office)
    with app.app_context():
        ids = {
            "Ani": applicant(activity_id, "Ani"),
            "Budi": applicant(
                activity_id, "Budi", owns_motorbike=False, has_survey_experience=False
            ),
            "Citra": applicant(activity_id, "Citra", not_civil_servant=False),
        }
        db.session.commit()
    return activity_id, ids


def test_preferences_filter_and_sort_the_list(admin, three):
    assert names(listed(admin, "?meets=owns_motorbike")) == ["Ani", "Citra"]
    assert names(listed(admin, "?meets=owns_motorbike&meets=has_survey_experience")) == [
        "Ani",
        "Citra",
    ]
    assert names(listed(admin, "?eligible=yes")) == ["Ani", "Budi"]
    assert names(listed(admin, "?eligible=no")) == ["Citra"]
    by_preferences = listed(admin, "?sort=preferences")
    assert names(by_preferences)[-1] == "Budi"
    budi = next(i for i in by_preferences["items"] if i["full_name"].startswith("Budi"))
    assert (budi["eligibility"]["preferences_met"], budi["eligibility"]["preferences_total"]) == (
        5,
        7,
    )
    assert budi["declarations"]["owns_motorbike"] is False


def test_an_unknown_preference_is_a_422(admin, three):
    response = admin.get("/api/v1/admin/applications?meets=speaks_dutch")
    assert response.status_code == 422


def test_the_page_filters_by_preference_and_ignores_a_bad_one(admin, three):
    html = admin.get("/admin/lamaran?meets=owns_motorbike&meets=nonsense").get_data(as_text=True)
    assert "Ani" in html
    assert "Budi" not in html
    assert 'value="owns_motorbike" checked' in html
    assert "1-2 dari 2 lamaran" in html


def test_bulk_acceptance_skips_the_civil_servant(admin, three):
    activity_id, ids = three
    body = admin.post(
        "/api/v1/admin/applications/decisions",
        json={"decision": "accepted", "filter": {"activity_id": activity_id}},
    ).json
    assert sorted(body["decided_ids"]) == sorted([ids["Ani"], ids["Budi"]])
    assert [s["application_id"] for s in body["skipped"]] == [ids["Citra"]]
    assert body["skipped"][0]["reason"] == "not_eligible"


def test_the_export_has_the_declarations(admin, three):
    response = admin.get("/api/v1/admin/applications/export?format=csv&sort=name")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    for declaration in declarations.DECLARATIONS:
        assert str(declaration.short) in header
    citra = next(r for r in rows if r[0].startswith("Citra"))
    assert citra[header.index("Bukan ASN")] == "Tidak"
    assert citra[header.index("Memenuhi syarat")] == "Tidak"
    assert citra[header.index("Berkas fisik diterima")] == "Tidak"
    budi = next(r for r in rows if r[0].startswith("Budi"))
    assert budi[header.index("Preferensi terpenuhi")] == "5"


# --- printed documents ------------------------------------------------------------------------


def test_one_application_marked_received_then_undone(app, admin, three):
    _, ids = three
    url = f"/api/v1/admin/applications/{ids['Ani']}/paper-documents"

    first = admin.post(url, json={"received": True})
    again = admin.post(url, json={"received": True})

    assert first.status_code == 200
    assert first.json["changed"] is True
    assert first.json["paper_documents_received_at"] is not None
    assert again.json["changed"] is False
    assert names(listed(admin, "?paper=received")) == ["Ani"]
    assert names(listed(admin, "?paper=missing")) == ["Budi", "Citra"]
    undone = admin.post(url, json={"received": False})
    assert undone.json["paper_documents_received_at"] is None
    assert listed(admin, "?paper=received")["total"] == 0
    with app.app_context():
        marks = db.session.scalars(
            db.select(AuditEvent.details).where(AuditEvent.action == "paper_documents")
        ).all()
    assert marks == [{"received": True}, {"received": False}]


def test_many_marked_at_once_and_another_office_is_untouched(
    app, admin, three, make_office, make_activity
):
    _, ids = three
    other_activity = make_activity(make_office(region_code="3204"))
    with app.app_context():
        foreign = applicant(other_activity, "Dewi")
        db.session.commit()
    admin.post(f"/api/v1/admin/applications/{ids['Ani']}/paper-documents", json={"received": True})

    body = admin.post(
        "/api/v1/admin/applications/paper-documents",
        json={"application_ids": [ids["Ani"], ids["Budi"], foreign]},
    ).json

    assert body["marked_ids"] == [ids["Budi"]]
    assert body["unchanged_ids"] == [ids["Ani"]]
    assert "1 lamaran ditandai" in body["message"]
    with app.app_context():
        assert db.session.get(Application, foreign).paper_documents_received_at is None


def test_the_pages_mark_one_and_the_ticked(app, admin, three):
    _, ids = three
    detail = admin.get(f"/admin/lamaran/{ids['Citra']}").get_data(as_text=True)
    assert "Tandai berkas fisik diterima" in detail
    marked = admin.raw.post(
        f"/admin/lamaran/{ids['Citra']}/berkas-fisik",
        data={"csrf_token": csrf_from(detail), "received": "1"},
        follow_redirects=True,
    )
    assert "Berkas fisik ditandai sudah diterima." in marked.get_data(as_text=True)

    listing = admin.get("/admin/lamaran").get_data(as_text=True)
    ticked = admin.raw.post(
        "/admin/lamaran/berkas-fisik",
        data={
            "csrf_token": csrf_from(listing),
            "application_ids": [str(ids["Ani"]), str(ids["Citra"])],
            "f.sort": "name",
        },
    )
    assert ticked.status_code == 303
    assert ticked.headers["Location"].endswith("/admin/lamaran?sort=name")
    assert names(listed(admin, "?paper=received")) == ["Ani", "Citra"]
    nothing = admin.raw.post(
        "/admin/lamaran/berkas-fisik",
        data={"csrf_token": csrf_from(listing)},
        follow_redirects=True,
    )
    assert "Centang dahulu" in nothing.get_data(as_text=True)


# --- the activity's deadlines -----------------------------------------------------------------


def activity_body(**overrides) -> dict:
    now = utcnow()
    body = {
        "name": "Rekrutmen Mitra 2027",
        "registration_opens_at": (now - timedelta(days=2)).isoformat(),
        "registration_closes_at": (now + timedelta(days=3)).isoformat(),
        "booking_opens_at": (now + timedelta(days=6)).isoformat(),
        "booking_closes_at": (now + timedelta(days=10)).isoformat(),
        "decision_deadline_at": (now + timedelta(days=5)).isoformat(),
        "paper_documents_due_at": (now + timedelta(days=4)).isoformat(),
    }
    return body | overrides


def test_the_deadlines_are_data_of_the_activity(admin):
    created = admin.post("/api/v1/admin/activities", json=activity_body())
    assert created.status_code == 201, created.json
    assert created.json["decision_deadline_at"] is not None

    now = utcnow()
    late = admin.post(
        "/api/v1/admin/activities",
        json=activity_body(decision_deadline_at=(now + timedelta(days=11)).isoformat()),
    )
    assert late.status_code == 422
    assert "decision_deadline_at" in late.json["error"]["details"]
    after_decision = admin.post(
        "/api/v1/admin/activities",
        json=activity_body(paper_documents_due_at=(now + timedelta(days=5, hours=1)).isoformat()),
    )
    assert after_decision.status_code == 422
    assert "paper_documents_due_at" in after_decision.json["error"]["details"]


def test_the_activity_page_warns_of_undecided_applications_after_the_deadline(
    app, admin, office, make_activity
):
    now = utcnow()
    activity_id = make_activity(
        office,
        registration_opens_at=now - timedelta(days=5),
        registration_closes_at=now - timedelta(days=3),
        decision_deadline_at=now - timedelta(days=1),
        paper_documents_due_at=now - timedelta(days=2),
        booking_opens_at=now - timedelta(hours=1),
        booking_closes_at=now + timedelta(days=3),
    )
    with app.app_context():
        waiting = applicant(activity_id, "Eka")
        applicant(activity_id, "Fajar")
        db.session.get(Application, waiting).paper_documents_received_at = now
        db.session.commit()

    html = admin.get(f"/admin/kegiatan/{activity_id}").get_data(as_text=True)

    warning = html.split('id="deadline-warning"', 1)[1].split("</p>", 1)[0]
    assert "sudah lewat; 2 lamaran belum diputuskan" in warning
    assert 'data-phase="selection"' in html
    assert 'data-phase="paper"' in html
    assert "Berkas fisik diterima" in html
    assert "1 belum" in html  # one of two has not handed in the printed documents


def test_no_warning_before_the_deadline(admin, office, make_activity):
    activity_id = make_activity(office, decision_deadline_at=utcnow() + timedelta(days=1))
    html = admin.get(f"/admin/kegiatan/{activity_id}").get_data(as_text=True)
    assert 'id="deadline-warning"' not in html


def test_the_activity_form_takes_the_deadlines(admin):
    form = admin.get("/admin/kegiatan/baru").get_data(as_text=True)
    assert "Batas seleksi administrasi (WIB, boleh kosong)" in form
    assert "Batas penyerahan berkas fisik (WIB, boleh kosong)" in form


# --- the candidate's word -------------------------------------------------------------------------


def test_an_accepted_candidate_reads_diterima(
    app, office, make_activity, complete_candidate, make_application, login
):
    activity_id = make_activity(office, paper_documents_due_at=utcnow() + timedelta(days=1))
    user = complete_candidate()
    application_id = make_application(activity_id, user, ApplicationStatus.ACCEPTED)
    client = login(user)

    html = client.get("/lamaran").get_data(as_text=True)
    detail = client.get(f"/lamaran/{application_id}").get_data(as_text=True)

    assert ">Diterima<" in html
    assert "Lolos seleksi administrasi" not in html
    assert "Berkas fisik (cetak) belum diterima panitia." in detail
    assert "Pernyataan Anda saat melamar" in detail


def test_the_apply_page_names_the_printed_documents_date(
    office, make_activity, complete_candidate, login
):
    activity_id = make_activity(office, paper_documents_due_at=utcnow() + timedelta(days=1))
    page = login(complete_candidate(education=Education.SMA)).get(f"/kegiatan/{activity_id}/lamar")
    assert "Berkas fisik (cetak) diserahkan ke kantor paling lambat" in page.get_data(as_text=True)
