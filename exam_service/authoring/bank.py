"""Reading the bank for the exam: active questions, frozen versions, as library objects.

The exam domain calls these functions; it never queries the bank's tables itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from question_bank import Difficulty, Option, Question

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
    """The current version of every active question: the pool forms are drawn from."""
    rows = db.session.execute(
        db.select(QuestionVersion, Category.slug)
        .join(QuestionRow, QuestionRow.current_version_id == QuestionVersion.id)
        .join(Category, Category.id == QuestionRow.category_id)
        .where(QuestionRow.status == QuestionStatus.ACTIVE)
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
    """Mark versions as shown: editing their question now makes a new version."""
    ids = set(version_ids)
    if ids:
        db.session.execute(
            db.update(QuestionVersion)
            .where(QuestionVersion.id.in_(ids), QuestionVersion.frozen.is_(False))
            .values(frozen=True)
        )
