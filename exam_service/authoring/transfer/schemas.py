"""JSON shapes of bank import/export and of the blueprint editor's API."""

from __future__ import annotations

from typing import Literal

from flask_openapi3 import FileStorage
from pydantic import BaseModel, Field

from question_bank import Difficulty

from ...recruitment.schemas import BlueprintIn
from ..coverage import BlueprintCoverage
from ..models import QuestionStatus
from .service import ItemStatus

FormatName = Literal["csv", "xlsx", "aiken", "gift", "qti"]


class ImportUpload(BaseModel):
    """Multipart form. `partial`: import the valid items even when others are refused."""

    file: FileStorage
    format: FormatName
    partial: bool = False
    status: Literal["draft", "active"] = Field(
        default="draft", description="status of the imported questions"
    )
    category: str = Field(
        default="", max_length=64, description="category code for items without one (Aiken)"
    )
    difficulty: Difficulty = Field(
        default=Difficulty.MEDIUM, description="difficulty for items without one (Aiken)"
    )


class ImportItemOut(BaseModel):
    number: int = Field(description="1-based item number in the file; 0 is the file itself")
    line: int | None = Field(description="first line (row for XLSX) where the format has lines")
    external_id: str | None
    status: ItemStatus
    reason: str


class ImportReportOut(BaseModel):
    imported: int
    refused: int
    created_categories: list[str]
    items: list[ImportItemOut]


class ExportQuery(BaseModel):
    format: FormatName
    status: QuestionStatus | None = None
    category: str | None = Field(default=None, max_length=64, description="category code")


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
