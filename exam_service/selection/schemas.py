"""JSON shapes of the final selection API. Scores are exact decimal strings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from ..core.api import OutModel
from ..core.path_params import RowId
from .service import MAX_ANSWER_LENGTH, MAX_QUOTA, REVIEW_REASON_RANGE

FinalStatus = Literal["passed", "not_passed"]


class ReviewPath(BaseModel):
    review_id: RowId


class RuleIn(BaseModel):
    method: Literal["quota", "threshold"]
    quota: int | None = Field(default=None, ge=1, le=MAX_QUOTA, description="For `quota`")
    threshold: Decimal | None = Field(
        default=None, ge=0, le=1_000_000, description="Minimum total, for `threshold`"
    )
    category_minimums: dict[str, Decimal] = Field(
        default_factory=dict, description="Minimum score per blueprint category (optional)"
    )


class ScheduleIn(BaseModel):
    announcement_at: AwareDatetime = Field(description="When the outcome is published")


class SelectionOut(OutModel):
    activity_id: int
    # null until the admin has set a rule.
    method: Literal["quota", "threshold"] | None
    quota: int | None
    threshold: str | None
    category_minimums: dict[str, str]
    categories: list[str]
    announcement_at: datetime | None
    scheduled: bool
    published_at: datetime | None
    tie_break_rule: str


class PreviewRowOut(OutModel):
    application_id: int
    full_name: str
    nik: str = Field(description="Masked")
    attempt_id: int | None
    score: str | None
    max_score: str | None
    category_scores: dict[str, str]
    finished_at: datetime | None
    rank: int | None
    passed: bool
    reason: str


class SelectionPreviewOut(OutModel):
    selection: SelectionOut
    passed_count: int
    rows: list[PreviewRowOut]


class ReviewIn(BaseModel):
    reason: str = Field(min_length=REVIEW_REASON_RANGE[0], max_length=REVIEW_REASON_RANGE[1])


class ReviewAnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_LENGTH)


class ReviewOut(OutModel):
    id: int
    application_id: int
    reason: str
    created_at: datetime
    answer: str | None
    answered_at: datetime | None


class AdminReviewOut(ReviewOut):
    full_name: str
    nik: str = Field(description="Masked")
    outcome: FinalStatus | None


class AdminReviewListOut(OutModel):
    items: list[AdminReviewOut]


class CategoryResultOut(OutModel):
    slug: str
    name: str
    score: str
    max_score: str
    minimum: str | None = Field(description="The rule's minimum for this category, if any")


class MyResultOut(OutModel):
    """Nothing of the outcome before publication: `published` false and nulls."""

    application_id: int
    published: bool
    status: FinalStatus | None
    published_at: datetime | None
    # Only where the activity shows scores to candidates (else null / empty).
    score: str | None
    max_score: str | None
    rank: int | None
    categories: list[CategoryResultOut] = Field(description="Scores per category, by name")
    method: Literal["quota", "threshold"] | None = Field(description="How the pass was decided")
    threshold: str | None = Field(description="The pass mark on the total, for `threshold`")
    quota: int | None = Field(description="How many pass, for `quota`")
    review: ReviewOut | None
