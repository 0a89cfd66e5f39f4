"""JSON shapes of the feeds API: results, API keys, webhooks and their deliveries.

Scores are exact decimal strings ("27.5"), never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from ..core.api import OutModel

# A database id: out-of-range numbers are refused (422) before they reach a query.
from ..core.path_params import RowId
from .keys import MAX_NAME_LENGTH

Scope = Literal["results:read", "pii:read"]
EventType = Literal["attempt.graded", "result.published"]
# Names and URLs are one line of text: no control characters (PostgreSQL text cannot
# hold NUL at all, which would otherwise end in a 500 instead of a 422).
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"


class ResultsQuery(BaseModel):
    after: str | None = Field(
        default=None, max_length=200, description="`next_cursor` of the previous page"
    )
    limit: int = Field(default=100, ge=1, le=500)
    activity_id: RowId | None = None
    graded_from: AwareDatetime | None = Field(default=None, description="graded_at >= this")
    graded_before: AwareDatetime | None = Field(default=None, description="graded_at < this")


class CandidateOut(OutModel):
    id: int
    full_name: str
    nik: str = Field(description="Masked (3273********0001) unless the key has pii:read")


class CategoryScoreOut(OutModel):
    score: str
    max: str


class ResultItemOut(OutModel):
    attempt_id: int
    application_id: int
    activity_id: int
    session_id: int
    candidate: CandidateOut
    score: str
    max_score: str
    category_scores: dict[str, CategoryScoreOut]
    started_at: datetime | None
    finished_at: datetime | None
    finish_reason: Literal["submitted", "time_over"]
    graded_at: datetime
    grading_version: int = Field(description="Bumped by every regrade")


class ResultPageOut(OutModel):
    items: list[ResultItemOut]
    next_cursor: str = Field(description="Pass as `after`; stays valid, also when empty")
    has_more: bool


# --- API keys ---------------------------------------------------------------------


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=ONE_LINE)
    scopes: list[Scope] = Field(min_length=1)


class KeyPath(BaseModel):
    key_id: RowId


class ApiKeyOut(OutModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="Shown only in this response; store it now")


class ApiKeyListOut(OutModel):
    items: list[ApiKeyOut]


# --- webhooks ---------------------------------------------------------------------


class WebhookIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=ONE_LINE)
    url: str = Field(
        min_length=1,
        max_length=500,
        pattern=ONE_LINE,
        description=(
            "http:// or https://. Every address the host resolves to must be public "
            "(not loopback, private, link-local, multicast, unspecified or reserved), "
            "unless the operator allows the host in WEBHOOK_ALLOWED_HOSTS; otherwise 422 on `url`."
        ),
    )
    events: list[EventType] = Field(min_length=1)


class WebhookPath(BaseModel):
    webhook_id: RowId


class DeliveryPath(BaseModel):
    delivery_id: RowId


class WebhookOut(OutModel):
    id: int
    name: str
    url: str
    events: list[str]
    created_at: datetime
    disabled_at: datetime | None


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="The HMAC key; shown only in this response")


class WebhookListOut(OutModel):
    items: list[WebhookOut]


class DeliveryAttemptOut(OutModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(OutModel):
    id: int
    event_id: str
    event_type: str
    created_at: datetime
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    tries: list[DeliveryAttemptOut]


class DeliveryListOut(OutModel):
    items: list[DeliveryOut]
