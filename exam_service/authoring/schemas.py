"""JSON shapes of the authoring API. Authors may see keys and points: it is their bank."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from question_bank import Difficulty, Option

from ..core.api import OutModel, out
from ..core.path_params import RowId
from .images import image_url
from .models import Category, Question, QuestionStatus, QuestionVersion
from .service import MAX_EXPLANATION_CHARS, QuestionDraft

MAX_STEM_CHARS = 20_000


class QuestionPath(BaseModel):
    question_id: RowId


class CategoryPath(BaseModel):
    category_id: RowId


class QuestionQuery(BaseModel):
    category_id: RowId | None = None
    status: QuestionStatus | None = None
    difficulty: Difficulty | None = None
    q: str = Field(default="", max_length=200, description="text in the stem or the external id")
    page: int = Field(default=1, ge=1, le=100_000)
    practice: bool | None = Field(default=None, description="only practice (or only real) ones")


class OptionIn(BaseModel):
    text: str = Field(max_length=1000)
    points: Decimal = Field(default=Decimal(0), ge=-100, le=100, decimal_places=3)
    keep_last: bool = False


class QuestionIn(BaseModel):
    """A question's content. The usual item: points 1 on the key and 0 on the rest."""

    model_config = ConfigDict(str_strip_whitespace=True)

    category_id: RowId
    difficulty: Difficulty
    stem: str = Field(max_length=MAX_STEM_CHARS, description="plain text or light markup")
    options: list[OptionIn] = Field(min_length=2, max_length=6)
    image: str | None = Field(default=None, max_length=64, description="from POST /bank/images")
    practice: bool | None = Field(
        default=None,
        description=(
            "A practice question: drawn into practice tests only, never into a real form. "
            "Omitted: unchanged (false for a new question)."
        ),
    )
    explanation: str | None = Field(
        default=None,
        max_length=MAX_EXPLANATION_CHARS,
        description="Shown with the key after a practice test. Omitted: unchanged.",
    )

    def to_draft(self) -> QuestionDraft:
        return QuestionDraft(
            category_id=self.category_id,
            difficulty=self.difficulty.value,
            stem=self.stem,
            options=[Option(o.text, o.points, o.keep_last) for o in self.options],
            image_name=self.image or None,
            practice=self.practice,
            explanation=self.explanation,
        )


class StatusIn(BaseModel):
    status: QuestionStatus


class BankOptionOut(OutModel):
    text: str
    points: Decimal
    keep_last: bool


class VersionOut(OutModel):
    id: int
    number: int
    difficulty: Difficulty
    stem: str
    image_url: str | None
    options: list[BankOptionOut]
    # Shown in at least one attempt's form: it can never change again.
    frozen: bool
    created_at: datetime


class BankQuestionOut(OutModel):
    id: int
    external_id: str | None
    status: QuestionStatus
    category_id: int
    category: str
    updated_at: datetime
    practice: bool
    explanation: str | None
    version: VersionOut


class QuestionListOut(OutModel):
    items: list[BankQuestionOut]
    total: int
    page: int
    pages: int


class VersionListOut(OutModel):
    items: list[VersionOut]


class CategoryIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    slug: str = Field(max_length=64, description="lower-case code used by files and blueprints")
    name: str = Field(max_length=200)


class CategoryRenameIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(max_length=200)


class CategoryOut(OutModel):
    id: int
    slug: str
    name: str
    counts: dict[str, int] = Field(description="questions per status")


class CategoryListOut(OutModel):
    items: list[CategoryOut]


class ImageOut(OutModel):
    name: str
    url: str


class BankPreviewOptionOut(OutModel):
    key: str
    text: str


class BankPreviewOut(OutModel):
    """The question as a candidate's page shows it (authoring order; candidates get
    the options shuffled, with "keep last" options last)."""

    text: str
    image_url: str | None
    options: list[BankPreviewOptionOut]
    problems: list[str] = Field(description="what is still wrong, one Indonesian sentence each")


def version_out(version: QuestionVersion) -> VersionOut:
    return out(
        VersionOut,
        version,
        image_url=image_url(version.image_name),
        options=[
            BankOptionOut(
                text=o["text"],
                points=Decimal(str(o.get("points", 0))),
                keep_last=bool(o.get("keep_last")),
            )
            for o in version.options
        ],
    )


def question_out(question: Question) -> BankQuestionOut:
    assert question.current_version is not None
    return out(
        BankQuestionOut,
        question,
        category=question.category.slug,
        version=version_out(question.current_version),
    )


def category_out(category: Category, counts: dict[QuestionStatus, int]) -> CategoryOut:
    return out(
        CategoryOut,
        category,
        counts={status.value: counts.get(status, 0) for status in QuestionStatus},
    )
