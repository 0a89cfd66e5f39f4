"""JSON shapes of the attempt API. Nothing here can carry points or keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..core.api import OutModel
from ..core.path_params import RowId


class OptionOut(OutModel):
    key: str
    text: str


class QuestionOut(OutModel):
    position: int
    text: str
    image_url: str | None
    options: list[OptionOut]


class ReceiptOut(OutModel):
    """What the candidate keeps: when the server finished the test, and a hash of the answers."""

    finished_at: datetime
    finish_reason: str
    answers_hash: str


class AttemptOut(OutModel):
    attempt_id: int
    status: str
    deadline: datetime | None
    server_time: datetime
    remaining_seconds: int
    question_count: int
    questions: list[QuestionOut]
    answers: dict[int, str]
    receipt: ReceiptOut | None = None


class AnswerPath(BaseModel):
    position: int = Field(ge=1, le=200)


# The largest sequence number every layer holds exactly: the answer gate in Redis (Lua)
# compares numbers as doubles (exact up to 2^53 - 1), JavaScript's Number.MAX_SAFE_INTEGER
# is the same, and the database column is 64-bit. Beyond it, 2^53 + 1 would compare
# equal to 2^53 and a newer write would be dropped as stale.
MAX_SEQ = 2**53 - 1


class AnswerIn(BaseModel):
    choice: str | None = Field(default=None, min_length=1, max_length=1)
    seq: int = Field(
        ge=1,
        le=MAX_SEQ,
        description=(
            "Orders the writes of one question: a write whose seq is not greater than the "
            "stored one changes nothing (the response shows the stored answer). "
            "1 <= seq <= 2^53 - 1 (9007199254740991); larger numbers are a 422 on `seq`."
        ),
    )


class AnswerOut(OutModel):
    saved: bool
    position: int
    choice: str | None
    seq: int
    remaining_seconds: int
    deadline: datetime
    server_time: datetime


class IntegrityEventIn(BaseModel):
    kind: str = Field(max_length=32)


class MonitorRowOut(OutModel):
    booking_id: int
    candidate_name: str
    attempt_id: int | None
    status: str
    started_at: datetime | None
    answered: int
    remaining_seconds: int
    finished_at: datetime | None
    finish_reason: str | None
    extension_seconds: int
    integrity_events: int


class MonitorOut(OutModel):
    session_id: int
    server_time: datetime
    rows: list[MonitorRowOut]


class ExtensionIn(BaseModel):
    seconds: int = Field(ge=1, le=7200)
    reason: str = Field(min_length=1, max_length=500)


class ExtensionOut(OutModel):
    attempt_id: int
    deadline: datetime
    extension_seconds: int


class IntegrityEventOut(OutModel):
    kind: str
    at: datetime


class IntegrityEventListOut(OutModel):
    """An attempt's integrity events (tab hidden, offline ...), oldest first."""

    events: list[IntegrityEventOut]


class ItemRulingIn(BaseModel):
    question_version_id: RowId
    rule: str = Field(pattern="^(full_credit|drop)$")
    reason: str = Field(min_length=1, max_length=500)


class ItemRulingOut(OutModel):
    regraded_attempts: int
