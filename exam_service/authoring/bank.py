"""Reading the bank for the exam: active questions, frozen versions, as library objects.

The exam domain calls these functions; it never queries the bank's tables itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from flask_babel import gettext as _

from question_bank import Difficulty, Option, Question

from ..core.errors import Conflict
from ..core.extensions import db
from .models import Category, QuestionStatus, QuestionVersion
from .models import Question as QuestionRow


def to_library(version: QuestionVersion, category_slug: str) -> Question:
    """The library's view of one stored version; its id is the version id."""
    return Question(
        category=category_slug,
        difficulty=Difficulty(version.difficulty),
        stem=version.stem,
        options=tuple(
            Option(
                text=o["text"],
                points=Decimal(str(o.get("points", 0))),
                keep_last=bool(o.get("keep_last", False)),
            )
            for o in version.options
        ),
        image=version.image_name,
        id=str(version.id),
    )


def active_questions() -> list[Question]:
    """The current version of every active question that is not a practice question:
    the pool real forms are drawn from."""
    return _current_active(practice=False)


def practice_questions() -> list[Question]:
    """The current version of every active practice question: the practice test's pool."""
    return _current_active(practice=True)


def _current_active(*, practice: bool) -> list[Question]:
    rows = db.session.execute(
        db.select(QuestionVersion, Category.slug)
        .join(QuestionRow, QuestionRow.current_version_id == QuestionVersion.id)
        .join(Category, Category.id == QuestionRow.category_id)
        .where(QuestionRow.status == QuestionStatus.ACTIVE, QuestionRow.practice.is_(practice))
        .order_by(QuestionVersion.id)
    ).all()
    return [to_library(version, slug) for version, slug in rows]


def versions(version_ids: Iterable[int]) -> dict[int, Question]:
    """Stored versions by id, active or not: what attempts froze stays readable."""
    ids = set(version_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(QuestionVersion, Category.slug)
        .join(QuestionRow, QuestionRow.id == QuestionVersion.question_id)
        .join(Category, Category.id == QuestionRow.category_id)
        .where(QuestionVersion.id.in_(ids))
    ).all()
    return {version.id: to_library(version, slug) for version, slug in rows}


def freeze(version_ids: Iterable[int]) -> None:
    """Mark versions as shown in a real form: editing their question now makes a new
    version, and the question can no longer become a practice question.

    Raises Conflict when one of them became a practice question after the pool was
    read: the UPDATE waits for an author's change that holds these versions' locks
    (`service._apply_practice`), and the check after it sees that change.
    """
    ids = set(version_ids)
    if not ids:
        return
    db.session.execute(
        db.update(QuestionVersion)
        .where(QuestionVersion.id.in_(ids), QuestionVersion.frozen.is_(False))
        .values(frozen=True)
    )
    practice = db.session.scalar(
        db.select(QuestionRow.id)
        .join(QuestionVersion, QuestionVersion.question_id == QuestionRow.id)
        .where(QuestionVersion.id.in_(ids), QuestionRow.practice.is_(True))
        .limit(1)
    )
    if practice is not None:
        raise Conflict(_("Bank soal baru saja berubah. Silakan coba lagi."), code="bank_changed")


def explanations(version_ids: Iterable[int]) -> dict[int, str | None]:
    """The explanation of each version's question, by version id (shown after practice)."""
    ids = set(version_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(QuestionVersion.id, QuestionRow.explanation)
        .join(QuestionRow, QuestionRow.id == QuestionVersion.question_id)
        .where(QuestionVersion.id.in_(ids))
    ).all()
    return {version_id: explanation for version_id, explanation in rows}


def category_names(slugs: Iterable[str]) -> dict[str, str]:
    """Categories' names by slug: what candidates read instead of the codes."""
    wanted = set(slugs)
    if not wanted:
        return {}
    rows = db.session.execute(
        db.select(Category.slug, Category.name).where(Category.slug.in_(wanted))
    ).all()
    return {slug: name for slug, name in rows}
