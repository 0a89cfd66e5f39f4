"""Tables for people's spreadsheets (CSV and XLSX exports), written safely.

A text cell is never run as a formula (CSV injection): one starting with a
formula character gets a leading apostrophe, and XLSX cells holding text are
typed as text. Times are written in the zone of the activity's office, without a
zone suffix: the column's title names the zone (`zoned_title`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from .clock import LOCAL_FORMAT, to_local, zone_name

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """`value` as text that a spreadsheet will never evaluate."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def local_cell(value: datetime | None, zone: ZoneInfo) -> str:
    """A time as a cell: "10-12-2026 09:00" in `zone` ("" for none)."""
    return to_local(value, zone).strftime(LOCAL_FORMAT) if value else ""


def zoned_title(title: str, zone: ZoneInfo) -> str:
    """A time column's title naming its zone: "Mulai (WITA)"."""
    return f"{title} ({zone_name(zone)})"


def _cell(value: object) -> object:
    if value is None:
        return ""
    return safe_cell(value) if isinstance(value, str) else value


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads accents right), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in header])
    for row in rows:
        writer.writerow([_cell(c) for c in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(title: str, header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append([_cell(c) for c in header])
    for row in rows:
        sheet.append([None if c is None else _cell(c) for c in row])
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
