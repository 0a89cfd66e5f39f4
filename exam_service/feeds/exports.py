"""Results of an activity as CSV and XLSX for admins, with a column per category.

Spreadsheets are where offices open these, so no text cell can ever run as a
formula (OWASP "CSV injection"): a text starting with = + - @ tab or CR gets a
leading apostrophe, in both formats. Numbers stay numbers. NIKs are masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from ..accounts.models import Profile, User
from ..core.audit import record
from ..core.extensions import db
from ..core.privacy import mask_nik
from ..core.spreadsheets import csv_bytes, local_cell, xlsx_bytes, zoned_title
from ..exam.models import Attempt
from ..recruitment.models import Application
from ..scheduling.models import Booking
from ..selection.service import state_for_admin

FINISH_REASON_LABELS = {"submitted": "dikirim", "time_over": "waktu habis"}

Cell = str | int | Decimal | None


@dataclass(frozen=True)
class ResultTable:
    activity_name: str
    header: list[str]
    rows: list[list[Cell]]
    # The category codes of the "Skor <category>" columns (pages show their names).
    categories: tuple[str, ...] = ()


def export(admin: User, activity_id: int, export_format: str) -> bytes:
    """The results file ("csv" or "xlsx"); every export is audited."""
    table = results_table(admin, activity_id)
    record(admin.id, "results_exported", "activity", activity_id, format=export_format)
    return to_xlsx(table) if export_format == "xlsx" else to_csv(table)


def results_table(admin: User, activity_id: int) -> ResultTable:
    """The graded attempts of an activity of the admin's office, best score first;
    times in the office's zone, which the columns' titles name."""
    state = state_for_admin(admin, activity_id)
    zone = state.activity.office.zone
    graded = _graded(activity_id)
    categories = _categories(state.categories, graded)
    header = [
        _("No"),
        _("Nama"),
        _("NIK"),
        _("No. lamaran"),
        _("ID ujian"),
        _("Sesi"),
        zoned_title(_("Mulai"), zone),
        zoned_title(_("Selesai"), zone),
        _("Cara selesai"),
        _("Skor"),
        _("Skor maksimal"),
        *[_("Skor %(category)s", category=c) for c in categories],
        zoned_title(_("Dinilai"), zone),
        _("Versi penilaian"),
    ]
    rows = []
    for number, (attempt, application_id, name, legal_name, nik) in enumerate(graded, start=1):
        parts = attempt.category_scores or {}
        rows.append(
            [
                number,
                legal_name or name,
                mask_nik(nik or ""),
                application_id,
                attempt.id,
                attempt.session_id,
                local_cell(attempt.started_at, zone),
                local_cell(attempt.finished_at, zone),
                FINISH_REASON_LABELS.get(str(attempt.finish_reason), str(attempt.finish_reason)),
                attempt.score,
                attempt.max_score,
                *[Decimal(str(parts[c]["score"])) if c in parts else None for c in categories],
                local_cell(attempt.graded_at, zone),
                attempt.grading_version,
            ]
        )
    return ResultTable(state.activity.name, header, rows, tuple(categories))


def _graded(activity_id: int) -> list:
    return list(
        db.session.execute(
            db.select(Attempt, Application.id, User.full_name, Profile.full_name, Profile.nik)
            .join(Booking, Booking.id == Attempt.booking_id)
            .join(Application, Application.id == Booking.application_id)
            .join(User, User.id == Application.user_id)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(Application.activity_id == activity_id, Attempt.graded_at.is_not(None))
            .order_by(Attempt.score.desc(), Attempt.id)
        )
    )


def _categories(blueprint_order: list[str], graded: list) -> list[str]:
    """The blueprint's categories, then any other category an attempt was scored in."""
    seen = list(blueprint_order)
    for attempt, *_rest in graded:
        seen += [c for c in (attempt.category_scores or {}) if c not in seen]
    return seen


def to_csv(table: ResultTable) -> bytes:
    return csv_bytes(table.header, table.rows)


def to_xlsx(table: ResultTable) -> bytes:
    return xlsx_bytes(_("Hasil"), table.header, table.rows)
