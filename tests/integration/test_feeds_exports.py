"""Results exports for admins: CSV and XLSX with per-category scores, formula-safe."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from exam_service.accounts.models import Role
from exam_service.core.audit import AuditEvent
from exam_service.core.extensions import db

EVIL_NAME = '=HYPERLINK("http://example.invalid","klik")'


def _setup(exam_activity, scored_attempt, activity_admin, login):
    activity_id = exam_activity()
    scored_attempt(activity_id, {"hitung": ("2", "3"), "konsep": ("1.5", "2")}, full_name=EVIL_NAME)
    scored_attempt(activity_id, {"hitung": ("3", "3"), "konsep": ("2", "2")})
    return activity_id, login(activity_admin(activity_id))


def test_csv_has_a_column_per_category_and_no_formula(
    app, login, activity_admin, exam_activity, scored_attempt
):
    activity_id, admin = _setup(exam_activity, scored_attempt, activity_admin, login)
    response = admin.get(f"/api/v1/admin/activities/{activity_id}/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[-4:-2] == ["Skor hitung", "Skor konsep"]
    best, second = rows[1], rows[2]
    assert best[header.index("Skor")] == "5.000"
    assert second[header.index("Skor hitung")] == "2"
    assert second[header.index("Skor konsep")] == "1.5"
    assert second[header.index("Nama")] == "'" + EVIL_NAME
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert re.fullmatch(r"3273\*{8}\d{4}", best[header.index("NIK")])
    with app.app_context():
        exported = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "results_exported")
        ).all()
        assert [(e.object_id, e.details["format"]) for e in exported] == [(activity_id, "csv")]


def test_xlsx_keeps_numbers_and_never_stores_a_formula(
    login, activity_admin, exam_activity, scored_attempt
):
    activity_id, admin = _setup(exam_activity, scored_attempt, activity_admin, login)
    response = admin.get(f"/api/v1/admin/activities/{activity_id}/results.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    name = rows[2][header.index("Nama")]
    assert name.value == "'" + EVIL_NAME
    assert name.data_type == "s"
    assert all(c.data_type != "f" for row in rows for c in row)
    assert Decimal(str(rows[1][header.index("Skor")].value)) == Decimal(5)
    assert rows[2][header.index("Skor konsep")].value == 1.5


def test_exports_are_for_the_activitys_office_only(
    login, make_user, make_office, exam_activity, scored_attempt
):
    activity_id = exam_activity()
    scored_attempt(activity_id, {"hitung": ("1", "3")})
    stranger = login(make_user(Role.ADMIN, office=make_office()))
    assert stranger.get(f"/api/v1/admin/activities/{activity_id}/results.csv").status_code == 404
    candidate = login(make_user(Role.CANDIDATE))
    assert candidate.get(f"/api/v1/admin/activities/{activity_id}/results.xlsx").status_code == 403


def test_the_results_page_lists_attempts_and_links_the_exports(
    login, activity_admin, exam_activity, scored_attempt
):
    activity_id, admin = _setup(exam_activity, scored_attempt, activity_admin, login)
    page = admin.get(f"/admin/kegiatan/{activity_id}/hasil")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/api/v1/admin/activities/{activity_id}/results.xlsx" in html
    assert "Skor Konsep" in html  # the category's name, not its code
    assert "=HYPERLINK(&#34;http" in html  # escaped, shown as text
