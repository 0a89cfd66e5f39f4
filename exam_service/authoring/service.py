"""Authoring: managing the question bank (categories, questions, versions).

Versioning rule: a draft has never been in a form (only active questions are
drawn), so editing a draft changes its current version in place. Editing an
active or retired question always adds a new version, frozen or not: a
version that is active may be drawn into a form at any moment, and a form must
show exactly what was drawn (invariant 7). Status changes and edits of one
question queue up on its row lock. Statuses move draft -> active <-> retired;
nothing goes back to draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func

from question_bank import (
    Difficulty,
    Option,
    QuestionError,
    make_question,
    question_to_dict,
    sanitize_stem,
)
from question_bank import Question as LibraryQuestion

from ..accounts.models import User
from ..core import audit
from ..core.bank_problems import problem_text, problems_text
from ..core.errors import Conflict, Invalid, NotFound
from ..core.extensions import db
from . import images
from .models import Category, Question, QuestionStatus, QuestionVersion

PAGE_SIZE = 25
_BLOCK_MARKUP = re.compile(r"<\s*(br|p|ul|ol|li|table|tr)\b", re.IGNORECASE)
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# The question's life: the one table behind `set_status` and the editor's buttons.
STATUS_MOVES: dict[QuestionStatus, tuple[QuestionStatus, ...]] = {
    QuestionStatus.DRAFT: (QuestionStatus.ACTIVE,),
    QuestionStatus.ACTIVE: (QuestionStatus.RETIRED,),
    QuestionStatus.RETIRED: (QuestionStatus.ACTIVE,),
}


@dataclass(frozen=True)
class QuestionDraft:
    """What an author submits for a question, before validation."""

    category_id: int
    difficulty: str
    stem: str
    options: list[Option]
    image_name: str | None = None
    # The practice column (not versioned); None leaves it as it is (an API edit that
    # does not mention it). A new question is not a practice question unless asked.
    practice: bool | None = None
    explanation: str | None = None


@dataclass(frozen=True)
class Preview:
    """A question as a candidate's page would show it, and what is still wrong
    (`problems`: Indonesian sentences, see `messages`)."""

    stem: str
    options: list[str]
    problems: list[str]


@dataclass(frozen=True)
class QuestionFilter:
    category_id: int | None = None
    status: QuestionStatus | None = None
    difficulty: Difficulty | None = None
    text: str = ""
    page: int = 1
    practice: bool | None = None


@dataclass(frozen=True)
class QuestionPage:
    items: list[Question]
    total: int
    page: int
    pages: int


# --- categories ------------------------------------------------------------------


def ensure_categories(categories: Iterable[tuple[str, str]]) -> dict[str, Category]:
    """Create missing categories (slug, name); return all of them by slug."""
    existing = {c.slug: c for c in db.session.scalars(db.select(Category))}
    for slug, name in categories:
        if slug not in existing:
            existing[slug] = Category(slug=slug, name=name)
            db.session.add(existing[slug])
    db.session.flush()
    return existing


def list_categories() -> list[tuple[Category, dict[QuestionStatus, int]]]:
    """Every category with its number of questions per status."""
    counts: dict[int, dict[QuestionStatus, int]] = {}
    rows = db.session.execute(
        db.select(Question.category_id, Question.status, func.count()).group_by(
            Question.category_id, Question.status
        )
    )
    for category_id, status, count in rows:
        counts.setdefault(category_id, {})[QuestionStatus(status)] = count
    categories = db.session.scalars(db.select(Category).order_by(Category.name))
    return [(c, counts.get(c.id, {})) for c in categories]


def create_category(author: User, slug: str, name: str) -> Category:
    slug, name = slug.strip().lower(), name.strip()
    errors = _category_problems(slug, name)
    if not errors and db.session.scalar(db.select(Category.id).where(Category.slug == slug)):
        errors["slug"] = _("Kode kategori ini sudah dipakai.")
    if errors:
        raise Invalid(_("Kategori belum benar."), details=errors)
    category = Category(slug=slug, name=name)
    db.session.add(category)
    db.session.flush()
    audit.record(author.id, "bank.category_created", "category", category.id, slug=slug)
    return category


def rename_category(author: User, category_id: int, name: str) -> Category:
    """Only the name changes: the slug is what files and blueprints refer to."""
    category = _category(category_id)
    name = name.strip()
    errors = _category_problems(category.slug, name)
    if errors:
        raise Invalid(_("Kategori belum benar."), details=errors)
    category.name = name
    db.session.flush()
    audit.record(author.id, "bank.category_renamed", "category", category.id)
    return category


def _category_problems(slug: str, name: str) -> dict[str, str]:
    errors = {}
    if not is_category_slug(slug):
        errors["slug"] = _("Kode: huruf kecil, angka, '-' atau '_', paling banyak 64 karakter.")
    if not name or len(name) > 200:
        errors["name"] = _("Nama wajib diisi, paling banyak 200 karakter.")
    return errors


def is_category_slug(slug: str) -> bool:
    """A category code files and blueprints can refer to."""
    return _SLUG.fullmatch(slug) is not None


def _category(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound(_("Kategori tidak ditemukan."))
    return category


# --- questions: reading ----------------------------------------------------------


def search_questions(criteria: QuestionFilter) -> QuestionPage:
    """Questions matching every given criterion, newest first, one page at a time."""
    query = db.select(Question).join(
        QuestionVersion, QuestionVersion.id == Question.current_version_id
    )
    if criteria.category_id is not None:
        query = query.where(Question.category_id == criteria.category_id)
    if criteria.status is not None:
        query = query.where(Question.status == criteria.status)
    if criteria.difficulty is not None:
        query = query.where(QuestionVersion.difficulty == criteria.difficulty.value)
    if criteria.practice is not None:
        query = query.where(Question.practice.is_(criteria.practice))
    text = criteria.text.strip().lower()
    if text:
        query = query.where(
            func.lower(QuestionVersion.stem).contains(text, autoescape=True)
            | func.lower(func.coalesce(Question.external_id, "")).contains(text, autoescape=True)
        )
    total = db.session.scalar(db.select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, criteria.page), pages)
    items = db.session.scalars(
        query.order_by(Question.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return QuestionPage(items=list(items), total=total, page=page, pages=pages)


def get_question(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.current_version is None:
        raise NotFound(_("Soal tidak ditemukan."))
    return question


def versions_of(question_id: int) -> list[QuestionVersion]:
    """Every version of a question, newest first (the history page)."""
    get_question(question_id)
    return list(
        db.session.scalars(
            db.select(QuestionVersion)
            .where(QuestionVersion.question_id == question_id)
            .order_by(QuestionVersion.number.desc())
        )
    )


# --- questions: writing ----------------------------------------------------------


def create_question(author: User, draft: QuestionDraft) -> Question:
    """A new draft question with its first version."""
    category = _category(draft.category_id)
    question = validated(draft, category)
    row = add_question(question, category, author_id=author.id)
    _apply_practice(author, row, draft)
    audit.record(author.id, "bank.question_created", "question", row.id)
    return row


def update_question(author: User, question_id: int, draft: QuestionDraft) -> Question:
    """Change a question's content: in place for a draft, as a new version otherwise."""
    row = _locked(question_id)
    category = _category(draft.category_id)
    question = validated(draft, category)
    current = row.current_version
    assert current is not None
    row.category_id = category.id
    _apply_practice(author, row, draft)
    if row.status == QuestionStatus.DRAFT and not current.frozen:
        _fill_version(current, question)
        db.session.flush()
        audit.record(author.id, "bank.question_edited", "question", row.id, version=current.number)
        return row
    version = QuestionVersion(
        question_id=row.id, number=current.number + 1, created_by_id=author.id
    )
    _fill_version(version, question)
    db.session.add(version)
    db.session.flush()
    row.current_version = version
    db.session.flush()
    audit.record(author.id, "bank.question_versioned", "question", row.id, version=version.number)
    return row


def set_status(author: User, question_id: int, status: QuestionStatus) -> Question:
    row = _locked(question_id)
    if status == row.status:
        return row
    old = row.status
    if status not in STATUS_MOVES[QuestionStatus(old)]:
        raise Conflict(
            _("Status soal tidak dapat diubah dari %(old)s ke %(new)s.", old=old, new=status),
            code="status_not_allowed",
        )
    row.status = status
    db.session.flush()
    audit.record(author.id, "bank.question_status", "question", row.id, old=old, new=status)
    return row


def add_question(
    question: LibraryQuestion,
    category: Category,
    *,
    status: QuestionStatus = QuestionStatus.DRAFT,
    author_id: int | None = None,
    practice: bool = False,
    explanation: str | None = None,
) -> Question:
    """Store a library question as a new bank question with its first version."""
    row = Question(
        category_id=category.id,
        status=status,
        external_id=question.id,
        practice=practice,
        explanation=_explanation_markup(explanation),
    )
    db.session.add(row)
    db.session.flush()
    version = QuestionVersion(question_id=row.id, number=1, created_by_id=author_id)
    _fill_version(version, question)
    db.session.add(version)
    db.session.flush()
    row.current_version_id = version.id
    return row


# --- the practice column -------------------------------------------------------------
#
# Practice questions are shown with their key (exam_service.practice), so the two
# pools never meet: a question becomes a practice question only if no real form ever
# held one of its versions, and a practice question that has left draft stays one.
# Marking locks the question's versions, and `bank.freeze` checks after taking them,
# so a form drawn at the same moment either freezes first (and marking is refused) or
# sees the mark (and the draw is refused).

MAX_EXPLANATION_CHARS = 5000


def practice_editable(question: Question) -> bool:
    """Whether the practice mark of `question` may still change (the editor's checkbox)."""
    if question.practice:
        return question.status == QuestionStatus.DRAFT
    return not _ever_in_a_real_form(question.id)


def _ever_in_a_real_form(question_id: int, *, lock: bool = False) -> bool:
    query = db.select(QuestionVersion.frozen).where(QuestionVersion.question_id == question_id)
    return any(db.session.scalars(query.with_for_update() if lock else query))


def _apply_practice(author: User, row: Question, draft: QuestionDraft) -> None:
    if draft.explanation is not None:
        if len(draft.explanation) > MAX_EXPLANATION_CHARS:
            message = _("Pembahasan paling panjang %(n)d karakter.", n=MAX_EXPLANATION_CHARS)
            raise Invalid(_("Soal belum benar."), details={"explanation": message})
        row.explanation = _explanation_markup(draft.explanation)
    if draft.practice is None or draft.practice == row.practice:
        return
    if draft.practice and _ever_in_a_real_form(row.id, lock=True):
        message = _(
            "Soal ini pernah masuk ujian sebenarnya, jadi tidak dapat menjadi soal latihan."
        )
        raise Conflict(message, code="practice_after_real_form", details={"practice": message})
    if not draft.practice and row.status != QuestionStatus.DRAFT:
        message = _(
            "Soal latihan yang sudah pernah aktif tetap menjadi soal latihan: "
            "peserta latihan sudah melihat kuncinya."
        )
        raise Conflict(message, code="practice_locked", details={"practice": message})
    row.practice = draft.practice
    db.session.flush()
    audit.record(author.id, "bank.question_practice", "question", row.id, practice=row.practice)


def _explanation_markup(text: str | None) -> str | None:
    text = (text or "").strip()
    return sanitize_stem(with_line_breaks(text)) if text else None


def validated(draft: QuestionDraft, category: Category) -> LibraryQuestion:
    """The draft as a library question, or Invalid listing every broken rule."""
    try:
        difficulty = Difficulty(draft.difficulty)
    except ValueError:
        raise Invalid(
            _("Soal belum benar."), details={"difficulty": _("Tingkat kesulitan tidak dikenal.")}
        ) from None
    if draft.image_name is not None and not images.is_stored(draft.image_name):
        raise Invalid(
            _("Soal belum benar."),
            details={"image": _("Gambar tidak ada di bank; unggah gambarnya dulu.")},
        )
    try:
        return make_question(
            category=category.slug,
            difficulty=difficulty,
            stem=with_line_breaks(draft.stem),
            options=[o for o in draft.options if o.text.strip()],
            image=draft.image_name,
        )
    except QuestionError as error:
        raise Invalid(
            _("Soal belum benar."), details={"question": problems_text(error.problems)}
        ) from None


def preview(draft: QuestionDraft) -> Preview:
    """The draft as a candidate would see it (keep-last options last), never raising."""
    options = [o for o in draft.options if o.text.strip()]
    shown = [o for o in options if not o.keep_last] + [o for o in options if o.keep_last]
    try:
        difficulty = Difficulty(draft.difficulty)
    except ValueError:
        difficulty = Difficulty.MEDIUM
    problems: list[str] = []
    try:
        make_question(category="preview", difficulty=difficulty, stem=draft.stem, options=options)
    except QuestionError as error:
        problems = [problem_text(problem) for problem in error.problems]
    return Preview(
        stem=sanitize_stem(with_line_breaks(draft.stem)),
        options=[" ".join(o.text.split()) for o in shown],
        problems=problems,
    )


def with_line_breaks(stem: str) -> str:
    """An author's line breaks kept as <br>, unless the stem already lays itself out."""
    stem = stem.replace("\r\n", "\n").strip()
    if _BLOCK_MARKUP.search(stem):
        return stem
    return "<br>".join(stem.split("\n"))


def _fill_version(version: QuestionVersion, question: LibraryQuestion) -> None:
    version.difficulty = question.difficulty.value
    version.stem = sanitize_stem(question.stem)
    version.image_name = question.image
    version.options = question_to_dict(question)["options"]


def _locked(question_id: int) -> Question:
    """The question row, locked until the end of the transaction (PostgreSQL)."""
    row = db.session.scalar(db.select(Question).where(Question.id == question_id).with_for_update())
    if row is None or row.current_version is None:
        raise NotFound(_("Soal tidak ditemukan."))
    return row
