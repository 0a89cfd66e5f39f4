"""Scoring an answer sheet, including items ruled faulty after the test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .model import Question


class FaultyRule(StrEnum):
    """How an item found faulty after the fact is scored.

    FULL_CREDIT: whichever option was chosen earns the item's maximum (an
    unanswered item still earns nothing). DROP: the item counts neither in the
    score nor in the maximum.
    """

    FULL_CREDIT = "full_credit"
    DROP = "drop"


@dataclass(frozen=True)
class CategoryScore:
    score: Decimal
    max: Decimal


@dataclass(frozen=True)
class SheetScore:
    total: Decimal
    maximum: Decimal
    # In the order the categories first appear on the sheet.
    by_category: dict[str, CategoryScore]


@dataclass(frozen=True)
class ItemScore:
    points: Decimal
    # 0 for an item ruled dropped: it counts for nobody.
    max: Decimal


def score_item(question: Question, choice: int | None, rule: FaultyRule | None = None) -> ItemScore:
    """One item's points and maximum; `choice` is the original index chosen (or None)."""
    if choice is not None and not 0 <= choice < len(question.options):
        raise ValueError(f"choice {choice} is not an option of question {question.id}")
    if rule is FaultyRule.DROP:
        return ItemScore(Decimal(0), Decimal(0))
    return ItemScore(_earned(question, choice, rule), question.max_points)


def score_sheet(
    items: Sequence[Question],
    choices: Sequence[int | None],
    faulty: Mapping[str, FaultyRule] | None = None,
) -> SheetScore:
    """Score a sheet. `choices[i]` is the original index of the option chosen for
    `items[i]` (None when unanswered); `faulty` maps question ids to a rule."""
    if len(items) != len(choices):
        raise ValueError(f"{len(items)} items but {len(choices)} choices")
    rules = faulty or {}
    scores: dict[str, Decimal] = {}
    maxima: dict[str, Decimal] = {}
    for question, choice in zip(items, choices, strict=True):
        # FaultyRule(...) also accepts the plain strings a database returns.
        rule = FaultyRule(rules[question.id]) if question.id in rules else None
        item = score_item(question, choice, rule)
        scores[question.category] = scores.get(question.category, Decimal(0)) + item.points
        maxima[question.category] = maxima.get(question.category, Decimal(0)) + item.max
    by_category = {
        category: CategoryScore(scores[category], maxima[category]) for category in scores
    }
    return SheetScore(
        sum(scores.values(), Decimal(0)), sum(maxima.values(), Decimal(0)), by_category
    )


def _earned(question: Question, choice: int | None, rule: FaultyRule | None) -> Decimal:
    if choice is None:
        return Decimal(0)
    if rule is FaultyRule.FULL_CREDIT:
        return question.max_points
    return question.options[choice].points
