"""Moving questions in and out of the bank: file imports with a per-item report, exports.

The library (`question_bank.import_questions`) reads and validates every item;
this module adds the bank's own rules and writes:

- A category must be an existing code or a valid new one; new ones are created
  (code and name both the code; authors can rename them later) and reported.
- An external id that the bank already holds refuses the item as a duplicate:
  an import only ever adds questions, it never changes one (edits go through
  the editor, which keeps versions; invariant 7).
- An image must be one the bank already stores (files carry names, not images).
- All or nothing by default: one refused item and nothing is written, not even
  new categories; with `partial` the valid items are written.
- Imported questions are drafts unless the author asks for `active` (a bank
  moving between installations); they never arrive retired.
- A file that cannot be read at all is refused with one issue (item 0).

Exports write the current version of each question, with its external id as
the file's id (none when the question has none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from question_bank import (
    Difficulty,
    ExportError,
    ImportIssue,
    Option,
    UnknownFormat,
    export_questions,
    import_questions,
)
from question_bank import Question as LibraryQuestion

from ...accounts.models import User
from ...core import audit
from ...core.bank_problems import problem_text, problems_text
from ...core.errors import Conflict, Invalid
from ...core.extensions import db
from .. import images
from ..bank import to_library
from ..models import Category, Question, QuestionStatus, QuestionVersion
from ..service import add_question, ensure_categories, is_category_slug

IMPORT_STATUSES = (QuestionStatus.DRAFT, QuestionStatus.ACTIVE)
TEMPLATE_FORMATS = ("csv", "xlsx")
MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "aiken": "text/plain; charset=utf-8",
    "gift": "text/plain; charset=utf-8",
    "qti": "application/zip",
}
FILE_NAMES = {
    "csv": "bank-soal.csv",
    "xlsx": "bank-soal.xlsx",
    "aiken": "bank-soal-aiken.txt",
    "gift": "bank-soal-gift.txt",
    "qti": "bank-soal-qti.zip",
}
# The one row of the CSV/XLSX column template: every column filled in, as an example.
TEMPLATE_QUESTION = LibraryQuestion(
    id="CONTOH-001",
    category="numerasi",
    difficulty=Difficulty.EASY,
    stem="Berapakah 12 + 30?",
    options=(
        Option("42", Decimal(1)),
        Option("32"),
        Option("40"),
        Option("Tidak ada jawaban yang benar", keep_last=True),
    ),
)


class ItemStatus(StrEnum):
    IMPORTED = "imported"
    REFUSED = "refused"
    # Valid, but not written because another item was refused (all or nothing).
    NOT_IMPORTED = "not_imported"


@dataclass(frozen=True)
class ImportOptions:
    fmt: str
    partial: bool = False
    status: QuestionStatus = QuestionStatus.DRAFT
    # For what a file does not say (Aiken says neither).
    category: str = ""
    difficulty: Difficulty = Difficulty.MEDIUM


@dataclass(frozen=True)
class ItemReport:
    """One item of the file; `number` is 1-based (0: the file as a whole)."""

    number: int
    line: int | None
    external_id: str | None
    status: ItemStatus
    reason: str = ""


@dataclass(frozen=True)
class ImportResult:
    items: list[ItemReport]
    created_categories: list[str]

    @property
    def imported(self) -> int:
        return sum(1 for item in self.items if item.status is ItemStatus.IMPORTED)

    @property
    def refused(self) -> int:
        return sum(1 for item in self.items if item.status is ItemStatus.REFUSED)


class UnreadableFile(Invalid):
    """The file as a whole cannot be read; `result` holds its one issue."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(
            _("Berkas tidak dapat dibaca. %(reason)s", reason=result.items[0].reason),
            code="unreadable_file",
            extra={"report": report_dict(result)},
        )
        self.result = result


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    mimetype: str


# --- import ---------------------------------------------------------------------


def import_file(author: User, data: bytes, options: ImportOptions) -> ImportResult:
    """Import the questions of one file; see the module docstring for the rules."""
    if options.status not in IMPORT_STATUSES:
        raise Invalid(
            _("Soal impor hanya dapat berstatus draf atau aktif."),
            details={"status": _("Pilih draf atau aktif.")},
        )
    try:
        report = import_questions(
            data,
            options.fmt,
            partial=True,
            category=options.category,
            difficulty=options.difficulty,
        )
    except UnknownFormat:
        raise _unknown_format() from None
    file_issues = [issue for issue in report.refused if issue.item == 0]
    if file_issues:
        raise UnreadableFile(ImportResult([_refused(file_issues[0], None)], []))
    items, accepted = _checked_items(report.imported, report.refused)
    if any(item.status is ItemStatus.REFUSED for item in items) and not options.partial:
        skipped = _("Tidak diimpor: ada butir lain yang ditolak.")
        items = [
            dataclasses.replace(item, status=ItemStatus.NOT_IMPORTED, reason=skipped)
            if item.status is ItemStatus.IMPORTED
            else item
            for item in items
        ]
        return ImportResult(items, [])
    created = _write(author, accepted, options.status)
    result = ImportResult(items, created)
    audit.record(
        author.id,
        "bank.imported",
        "bank",
        None,
        format=options.fmt,
        imported=result.imported,
        refused=result.refused,
        created_categories=created,
    )
    return result


def _checked_items(
    questions: Sequence[LibraryQuestion], issues: Sequence[ImportIssue]
) -> tuple[list[ItemReport], list[LibraryQuestion]]:
    """Every item in file order, and the questions that pass the bank's rules too.

    The library lists refused items by number and returns the others in file
    order, so the valid questions take the numbers the refused ones leave free.
    """
    refused = {issue.item: issue for issue in issues}
    free_numbers = (n for n in range(1, len(questions) + len(issues) + 1) if n not in refused)
    numbered = dict(zip(free_numbers, questions, strict=True))
    taken_ids = _existing_external_ids({q.id for q in questions if q.id})
    categories = set(db.session.scalars(db.select(Category.slug)))
    items: list[ItemReport] = []
    accepted: list[LibraryQuestion] = []
    for number in sorted([*refused, *numbered]):
        if number in refused:
            items.append(_refused(refused[number], None))
            continue
        question = numbered[number]
        problems = _bank_problems(question, categories, taken_ids)
        if problems:
            items.append(
                ItemReport(number, None, question.id, ItemStatus.REFUSED, " ".join(problems))
            )
        else:
            items.append(ItemReport(number, None, question.id, ItemStatus.IMPORTED))
            accepted.append(question)
    return items, accepted


def _bank_problems(
    question: LibraryQuestion, categories: set[str], taken_ids: set[str]
) -> list[str]:
    """The bank's own rules for an imported question, as Indonesian sentences."""
    problems = []
    if question.category not in categories and not is_category_slug(question.category):
        problems.append(
            _(
                "Kode kategori %(slug)s tidak valid (huruf kecil, angka, '-' atau '_').",
                slug=question.category,
            )
        )
    if question.id in taken_ids:
        problems.append(_("Kode soal %(id)s sudah ada di bank (duplikat).", id=question.id))
    if question.image and not images.is_stored(question.image):
        problems.append(
            _("Gambar %(name)s tidak ada di bank; unggah gambarnya dulu.", name=question.image)
        )
    return problems


def _existing_external_ids(ids: set[str]) -> set[str]:
    if not ids:
        return set()
    return set(
        db.session.scalars(db.select(Question.external_id).where(Question.external_id.in_(ids)))
    )


def _write(author: User, questions: list[LibraryQuestion], status: QuestionStatus) -> list[str]:
    """Store the questions (and their new categories); returns the created category codes."""
    wanted = sorted({q.category for q in questions})
    try:
        with db.session.begin_nested():
            before = set(db.session.scalars(db.select(Category.slug)))
            categories = ensure_categories((slug, slug) for slug in wanted)
            for question in questions:
                add_question(
                    question, categories[question.category], status=status, author_id=author.id
                )
            db.session.flush()
    except IntegrityError:
        # Another import took one of these ids (or codes) a moment ago.
        raise Conflict(
            _("Bank soal berubah selama impor. Silakan impor ulang."), code="import_conflict"
        ) from None
    return [slug for slug in wanted if slug not in before]


def _refused(issue: ImportIssue, external_id: str | None) -> ItemReport:
    """A refused item, its reasons in Indonesian (never the library's English message)."""
    return ItemReport(
        issue.item, issue.line, external_id, ItemStatus.REFUSED, problems_text(issue.problems)
    )


def report_dict(result: ImportResult) -> dict[str, object]:
    """The report as the API answers it (also inside a 422 for an unreadable file)."""
    return {
        "imported": result.imported,
        "refused": result.refused,
        "created_categories": list(result.created_categories),
        "items": [
            {**dataclasses.asdict(item), "status": item.status.value} for item in result.items
        ],
    }


# --- export ---------------------------------------------------------------------


def export_bank(
    fmt: str, status: QuestionStatus | None = None, category: str | None = None
) -> ExportFile:
    """The current version of every matching question, as a file in format `fmt`."""
    fmt = fmt.strip().lower()
    if fmt not in MIME_TYPES:
        raise _unknown_format()
    query = (
        db.select(Question, QuestionVersion, Category.slug)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .join(Category, Category.id == Question.category_id)
        .order_by(Question.id)
    )
    if status is not None:
        query = query.where(Question.status == status)
    if category:
        query = query.where(Category.slug == category)
    questions = [
        dataclasses.replace(to_library(version, slug), id=row.external_id)
        for row, version, slug in db.session.execute(query)
    ]
    return ExportFile(_exported(questions, fmt), FILE_NAMES[fmt], MIME_TYPES[fmt])


def column_template(fmt: str) -> ExportFile:
    """The CSV or XLSX column template: the header and one example row."""
    if fmt not in TEMPLATE_FORMATS:
        raise _unknown_format()
    content = export_questions([TEMPLATE_QUESTION], fmt)
    return ExportFile(content, f"templat-bank-soal.{fmt}", MIME_TYPES[fmt])


def _exported(questions: list[LibraryQuestion], fmt: str) -> bytes:
    try:
        return export_questions(questions, fmt)
    except ExportError as error:
        raise Invalid(
            _(
                "Format %(fmt)s tidak dapat memuat sebagian soal: %(reason)s",
                fmt=fmt,
                reason=problem_text(error.problem),
            ),
            code="format_cannot_express",
        ) from None


def _unknown_format() -> Invalid:
    return Invalid(
        _("Format berkas tidak dikenal."),
        code="unknown_format",
        details={"format": _("Gunakan csv, xlsx, aiken, gift atau qti.")},
    )
