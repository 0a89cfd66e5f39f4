"""Administrative selection: the office's list and filters, the audited detail, decisions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest

from exam_service.accounts.models import DocumentKind, Education, Office, Profile, Role, User
from exam_service.accounts.nik import BIRTH_DATE_MISMATCH
from exam_service.core.audit import AuditEvent
from exam_service.core.clock import WIB, to_local, utcnow
from exam_service.core.extensions import db
from exam_service.recruitment import declarations
from exam_service.recruitment.models import Application, ApplicationStatus
from tests.support.recruitment import add_booking, write_document_file

MASKED = re.compile(r"^\d{4}\*{8}\d{4}$")


@dataclass
class OfficeSetup:
    office: Office
    admin: User
    activity_id: int


@pytest.fixture
def office_x(make_office, make_user, make_activity) -> OfficeSetup:
    office = make_office(region_code="3273")
    return OfficeSetup(office, make_user(Role.ADMIN, office=office), make_activity(office))


@pytest.fixture
def office_y(make_office, make_user, make_activity) -> OfficeSetup:
    office = make_office(region_code="3204")
    return OfficeSetup(office, make_user(Role.ADMIN, office=office), make_activity(office))


@pytest.fixture
def submitted(office_x, complete_candidate, make_application) -> int:
    return make_application(office_x.activity_id, complete_candidate())


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(events)


def application(app, application_id: int) -> Application:
    with app.app_context():
        row = db.session.get_one(Application, application_id)
        db.session.expunge(row)
        return row


def born_years_ago(years: int) -> date:
    """A birth date that makes someone exactly `years` old today (in WIB)."""
    today = to_local(utcnow(), WIB).date()
    return date(today.year - years, today.month, min(today.day, 28))


def decide(client, application_id: int, decision: str, reason: str | None = None):
    return client.post(
        f"/api/v1/admin/applications/{application_id}/decision",
        json={"decision": decision, "reason": reason},
    )


# --- decisions ---------------------------------------------------------------------


def test_rejection_is_audited_and_shown_to_the_candidate(
    app, office_x, complete_candidate, make_application, login
):
    candidate = complete_candidate()
    application_id = make_application(office_x.activity_id, candidate)
    admin = login(office_x.admin)

    response = decide(admin, application_id, "rejected", "  Ijazah tidak sesuai.  ")

    assert response.status_code == 200, response.json
    assert response.json["status"] == "rejected"
    row = application(app, application_id)
    assert row.status == ApplicationStatus.REJECTED
    assert row.decided_by_id == office_x.admin.id
    assert row.decision_reason == "Ijazah tidak sesuai."
    assert row.decided_at is not None
    [event] = audit_events(app, "application_decision")
    assert event.actor_id == office_x.admin.id
    assert (event.object_type, event.object_id) == ("application", application_id)
    assert event.details == {
        "decision": "rejected",
        "previous": "submitted",
        "reason": "Ijazah tidak sesuai.",
    }
    mine = login(candidate).get("/api/v1/me/applications").json["items"][0]
    assert mine["status"] == "rejected"
    assert mine["decision_reason"] == "Ijazah tidak sesuai."


def test_rejection_without_reason_is_refused(app, office_x, submitted, login):
    admin = login(office_x.admin)

    for reason in (None, "", "   "):
        response = decide(admin, submitted, "rejected", reason)
        assert response.status_code == 422
        assert "reason" in response.json["error"]["details"]

    assert application(app, submitted).status == ApplicationStatus.SUBMITTED
    assert audit_events(app, "application_decision") == []


def test_acceptance_needs_no_reason_and_can_be_changed_until_a_booking(
    app, office_x, submitted, login
):
    admin = login(office_x.admin)

    assert decide(admin, submitted, "accepted").status_code == 200
    assert decide(admin, submitted, "rejected", "Dokumen palsu.").status_code == 200
    assert decide(admin, submitted, "accepted", "Diperiksa ulang.").status_code == 200

    row = application(app, submitted)
    assert (row.status, row.decision_reason) == (ApplicationStatus.ACCEPTED, "Diperiksa ulang.")
    trail = [
        (e.details["previous"], e.details["decision"])
        for e in audit_events(app, "application_decision")
    ]
    assert trail == [("submitted", "accepted"), ("accepted", "rejected"), ("rejected", "accepted")]


def test_decision_is_locked_once_the_candidate_has_booked(
    app, office_x, complete_candidate, make_application, login
):
    application_id = make_application(
        office_x.activity_id, complete_candidate(), ApplicationStatus.ACCEPTED
    )
    add_booking(app, application_id)
    admin = login(office_x.admin)

    response = decide(admin, application_id, "rejected", "Terlambat.")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "decision_locked"
    assert application(app, application_id).status == ApplicationStatus.ACCEPTED


@pytest.mark.parametrize("status", [ApplicationStatus.PASSED, ApplicationStatus.NOT_PASSED])
def test_decision_is_locked_after_the_final_result(
    app, office_x, complete_candidate, make_application, login, status
):
    application_id = make_application(office_x.activity_id, complete_candidate(), status)

    response = decide(login(office_x.admin), application_id, "rejected", "Tidak.")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "decision_locked"


def test_unknown_decision_is_refused(office_x, submitted, login):
    response = decide(login(office_x.admin), submitted, "passed", "Langsung lulus.")
    assert response.status_code == 422


# --- office scope and roles ---------------------------------------------------------------


def test_admin_of_another_office_sees_nothing_of_it(app, office_x, office_y, submitted, login):
    admin_y = login(office_y.admin)

    assert admin_y.get(f"/api/v1/admin/applications/{submitted}").status_code == 404
    assert decide(admin_y, submitted, "accepted").status_code == 404
    assert admin_y.get(f"/api/v1/admin/applications/{submitted}/documents/ktp").status_code == 404
    assert admin_y.get("/api/v1/admin/applications").json["items"] == []
    listed = admin_y.get(f"/api/v1/admin/applications?activity_id={office_x.activity_id}")
    assert listed.json["items"] == []
    assert admin_y.get(f"/admin/lamaran/{submitted}").status_code == 404
    assert application(app, submitted).status == ApplicationStatus.SUBMITTED
    assert audit_events(app, "view_personal_data") == []
    own = login(office_x.admin).get("/api/v1/admin/applications").json["items"]
    assert [i["application_id"] for i in own] == [submitted]


def test_candidates_get_403_and_anonymous_401_on_the_admin_api(
    client, office_x, submitted, complete_candidate, login
):
    candidate = login(complete_candidate())
    for path in (
        "/api/v1/admin/applications",
        f"/api/v1/admin/applications/{submitted}",
        f"/api/v1/admin/applications/{submitted}/documents/ktp",
        "/api/v1/admin/activities",
    ):
        assert candidate.get(path).status_code == 403, path
        assert client.get(path).status_code == 401, path
    assert decide(candidate, submitted, "accepted").status_code == 403
    client.csrf_token = client.get("/api/v1/auth/csrf").json["csrf_token"]
    assert decide(client, submitted, "accepted").status_code == 401


# --- the list and its filters ------------------------------------------------------------


@pytest.fixture
def mixed(office_x, complete_candidate, make_application, make_activity):
    """Applications that differ in one property each from a plain one."""
    other_activity = make_activity(office_x.office, name="Kegiatan lain")

    def add(name: str, activity_id: int = office_x.activity_id, status=None, **profile) -> int:
        user = complete_candidate(full_name=name, **profile)
        return make_application(activity_id, user, status or ApplicationStatus.SUBMITTED)

    return {
        "plain": add("Plain", birth_date=born_years_ago(30)),
        "young": add("Young", birth_date=born_years_ago(17)),
        "old": add("Old", birth_date=born_years_ago(51)),
        "away": add("Away", regency_code="3204", birth_date=date(1990, 1, 1)),
        "flagged": add("Flagged", nik_flags=[BIRTH_DATE_MISMATCH], birth_date=date(1990, 1, 1)),
        "s1": add("S1", education=Education.BACHELOR, birth_date=date(1990, 1, 1)),
        "accepted": add("Accepted", status=ApplicationStatus.ACCEPTED, birth_date=date(1990, 1, 1)),
        "other": add("Other", activity_id=other_activity, birth_date=date(1990, 1, 1)),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"plain", "young", "old", "away", "flagged", "s1", "accepted", "other"}),
        ("status=accepted", {"accepted"}),
        ("status=submitted", {"plain", "young", "old", "away", "flagged", "s1", "other"}),
        ("education=D4/S1", {"s1"}),
        ("min_age=18", {"plain", "old", "away", "flagged", "s1", "accepted", "other"}),
        ("max_age=50", {"plain", "young", "away", "flagged", "s1", "accepted", "other"}),
        ("min_age=18&max_age=50", {"plain", "away", "flagged", "s1", "accepted", "other"}),
        ("in_region=false", {"away"}),
        ("in_region=true", {"plain", "young", "old", "flagged", "s1", "accepted", "other"}),
        ("nik_flagged=true", {"flagged"}),
        ("nik_flagged=false", {"plain", "young", "old", "away", "s1", "accepted", "other"}),
    ],
)
def test_each_filter_narrows_the_list(office_x, mixed, login, query, expected):
    names = {v: k for k, v in mixed.items()}
    response = login(office_x.admin).get(f"/api/v1/admin/applications?{query}")

    assert response.status_code == 200, response.json
    assert {names[i["application_id"]] for i in response.json["items"]} == expected
    assert response.json["count"] == len(expected)


def test_activity_filter(office_x, mixed, login):
    response = login(office_x.admin).get(
        f"/api/v1/admin/applications?activity_id={office_x.activity_id}"
    )
    assert mixed["other"] not in {i["application_id"] for i in response.json["items"]}
    assert len(response.json["items"]) == len(mixed) - 1


def test_list_masks_the_nik(app, office_x, submitted, login):
    item = login(office_x.admin).get("/api/v1/admin/applications").json["items"][0]
    assert MASKED.match(item["nik"]), item["nik"]
    with app.app_context():
        nik = db.session.get_one(Profile, application(app, submitted).user_id).nik
    assert item["nik"] == nik[:4] + "********" + nik[-4:]
    html = login(office_x.admin).get("/admin/lamaran").get_data(as_text=True)
    assert nik not in html
    assert item["nik"] in html
    assert audit_events(app, "view_personal_data") == []


# --- the detail and the documents ----------------------------------------------------


def test_detail_shows_everything_and_is_audited(app, office_x, submitted, login):
    admin = login(office_x.admin)

    response = admin.get(f"/api/v1/admin/applications/{submitted}")

    assert response.status_code == 200, response.json
    body = response.json
    assert len(body["profile"]["nik"]) == 16
    assert body["eligibility"]["meets_hard_rules"] is True
    assert [c["rule"] for c in body["eligibility"]["checks"]] == [
        "education",
        "not_civil_servant",
        "age",
        "domicile",
        *declarations.PREFERENCE_KEYS,
    ]
    assert [d["kind"] for d in body["documents"]] == [k.value for k in DocumentKind]
    [event] = audit_events(app, "view_personal_data")
    assert (event.actor_id, event.object_id) == (office_x.admin.id, submitted)
    assert body["history"][-1]["action"] == "view_personal_data"


def test_document_download_is_an_audited_attachment(app, office_x, submitted, login):
    user_id = application(app, submitted).user_id
    write_document_file(app, user_id, DocumentKind.KTP, b"%PDF-1.4 uji")
    admin = login(office_x.admin)

    response = admin.get(f"/api/v1/admin/applications/{submitted}/documents/ktp")

    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 uji"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    [event] = audit_events(app, "download_document")
    assert (event.actor_id, event.object_id, event.details) == (
        office_x.admin.id,
        submitted,
        {"kind": "ktp"},
    )
    assert admin.get(f"/api/v1/admin/applications/{submitted}/documents/nope").status_code == 404
    # The row exists but its file does not: not found, and nothing was seen.
    assert admin.get(f"/api/v1/admin/applications/{submitted}/documents/cv").status_code == 404
    assert len(audit_events(app, "download_document")) == 1


# --- pages ---------------------------------------------------------------------------


def test_admin_pages_render_and_the_decision_form_works(
    app, office_x, submitted, complete_candidate, login
):
    admin = login(office_x.admin)
    listing = admin.get("/admin/lamaran")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert 'class="table-wrap wide"' in html
    assert f'href="/admin/lamaran/{submitted}"' in html
    filtered = admin.get("/admin/lamaran?status=accepted&in_region=1&min_age=abc")
    assert filtered.status_code == 200
    assert f'href="/admin/lamaran/{submitted}"' not in filtered.get_data(as_text=True)

    detail = admin.get(f"/admin/lamaran/{submitted}")
    assert detail.status_code == 200
    assert "Syarat terpenuhi" in detail.get_data(as_text=True)

    refused = admin.submit_form(
        f"/admin/lamaran/{submitted}", {"decision": "rejected", "reason": ""}, follow_redirects=True
    )
    assert "Alasan penolakan wajib diisi." in refused.get_data(as_text=True)
    assert application(app, submitted).status == ApplicationStatus.SUBMITTED

    done = admin.submit_form(
        f"/admin/lamaran/{submitted}",
        {"decision": "rejected", "reason": "Foto tidak jelas."},
        follow_redirects=True,
    )
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    assert "Keputusan telah disimpan." in page
    assert "Foto tidak jelas." in page  # in the history
    row = application(app, submitted)
    assert (row.status, row.decision_reason) == (ApplicationStatus.REJECTED, "Foto tidak jelas.")
    # Each showing of the page was recorded.
    assert len(audit_events(app, "view_personal_data")) == 5


def test_locked_detail_page_has_no_decision_form(
    app, office_x, complete_candidate, make_application, login
):
    application_id = make_application(
        office_x.activity_id, complete_candidate(), ApplicationStatus.ACCEPTED
    )
    add_booking(app, application_id)
    html = login(office_x.admin).get(f"/admin/lamaran/{application_id}").get_data(as_text=True)
    assert 'name="decision"' not in html
    assert "Keputusan terkunci" in html


def test_detail_page_shows_nik_flags_as_a_warning(
    office_x, complete_candidate, make_application, login
):
    user = complete_candidate(nik_flags=[BIRTH_DATE_MISMATCH], regency_code="3204")
    application_id = make_application(office_x.activity_id, user)
    html = login(office_x.admin).get(f"/admin/lamaran/{application_id}").get_data(as_text=True)
    warning = html.split('class="warning-box"', 1)[1].split("</div>", 1)[0]
    assert "Tanggal lahir pada NIK berbeda" in warning
    assert "Berdomisili di luar wilayah kantor (menurut alamat dan NIK)." in html
