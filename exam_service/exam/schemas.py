"""JSON shapes of the attempt API. Nothing here can carry points or keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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


StartState = Literal[
    "in_progress",
    "finished",
    "open",
    "no_booking",
    "session_not_started",
    "late_entry_closed",
    "session_over",
]


class StartSessionOut(OutModel):
    """The booked session, as the test page shows it before the start."""

    session_id: int
    activity_name: str
    starts_at: datetime
    ends_at: datetime
    # The last moment a first start is accepted (`late_entry_closed` after it).
    late_entry_closes_at: datetime
    duration_seconds: int
    place: str | None


class AttemptStatusOut(OutModel):
    """Whether the test can be started now, and what the page shows meanwhile.

    Light enough to be asked every 30 s during the test: the deadline follows an
    extension. Counting down to `session.starts_at` or `session.late_entry_closes_at`
    uses `server_time`, never the device's clock.
    """

    state: StartState = Field(
        description=(
            "in_progress (resume with POST /me/attempt), finished (GET /me/attempt has the "
            "receipt), open (POST /me/attempt starts the test), or why it cannot start: "
            "no_booking, session_not_started, late_entry_closed, session_over."
        )
    )
    can_start: bool
    message: str
    server_time: datetime
    session: StartSessionOut | None
    attempt_id: int | None
    # While in progress.
    deadline: datetime | None
    remaining_seconds: int
    # Once finished: what the end screen shows ("N dari 30 soal terjawab").
    question_count: int | None
    answered_count: int | None


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


class IntegrityEventOut(OutModel):
    kind: str
    at: datetime


class MonitorRowOut(OutModel):
    booking_id: int
    candidate_name: str
    attempt_id: int | None
    status: str
    started_at: datetime | None
    answered: int
    remaining_seconds: int
    deadline: datetime | None
    finished_at: datetime | None
    finish_reason: str | None
    extension_seconds: int
    accommodation_seconds: int = Field(description="Extra time set before the start")
    reopened: bool = Field(description="Given back its unused time once after a timeout")
    can_reopen: bool
    integrity_events: int
    event_counts: dict[str, int] = Field(description="Integrity events per kind")
    events: list[IntegrityEventOut] = Field(description="The latest integrity events, oldest first")


class MonitorSessionOut(OutModel):
    activity_name: str
    starts_at: datetime
    ends_at: datetime
    place: str | None


class MonitorOut(OutModel):
    session_id: int
    server_time: datetime
    session: MonitorSessionOut
    rows: list[MonitorRowOut]


class BookingPath(BaseModel):
    booking_id: RowId


class AccommodationIn(BaseModel):
    minutes: int = Field(ge=0, le=120, description="0 removes the accommodation")
    reason: str = Field(min_length=1, max_length=500)


class AccommodationOut(OutModel):
    booking_id: int
    minutes: int


class SessionExtensionIn(BaseModel):
    minutes: int = Field(ge=1, le=120)
    reason: str = Field(min_length=1, max_length=500)


class SessionExtensionOut(OutModel):
    session_id: int
    extended_attempts: int
    skipped_attempts: int


class ReopenIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class ReopenOut(OutModel):
    attempt_id: int
    deadline: datetime
    restored_seconds: int


class ExtensionIn(BaseModel):
    seconds: int = Field(ge=1, le=7200)
    reason: str = Field(min_length=1, max_length=500)


class ExtensionOut(OutModel):
    attempt_id: int
    deadline: datetime
    extension_seconds: int


class IntegrityEventListOut(OutModel):
    """An attempt's integrity events (tab hidden, offline ...), oldest first."""

    events: list[IntegrityEventOut]


class ItemRulingIn(BaseModel):
    question_version_id: RowId
    rule: str = Field(pattern="^(full_credit|drop)$")
    reason: str = Field(min_length=1, max_length=500)


class ItemRulingOut(OutModel):
    regraded_attempts: int
