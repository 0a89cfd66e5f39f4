"""CSV in the column template of `tabular` (UTF-8; exports carry a BOM for Excel).

Imports accept a comma or, as Excel writes in Indonesian locales, a semicolon
as the delimiter: whichever the header line holds more of.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from ..model import Question
from ..problems import problem
from .base import Defaults, FileRefused, Parsed, decode_text
from .tabular import COLUMNS, question_row, read_header, read_row


def read(data: bytes, defaults: Defaults) -> Iterator[Parsed]:
    text = decode_text(data)
    header_line = text.partition("\n")[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(rows, None)
        if header is None:
            raise FileRefused(problem("file_empty", "the file is empty"))
        names = read_header(header)
        line = rows.line_num + 1
        for cells in rows:
            item = read_row(line, names, cells, defaults)
            if item is not None:
                yield item
            line = rows.line_num + 1
    except csv.Error as error:
        raise FileRefused(
            problem(
                "csv_unreadable",
                f"not a readable CSV file: {error}",
                line=rows.line_num,
                detail=str(error),
            ),
            rows.line_num,
        ) from None


def write(questions: Sequence[Question]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(question_row(question) for question in questions)
    return out.getvalue().encode("utf-8-sig")
