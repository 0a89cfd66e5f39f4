"""XLSX in the column template of `tabular`: the first sheet, header in row 1.

openpyxl reads the XML inside through defusedxml (installed with this
package); the zip itself is checked by `safezip` before openpyxl opens it.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time

import openpyxl

from ..model import Question
from ..problems import problem
from .base import Defaults, FileRefused, Parsed
from .safezip import open_zip
from .tabular import COLUMNS, question_row, read_header, read_row

# Columns beyond these are never read: a sheet may declare 16,384 of them.
MAX_COLUMNS = 32
SHEET_TITLE = "questions"


def read(data: bytes, defaults: Defaults) -> Iterator[Parsed]:
    open_zip(data).close()
    with warnings.catch_warnings():
        # openpyxl warns about styles and extensions it ignores; they do not matter here.
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise FileRefused(problem("xlsx_no_sheet", "the workbook has no sheet"))
        rows = workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
        header = next(rows, None)
        if header is None:
            raise FileRefused(problem("xlsx_sheet_empty", "the sheet is empty"))
        names = read_header([cell_text(value) for value in header])
        for number, row in enumerate(rows, start=2):
            item = read_row(number, names, [cell_text(value) for value in row], defaults)
            if item is not None:
                yield item
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A cell's value as the text an author typed (1.0 -> "1", dates in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def write(questions: Sequence[Question]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.append(COLUMNS)
    for question in questions:
        sheet.append(question_row(question))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
