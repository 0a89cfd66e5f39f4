"""JSON shapes of bank import/export and of the blueprint editor's API."""

from __future__ import annotations

from typing import Literal

from flask_openapi3 import FileStorage
from pydantic import BaseModel, Field

from question_bank import Difficulty

from ...core.api import OutModel
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


class ImportItemOut(OutModel):
    number: int = Field(description="1-based item number in the file; 0 is the file itself")
    line: int | None = Field(description="first line (row for XLSX) where the format has lines")
    external_id: str | None
    status: ItemStatus
    reason: str = Field(description="why the item was refused or not imported, in Indonesian")


class ImportReportOut(OutModel):
    imported: int
    refused: int
    created_categories: list[str]
    items: list[ImportItemOut]


class ExportQuery(BaseModel):
    format: FormatName
    status: QuestionStatus | None = None
    category: str | None = Field(default=None, max_length=64, description="category code")
