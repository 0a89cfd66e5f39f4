"""The practice bank for tests: active practice questions whose key is option A (in
authoring order), and a way to read the key's letter of a running practice test."""

from __future__ import annotations

from exam_service.authoring.models import Category
from exam_service.core.extensions import db
from exam_service.practice import store

from .factories import build_category, build_question

EXPLANATION = "Karena 2 + 2 = 4."


def add_practice_bank(per_category: int = 4) -> list[int]:
    """Active practice questions in 'hitung' and 'konsep' (created if missing); the
    first one has an explanation. Flushed; returns their ids."""
    ids = []
    for slug in ("hitung", "konsep"):
        category = db.session.scalar(db.select(Category).where(Category.slug == slug))
        category = category or build_category(slug)
        db.session.flush()
        for n in range(per_category):
            question = build_question(
                category.id,
                stem=f"Soal latihan {slug} nomor {n}",
                practice=True,
                explanation=EXPLANATION if (slug, n) == ("hitung", 0) else None,
            )
            ids.append(question.id)
    db.session.flush()
    return ids


def practice_keys(user_id: int) -> dict[int, str]:
    """position -> the letter shown for the key, in the user's running practice test."""
    stored = store.load(user_id)
    assert stored is not None
    return {
        position: "ABCDEF"[order.index(0)]
        for position, (_version, order) in enumerate(stored.items, start=1)
    }
