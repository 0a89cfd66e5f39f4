"""Authoring: managing the question bank (categories, questions, versions)."""

from __future__ import annotations

from collections.abc import Iterable

from question_bank import Question as LibraryQuestion
from question_bank import sanitize_stem

from ..extensions import db
from .models import Category, Question, QuestionStatus, QuestionVersion


def ensure_categories(categories: Iterable[tuple[str, str]]) -> dict[str, Category]:
    """Create missing categories (slug, name); return all of them by slug."""
    existing = {c.slug: c for c in db.session.scalars(db.select(Category))}
    for slug, name in categories:
        if slug not in existing:
            existing[slug] = Category(slug=slug, name=name)
            db.session.add(existing[slug])
    db.session.flush()
    return existing


def add_question(
    question: LibraryQuestion,
    category: Category,
    *,
    status: QuestionStatus = QuestionStatus.DRAFT,
    author_id: int | None = None,
) -> Question:
    """Store a library question as a new bank question with its first version."""
    row = Question(category_id=category.id, status=status, external_id=question.id)
    db.session.add(row)
    db.session.flush()
    version = QuestionVersion(
        question_id=row.id,
        number=1,
        difficulty=question.difficulty.value,
        stem=sanitize_stem(question.stem),
        image_name=question.image,
        options=[
            {"text": o.text, "points": str(o.points), "keep_last": o.keep_last}
            for o in question.options
        ],
        created_by_id=author_id,
    )
    db.session.add(version)
    db.session.flush()
    row.current_version_id = version.id
    return row
