"""JSON shapes of the blueprint editor."""

from __future__ import annotations

from pydantic import Field

from question_bank import Difficulty

from ..core.api import OutModel, out
from ..recruitment.schemas import BlueprintIn
from .coverage import BlueprintCoverage


class DifficultyCountOut(OutModel):
    difficulty: Difficulty
    active: int
    needed: int | None = Field(description="the blueprint's share; null without a mix")


class CategoryCoverageOut(OutModel):
    category: str
    name: str | None = Field(description="null for a code the bank does not have")
    needed: int
    active: int
    short: int = Field(description="active questions missing for the blueprint")
    difficulties: list[DifficultyCountOut]


class BlueprintOut(OutModel):
    activity_id: int
    activity_name: str
    test_question_count: int
    blueprint: BlueprintIn | None
    forms_drawn: bool
    categories: list[CategoryCoverageOut]
    complete: bool = Field(description="the bank has enough active questions for the blueprint")


def blueprint_out(found: BlueprintCoverage) -> BlueprintOut:
    activity = found.activity
    return out(
        BlueprintOut,
        found,
        activity_id=activity.id,
        activity_name=activity.name,
        test_question_count=activity.test_question_count,
        blueprint=activity.blueprint or None,
        categories=[out(CategoryCoverageOut, row, category=row.slug) for row in found.rows],
    )
