"""JSON shapes of the practice test: the real attempt's, plus the result shown at once."""

from __future__ import annotations

from pydantic import Field

from ..core.api import OutModel
from ..exam.schemas import AttemptOut


class PracticeOptionOut(OutModel):
    key: str
    text: str
    correct: bool = Field(description="Earns the most points: the right answer")


class PracticeReviewItemOut(OutModel):
    position: int
    text: str
    image_url: str | None
    options: list[PracticeOptionOut]
    chosen: str | None
    correct_keys: list[str]
    points: str
    max_points: str
    explanation: str | None = Field(description="The author's explanation (light markup)")


class PracticeCategoryOut(OutModel):
    name: str
    score: str
    max_score: str


class PracticeResultOut(OutModel):
    score: str
    max_score: str
    answered: int
    categories: list[PracticeCategoryOut]
    items: list[PracticeReviewItemOut]


class PracticeAttemptOut(AttemptOut):
    """As `AttemptOut` of the real test (never a receipt: nothing is kept), and, once
    finished, the result with every question's key."""

    practice: bool = True
    finish_reason: str | None
    result: PracticeResultOut | None
