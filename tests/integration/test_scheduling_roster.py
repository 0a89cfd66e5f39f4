"""The roster of a session for admins: names, masked NIKs, booking times, and the
attendance list as CSV that Excel opens as text (no formula ever runs)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from exam_service.accounts.models import Role
from exam_service.core.audit import AuditEvent
from exam_service.core.clock import WIB, to_local
from exam_service.core.extensions import db
from exam_service.core.spreadsheets import safe_cell
from tests.support.scheduling import booking_rows

MASKED = re.compile(r"^\d{4}\*{8}\d{4}$")
HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture
def office(make_office):
    return make_office()


@pytest.fixture
def activity_id(office, make_booking_activity) -> int:
    return make_booking_activity(office)


@pytest.fixture
def admin(office, make_user, login):
    return login(make_user(Role.ADMIN, office=office))


@pytest.fixture
def booked_session(activity_id, accepted_candidate, make_session, login):
    """A session booked by two candidates, one of them with a formula for a name."""
    session_id = make_session(activity_id, capacity=5)
    candidates = [
        accepted_candidate(activity_id, full_name="Siti Rahmawati"),
        accepted_candidate(activity_id, full_name=HYPERLINK),
    ]
    for candidate in candidates:
        response = login(candidate).post("/api/v1/me/bookings", json={"session_id": session_id})
        assert response.status_code == 201
    return session_id, candidates


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_roster_lists_names_masked_niks_and_booking_times(app, admin, booked_session):
    session_id, candidates = booked_session

    response = admin.get(f"/api/v1/admin/sessions/{session_id}/roster")

    assert response.status_code == 200
    rows = response.json["rows"]
    assert [(r["number"], r["full_name"]) for r in rows] == [
        (1, "Siti Rahmawati"),
        (2, HYPERLINK),
    ]
    for row, candidate in zip(rows, candidates, strict=True):
        assert MASKED.match(row["nik"])
        assert row["nik"][:4] == candidate.nik[:4]
        assert row["nik"][-4:] == candidate.nik[-4:]
        assert candidate.nik not in response.get_data(as_text=True)
    assert response.json["session"]["booked"] == 2
    assert audit_actions(app) == ["view_roster"]


def test_the_attendance_csv_is_excel_ready_and_formula_safe(app, admin, booked_session):
    session_id, candidates = booked_session

    response = admin.get(f"/api/v1/admin/sessions/{session_id}/roster.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0] == ["No", "Nama", "NIK", "Waktu pilih (WIB)", "Tanda tangan"]
    assert [row[:2] for row in table[1:]] == [["1", "Siti Rahmawati"], ["2", "'" + HYPERLINK]]
    booked_at = {b.application_id: b.created_at for b in booking_rows(app)}
    for row, candidate in zip(table[1:], candidates, strict=True):
        assert MASKED.match(row[2])
        assert row[3] == to_local(booked_at[candidate.application_id], WIB).strftime(
            "%d-%m-%Y %H:%M"
        )
        assert row[4] == ""
    assert b"\r\n" in raw
    assert audit_actions(app) == ["download_roster"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+62 812", "'+62 812"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Budi = Baik", "Budi = Baik"),
        ("", ""),
    ],
)
def test_cells_that_a_spreadsheet_would_evaluate_become_text(value, shown):
    assert safe_cell(value) == shown


def test_roster_page_shows_masked_niks_and_links_the_csv(app, admin, booked_session):
    session_id, candidates = booked_session

    html = admin.get(f"/admin/sesi/{session_id}/peserta").get_data(as_text=True)

    assert "Siti Rahmawati" in html
    assert "&#34;" in html or "&quot;" in html  # the formula name, escaped
    for candidate in candidates:
        assert candidate.nik not in html
        assert candidate.nik[:4] + "*" * 8 + candidate.nik[-4:] in html
    assert f"/api/v1/admin/sessions/{session_id}/roster.csv" in html
    assert audit_actions(app) == ["view_roster"]


def test_rosters_are_for_admins_of_the_office(
    app, booked_session, make_office, make_user, login, accepted_candidate, activity_id
):
    session_id, _ = booked_session
    stranger = login(make_user(Role.ADMIN, office=make_office()))
    candidate = login(accepted_candidate(activity_id))

    for path in (
        f"/api/v1/admin/sessions/{session_id}/roster",
        f"/api/v1/admin/sessions/{session_id}/roster.csv",
    ):
        assert stranger.get(path).status_code == 404
        assert candidate.get(path).status_code == 403
    assert audit_actions(app) == []


def test_an_empty_session_has_an_empty_roster(app, admin, activity_id, make_session):
    session_id = make_session(activity_id)

    assert admin.get(f"/api/v1/admin/sessions/{session_id}/roster").json["rows"] == []
    table = admin.get(f"/api/v1/admin/sessions/{session_id}/roster.csv").get_data()
    assert table.decode("utf-8-sig").splitlines() == ["No,Nama,NIK,Waktu pilih (WIB),Tanda tangan"]
