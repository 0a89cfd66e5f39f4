"""JSON shapes of the blueprint editor."""

from __future__ import annotations

from pydantic import BaseModel, Field

from question_bank import Difficulty

from ..recruitment.schemas import BlueprintIn
from .coverage import BlueprintCoverage


class DifficultyCountOut(BaseModel):
    difficulty: Difficulty
    active: int
    needed: int | None = Field(description="the blueprint's share; null without a mix")


class CategoryCoverageOut(BaseModel):
    category: str
    name: str | None = Field(description="null for a code the bank does not have")
    needed: int
    active: int
    short: int = Field(description="active questions missing for the blueprint")
    difficulties: list[DifficultyCountOut]


class BlueprintOut(BaseModel):
    activity_id: int
    activity_name: str
    test_question_count: int
    blueprint: BlueprintIn | None
    forms_drawn: bool
    categories: list[CategoryCoverageOut]
    complete: bool = Field(description="the bank has enough active questions for the blueprint")


def blueprint_out(found: BlueprintCoverage) -> BlueprintOut:
    activity = found.activity
    return BlueprintOut(
        activity_id=activity.id,
        activity_name=activity.name,
        test_question_count=activity.test_question_count,
        blueprint=BlueprintIn.model_validate(activity.blueprint) if activity.blueprint else None,
        forms_drawn=found.forms_drawn,
        categories=[
            CategoryCoverageOut(
                category=row.slug,
                name=row.name,
                needed=row.needed,
                active=row.active,
                short=row.short,
                difficulties=[
                    DifficultyCountOut(difficulty=d.difficulty, active=d.active, needed=d.needed)
                    for d in row.difficulties
                ],
            )
            for row in found.rows
        ],
        complete=found.complete,
    )
