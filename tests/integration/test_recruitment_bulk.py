"""The administrative selection at scale: 500 applications filtered, sorted, paged and
searched; one bulk decision (each audited, each mailed through the outbox); refusals
reported per application; the export with masked or (audited) full NIKs."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook

from exam_service.accounts.models import DocumentKind, Education, Role, User
from exam_service.core.audit import AuditEvent
from exam_service.core.extensions import db
from exam_service.core.mail import OutgoingMail, deliver_due_mail
from exam_service.notifications.models import Notice
from exam_service.recruitment.models import Application, ApplicationStatus
from tests.support.factories import (
    build_application,
    build_documents,
    build_profile,
    build_user,
)
from tests.support.queries import statements_sent
from tests.support.recruitment import add_booking

MASKED = re.compile(r"^\d{4}\*{8}\d{4}$")
ELIGIBLE = 500


@dataclass
class Office500:
    admin: User
    activity_id: int
    eligible: list[int]  # submitted, SMA, every document, in the region
    incomplete: list[int]  # the CV missing
    low_education: list[int]  # SD: below the minimum
    flagged: list[int]  # eligible ones whose NIK is flagged
    outside: list[int]  # eligible ones living outside the region


@pytest.fixture
def office500(app, make_office, make_user, make_activity) -> Office500:
    """500 eligible applications and 20 that are not, inserted in bulk."""
    office = make_office(region_code="3273")
    admin = make_user(Role.ADMIN, office=office)
    activity_id = make_activity(office)
    with app.app_context():
        kinds_without_cv = [k for k in DocumentKind if k is not DocumentKind.CV]
        groups: dict[str, list[Application]] = {"eligible": [], "incomplete": [], "low": []}
        flagged, outside = [], []
        for i in range(ELIGIBLE + 20):
            group = "eligible" if i < ELIGIBLE else ("incomplete" if i % 2 else "low")
            user = build_user(name="Calon Mitra")
            db.session.flush()
            profile_values = {}
            if group == "low":
                profile_values["education"] = Education.SD
            if group == "eligible" and i % 50 == 7:
                profile_values["nik_flags"] = ["birth_date_mismatch"]
            if group == "eligible" and i % 100 == 3:
                profile_values["regency_code"] = "3204"
            build_profile(user, **profile_values)
            build_documents(user.id, kinds_without_cv if group == "incomplete" else None)
            application = build_application(activity_id, user.id)
            groups[group].append(application)
            if "nik_flags" in profile_values:
                flagged.append(application)
            if "regency_code" in profile_values:
                outside.append(application)
        db.session.commit()
        ids = {k: [a.id for a in v] for k, v in groups.items()}
        return Office500(
            admin,
            activity_id,
            ids["eligible"],
            ids["incomplete"],
            ids["low"],
            [a.id for a in flagged],
            [a.id for a in outside],
        )


def count_rows(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def listed(admin, query: str = "") -> dict:
    response = admin.get(f"/api/v1/admin/applications{query}")
    assert response.status_code == 200, response.json
    return response.json


# --- one bulk acceptance of 500 ---------------------------------------------------------


def test_accepting_all_eligible_decides_500_audited_and_mailed(app, office500, login, outbox):
    admin = login(office500.admin)
    assert listed(admin, "?page=1")["eligible"] == ELIGIBLE

    response = admin.post(
        "/api/v1/admin/applications/decisions",
        json={"decision": "accepted", "filter": {"status": "submitted"}},
    )

    assert response.status_code == 200, response.json
    body = response.json
    assert body["decided_count"] == ELIGIBLE
    assert sorted(body["decided_ids"]) == sorted(office500.eligible)
    assert {s["application_id"] for s in body["skipped"]} == set(
        office500.incomplete + office500.low_education
    )
    assert {s["reason"] for s in body["skipped"]} == {"not_eligible"}
    assert body["message"] == (
        "500 diterima, 20 dilewati: tidak memenuhi syarat atau dokumen belum lengkap"
    )
    accepted = Application.status == ApplicationStatus.ACCEPTED
    assert count_rows(app, Application, accepted) == ELIGIBLE
    # Every decision went through `decide`: audited, a notice and a queued mail each.
    assert count_rows(app, AuditEvent, AuditEvent.action == "application_decision") == ELIGIBLE
    assert count_rows(app, Notice) == ELIGIBLE
    assert count_rows(app, OutgoingMail, OutgoingMail.sent_at.is_(None)) == ELIGIBLE

    sent = 0
    while batch := deliver_due_mail(app, limit=200):
        sent += batch
    assert sent == ELIGIBLE
    assert len(list(outbox.glob("*.eml"))) == ELIGIBLE
    assert count_rows(app, OutgoingMail, OutgoingMail.sent_at.is_(None)) == 0

    # Again: nothing left to decide, nothing audited twice.
    again = admin.post(
        "/api/v1/admin/applications/decisions",
        json={"decision": "accepted", "filter": {"status": "accepted"}},
    )
    assert again.json["decided_count"] == 0
    assert again.json["message"] == "0 diterima, 500 dilewati: sudah diterima"
    assert count_rows(app, AuditEvent, AuditEvent.action == "application_decision") == ELIGIBLE

    # Rejecting "all" without a status filter overturns no acceptance: only the pending.
    rest = admin.post(
        "/api/v1/admin/applications/decisions",
        json={"decision": "rejected", "reason": "Tidak memenuhi syarat"},
    )
    assert rest.json["message"] == "20 ditolak, 500 dilewati: sudah diterima"
    assert count_rows(app, Application, accepted) == ELIGIBLE


def test_the_page_confirms_the_count_then_decides(app, office500, login):
    admin = login(office500.admin)
    page = admin.get("/admin/lamaran?documents=complete&status=submitted")
    html = page.get_data(as_text=True)
    assert "1-50 dari 510 lamaran" in html
    assert "Halaman 1 dari 11" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form = {
        "csrf_token": token,
        "decision": "accepted",
        "scope": "all",
        "f.documents": "complete",
        "f.status": "submitted",
    }

    confirm = admin.post("/admin/lamaran/keputusan", data=form)

    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "500 lamaran akan diterima." in text
    assert "10 tidak memenuhi syarat atau dokumen belum lengkap" in text
    assert count_rows(app, AuditEvent, AuditEvent.action == "application_decision") == 0

    done = admin.post("/admin/lamaran/keputusan", data={**form, "confirmed": "1"})

    assert done.status_code == 303
    assert done.headers["Location"].endswith("/admin/lamaran?documents=complete&status=submitted")
    after = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "500 diterima, 10 dilewati: tidak memenuhi syarat atau dokumen belum lengkap" in after
    assert count_rows(app, AuditEvent, AuditEvent.action == "application_decision") == ELIGIBLE


def test_a_rejection_needs_a_reason_and_decides_the_ticked_ones(app, office500, login):
    admin = login(office500.admin)
    ticked = office500.eligible[:3]
    html = admin.get("/admin/lamaran").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form = {"csrf_token": token, "decision": "rejected", "scope": "selected", "confirmed": "1"}

    refused = admin.post(
        "/admin/lamaran/keputusan", data={**form, "application_ids": ticked, "reason": " "}
    )
    assert refused.status_code == 303
    assert "Alasan penolakan wajib diisi." in admin.get("/admin/lamaran").get_data(as_text=True)
    assert count_rows(app, AuditEvent, AuditEvent.action == "application_decision") == 0
    api = admin.post(
        "/api/v1/admin/applications/decisions", json={"decision": "rejected", "reason": ""}
    )
    assert api.status_code == 422

    done = admin.post(
        "/admin/lamaran/keputusan",
        data={**form, "application_ids": ticked, "reason": "Kuota wilayah penuh"},
    )
    assert done.status_code == 303
    rejected = Application.status == ApplicationStatus.REJECTED
    with app.app_context():
        ids = db.session.scalars(db.select(Application.id).where(rejected)).all()
        reasons = set(db.session.scalars(db.select(Application.decision_reason).where(rejected)))
    assert sorted(ids) == sorted(ticked)
    assert reasons == {"Kuota wilayah penuh"}


def test_a_booked_candidate_is_skipped_and_the_rest_is_decided(
    app, office500, login, make_office, make_user, make_activity
):
    admin = login(office500.admin)
    first = office500.eligible[:25]
    assert (
        admin.post(
            "/api/v1/admin/applications/decisions",
            json={"decision": "accepted", "application_ids": first},
        ).json["decided_count"]
        == 25
    )
    for application_id in first[:5]:
        add_booking(app, application_id)
    # Another office's application cannot be decided from here.
    other_office = make_office(region_code="3204")
    other = make_activity(other_office)
    with app.app_context():
        user = build_user()
        db.session.flush()
        build_profile(user)
        foreign = build_application(other, user.id)
        db.session.commit()
        foreign_id = foreign.id

    response = admin.post(
        "/api/v1/admin/applications/decisions",
        json={
            "decision": "rejected",
            "reason": "Berkas tidak terbaca",
            "application_ids": [*first, foreign_id],
            "filter": {"status": "accepted"},
        },
    )

    assert response.status_code == 200, response.json
    body = response.json
    assert body["decided_count"] == 20
    assert body["message"] == "20 ditolak, 5 dilewati: sudah memilih sesi"
    assert {s["application_id"] for s in body["skipped"]} == set(first[:5])
    with app.app_context():
        statuses = dict(
            db.session.execute(
                db.select(Application.id, Application.status).where(
                    Application.id.in_([*first, foreign_id])
                )
            ).all()
        )
    assert {statuses[i] for i in first[:5]} == {ApplicationStatus.ACCEPTED}
    assert {statuses[i] for i in first[5:]} == {ApplicationStatus.REJECTED}
    assert statuses[foreign_id] == ApplicationStatus.SUBMITTED
    assert count_rows(app, AuditEvent, AuditEvent.action == "application_decision") == 45


# --- filters, sort, paging, search ---------------------------------------------------------


def test_filters_sort_paging_and_search(app, office500, login):
    admin = login(office500.admin)

    everything = listed(admin)
    assert everything["count"] == everything["total"] == 520
    page = listed(admin, "?page=2")
    assert (page["count"], page["total"], page["page"], page["pages"]) == (50, 520, 2, 11)
    last = listed(admin, "?page=11")
    assert last["count"] == 20
    assert listed(admin, "?page=99")["page"] == 11

    def ids(query: str) -> set[int]:
        return {i["application_id"] for i in listed(admin, query)["items"]}

    assert ids("?documents=incomplete") == set(office500.incomplete)
    assert len(ids("?documents=complete")) == 510
    assert all(i["documents_complete"] for i in listed(admin, "?documents=complete")["items"])
    assert ids("?nik=flagged") == set(office500.flagged)
    assert ids("?nik_flagged=true") == set(office500.flagged)
    assert ids("?region=out") == set(office500.outside)
    assert len(ids("?region=in&nik=clear")) == 520 - len(office500.outside) - len(office500.flagged)
    assert ids(f"?activity_id={office500.activity_id}&status=rejected") == set()
    assert admin.get("/api/v1/admin/applications?status=bogus").status_code == 422

    with app.app_context():
        name = db.session.scalar(
            db.select(User.full_name)
            .join(Application, Application.user_id == User.id)
            .where(Application.id == office500.low_education[0])
        )
    number = name.rsplit(" ", 1)[1]
    found = listed(admin, f"?q=MITRA%20{number}")["items"]
    assert office500.low_education[0] in {i["application_id"] for i in found}
    assert all(f"mitra {number}" in i["full_name"].lower() for i in found)
    assert listed(admin, "?q=100%25")["total"] == 0  # "%" is a character, not a wildcard

    by_name = [i["full_name"] for i in listed(admin, "?sort=name")["items"]]
    assert by_name == sorted(by_name, key=str.lower)
    newest = listed(admin, "?sort=-submitted&page=1")["items"]
    assert [i["submitted_at"] for i in newest] == sorted(
        (i["submitted_at"] for i in newest), reverse=True
    )
    admin.post(
        "/api/v1/admin/applications/decisions",
        json={"decision": "accepted", "application_ids": office500.eligible[-2:]},
    )
    by_status = [i["status"] for i in listed(admin, "?sort=status")["items"]]
    assert by_status[:2] == ["submitted", "submitted"]
    assert by_status[-2:] == ["accepted", "accepted"]

    # The page reads the same plain names and shows Indonesian numbers.
    html = admin.get("/admin/lamaran?page=3&documents=complete").get_data(as_text=True)
    assert "101-150 dari 510 lamaran" in html
    assert "Halaman 3 dari 11" in html
    assert 'rel="next"' in html
    assert 'rel="prev"' in html
    assert "page=4" in html


def test_the_list_takes_a_fixed_number_of_queries(app, office500, login):
    """No query per application: a page of 50 costs the same as a page of 20."""
    admin = login(office500.admin)
    listed(admin, "?page=1")  # the login is cached by the first request (accounts.auth)
    with statements_sent(app) as statements:
        listed(admin, "?page=1")
        full_page = len(statements)
        statements.clear()
        listed(admin, "?page=11")
        short_page = len(statements)
    assert full_page == short_page
    assert full_page < 15


# --- the export -------------------------------------------------------------------------


def test_export_masks_the_nik_unless_asked_and_audits_the_full_one(app, office500, login):
    admin = login(office500.admin)

    response = admin.get("/admin/lamaran/ekspor?format=csv&nik=flagged")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Nama", "NIK"]
    assert len(rows) == 1 + len(office500.flagged)
    assert all(MASKED.match(row[1]) for row in rows[1:])
    assert count_rows(app, AuditEvent, AuditEvent.action == "export_full_nik") == 0

    full = admin.get("/admin/lamaran/ekspor?format=xlsx&documents=incomplete&full_nik=1")

    assert full.status_code == 200
    sheet = load_workbook(io.BytesIO(full.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1 + len(office500.incomplete)
    assert all(re.fullmatch(r"\d{16}", row[1]) for row in values[1:])
    assert {row[6] for row in values[1:]} == {"Tidak"}  # documents complete
    with app.app_context():
        [event] = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "export_full_nik")
        ).all()
        assert event.actor_id == office500.admin.id
        assert event.details["count"] == len(office500.incomplete)
        assert sorted(event.details["application_ids"]) == sorted(office500.incomplete)

    api = admin.get("/api/v1/admin/applications/export?nik=flagged&sort=name")
    api_rows = list(csv.reader(io.StringIO(api.data.decode("utf-8-sig"))))
    assert len(api_rows) == 1 + len(office500.flagged)
    assert all(MASKED.match(row[1]) for row in api_rows[1:])
    names = [row[0] for row in api_rows[1:]]
    assert names == sorted(names, key=str.lower)
    api_full = admin.get("/api/v1/admin/applications/export?nik=flagged&full_nik=true")
    assert all(
        re.fullmatch(r"\d{16}", row[1])
        for row in csv.reader(io.StringIO(api_full.data.decode("utf-8-sig")))
        if row[0] != "Nama"
    )
    assert count_rows(app, AuditEvent, AuditEvent.action == "export_full_nik") == 2


def test_bulk_decisions_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/admin/applications/decisions"]["post"]
    assert operation["responses"]["200"]
    parameters = {
        p["name"] for p in spec["paths"]["/api/v1/admin/applications"]["get"]["parameters"]
    }
    assert {"status", "documents", "nik", "region", "q", "sort", "page"} <= parameters


def test_bulk_decisions_need_the_csrf_token(office500, login):
    admin = login(office500.admin)
    response = admin.post(
        "/api/v1/admin/applications/decisions",
        json={"decision": "accepted"},
        headers={"X-CSRFToken": "wrong"},
    )
    assert response.status_code in (400, 403)
