"""The attendance list of a session as CSV, for printing and signing on the day.

Excel is what offices open it with: UTF-8 with a byte-order mark (so names with
accents survive), CRLF line ends, and no cell that Excel would run as a formula
(OWASP "CSV injection": a value starting with = + - @ tab or CR gets a leading
apostrophe, which Excel shows as text). Times are in the zone of the session's
office, which the column's title names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..core.spreadsheets import local_cell, safe_cell, zoned_title


@dataclass(frozen=True)
class AttendanceRow:
    number: int
    full_name: str
    masked_nik: str
    booked_at: datetime


def attendance_csv(rows: Iterable[AttendanceRow], zone: ZoneInfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    booked = zoned_title(_("Waktu pilih"), zone)
    writer.writerow([_("No"), _("Nama"), _("NIK"), booked, _("Tanda tangan")])
    for row in rows:
        writer.writerow(
            [
                str(row.number),
                safe_cell(row.full_name),
                safe_cell(row.masked_nik),
                local_cell(row.booked_at, zone),
                "",
            ]
        )
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
