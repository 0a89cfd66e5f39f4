"""Graded answer sheets as plain numbers, for item analysis (read-only).

Nothing here identifies a candidate: a sheet carries the score and, per item
shown, the version, the points as graded and the option chosen. The chosen
option is given as its index in the version's authoring order (the letter shown
mapped back through the attempt's option order), so choices from differently
shuffled forms add up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select

from question_bank import score_item

from ..authoring import bank
from ..core.extensions import db
from ..scheduling.models import TestSession
from .models import Answer, Attempt, AttemptItem, AttemptStatus
from .service import original_choice, rulings_by_activity


@dataclass(frozen=True)
class ItemResponse:
    question_version_id: int
    # As graded with the rulings in force; `max_points` is 0 for an item ruled dropped.
    points: Decimal
    max_points: Decimal
    # Index into the version's options in authoring order; None when unanswered.
    choice: int | None


@dataclass(frozen=True)
class GradedSheet:
    activity_id: int
    score: Decimal
    max_score: Decimal
    # In the order of the form's positions.
    items: list[ItemResponse]


def graded_sheets(activity_id: int | None = None) -> list[GradedSheet]:
    """Every graded attempt (of one activity, or of all), oldest first.

    The version ids map to the bank's questions through `authoring.bank`.
    """
    query = (
        db.select(Attempt.id, TestSession.activity_id, Attempt.score, Attempt.max_score)
        .join(TestSession, TestSession.id == Attempt.session_id)
        .where(Attempt.status == AttemptStatus.FINISHED, Attempt.graded_at.is_not(None))
        .order_by(Attempt.id)
    )
    if activity_id is not None:
        query = query.where(TestSession.activity_id == activity_id)
    attempts = db.session.execute(query).all()
    if not attempts:
        return []
    graded_ids = query.with_only_columns(Attempt.id).order_by(None)
    items = _items_by_attempt(graded_ids)
    choices = _choices_by_attempt(graded_ids)
    version_ids = {item.question_version_id for rows in items.values() for item in rows}
    questions = bank.versions(version_ids)
    rulings = rulings_by_activity({row.activity_id for row in attempts}, version_ids)
    sheets = []
    for row in attempts:
        faulty = rulings.get(row.activity_id, {})
        responses = []
        for item in items.get(row.id, []):
            choice = original_choice(item, choices.get((row.id, item.position)))
            rule = faulty.get(str(item.question_version_id))
            # The rules `grade()` applied, item by item.
            scored = score_item(questions[item.question_version_id], choice, rule)
            responses.append(
                ItemResponse(item.question_version_id, scored.points, scored.max, choice)
            )
        sheets.append(
            GradedSheet(
                activity_id=row.activity_id,
                score=row.score or Decimal(0),
                max_score=row.max_score or Decimal(0),
                items=responses,
            )
        )
    return sheets


def _items_by_attempt(graded: Select[tuple[int]]) -> dict[int, list[AttemptItem]]:
    rows = db.session.scalars(
        db.select(AttemptItem)
        .where(AttemptItem.attempt_id.in_(graded))
        .order_by(AttemptItem.attempt_id, AttemptItem.position)
    )
    by_attempt: dict[int, list[AttemptItem]] = defaultdict(list)
    for item in rows:
        by_attempt[item.attempt_id].append(item)
    return by_attempt


def _choices_by_attempt(graded: Select[tuple[int]]) -> dict[tuple[int, int], str]:
    rows = db.session.execute(
        db.select(Answer.attempt_id, Answer.position, Answer.choice).where(
            Answer.attempt_id.in_(graded), Answer.choice.is_not(None)
        )
    )
    return {(attempt_id, position): choice for attempt_id, position, choice in rows}
