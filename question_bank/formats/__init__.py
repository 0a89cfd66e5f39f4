"""Import and export of questions in CSV, XLSX, Aiken, GIFT and QTI 2.1.

See README.md in this folder for the CSV/XLSX column template and what each
format can and cannot carry. Imports never raise on bad input: a file that
cannot be read gives a report with one issue (item 0), and each refused item
is listed with its number and, where the format has lines, its line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from ..model import Difficulty, Question
from ..problems import Problem, problem
from . import aiken, csvfile, gift, qti, xlsx
from .base import (
    MAX_IMPORT_BYTES,
    MAX_ITEMS,
    Defaults,
    ExportError,
    FileRefused,
    ImportIssue,
    ImportReport,
    Parsed,
    UnknownFormat,
)

FORMATS = ("csv", "xlsx", "aiken", "gift", "qti")

Reader = Callable[[bytes, Defaults], Iterator[Parsed]]
Writer = Callable[[Sequence[Question]], bytes]
_READERS: dict[str, Reader] = {
    "csv": csvfile.read,
    "xlsx": xlsx.read,
    "aiken": aiken.read,
    "gift": gift.read,
    "qti": qti.read,
}
_WRITERS: dict[str, Writer] = {
    "csv": csvfile.write,
    "xlsx": xlsx.write,
    "aiken": aiken.write,
    "gift": gift.write,
    "qti": qti.write,
}

__all__ = [
    "FORMATS",
    "MAX_IMPORT_BYTES",
    "MAX_ITEMS",
    "ExportError",
    "ImportIssue",
    "ImportReport",
    "UnknownFormat",
    "export_questions",
    "import_questions",
]


def import_questions(
    data: bytes,
    fmt: str,
    *,
    partial: bool = False,
    category: str = "",
    difficulty: Difficulty = Difficulty.MEDIUM,
) -> ImportReport:
    """Read questions from `data` in format `fmt`.

    Every item is validated and its stem sanitized. Unless `partial`, one
    refused item means nothing is imported, but the report still lists every
    refused item. `category` and `difficulty` apply where the file does not
    say (Aiken never does). Raises UnknownFormat; never raises on bad data.
    """
    read = _READERS[_format(fmt)]
    if len(data) > MAX_IMPORT_BYTES:
        megabytes = MAX_IMPORT_BYTES // (1024 * 1024)
        return _file_refused(
            problem(
                "file_too_large", f"the file is larger than {megabytes} MB", megabytes=megabytes
            ),
            None,
        )
    imported: list[Question] = []
    refused: list[ImportIssue] = []
    first_with_id: dict[str, int] = {}
    try:
        for number, item in enumerate(read(data, Defaults(category, difficulty)), start=1):
            if number > MAX_ITEMS:
                raise FileRefused(
                    problem(
                        "too_many_items",
                        f"the file has more than {MAX_ITEMS} items",
                        max=MAX_ITEMS,
                    )
                )
            problems = list(item.problems)
            question = item.question
            if question is not None and question.id is not None:
                first = first_with_id.setdefault(question.id, number)
                if first != number:
                    problems.append(
                        problem(
                            "id_repeated",
                            f"id {question.id!r} is already used by item {first}",
                            id=question.id,
                            item=first,
                        )
                    )
            if question is None or problems:
                refused.append(ImportIssue.of(number, item.line, problems))
            else:
                imported.append(question)
    except FileRefused as error:
        return _file_refused(error.problem, error.line)
    except Exception:
        # Hostile files reach deep into zipfile and openpyxl, which raise many kinds
        # of errors; an upload must end in a report, never in a server error.
        return _file_refused(
            problem("file_unreadable", f"the file could not be read as {fmt}", format=fmt), None
        )
    return ImportReport(imported if partial or not refused else [], refused)


def _file_refused(refusal: Problem, line: int | None) -> ImportReport:
    return ImportReport([], [ImportIssue.of(0, line, [refusal])])


def export_questions(questions: Iterable[Question], fmt: str) -> bytes:
    """Write `questions` in format `fmt`; raises UnknownFormat, or ExportError for
    questions the format cannot express (weighted questions in Aiken)."""
    return _WRITERS[_format(fmt)](list(questions))


def _format(fmt: str) -> str:
    name = fmt.strip().lower()
    if name not in FORMATS:
        raise UnknownFormat(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return name
