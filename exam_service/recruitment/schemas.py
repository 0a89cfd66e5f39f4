"""JSON shapes of the recruitment API.

Ranges and cross-field rules of an activity live in the service (the pages use
them too); these models only fix the types. Times must carry a zone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from ..accounts.models import Education
from ..core.api import OutModel
from ..core.path_params import ID_MAX, RowId
from .models import ApplicationStatus
from .service import PREFERENCE_FILTERS


class BlueprintIn(BaseModel):
    """How many questions each category contributes, and an optional difficulty balance."""

    categories: dict[str, int]
    difficulty_mix: dict[str, float] | None = Field(
        default=None,
        description='Shares summing to 1, e.g. {"easy": 0.3, "medium": 0.5, "hard": 0.2}',
    )


class ActivityIn(BaseModel):
    name: str = Field(max_length=200)
    registration_opens_at: AwareDatetime
    registration_closes_at: AwareDatetime
    booking_opens_at: AwareDatetime
    booking_closes_at: AwareDatetime
    announcement_at: AwareDatetime | None = None
    test_question_count: int = Field(default=30, description="1-200")
    test_duration_seconds: int = Field(default=3600, description="1-14400")
    blueprint: BlueprintIn | None = None
    min_education: Education = Education.SMA
    preferred_min_age: int = 18
    preferred_max_age: int = 50
    show_score_to_candidates: bool = False
    decision_deadline_at: AwareDatetime | None = Field(
        default=None, description="End of the administrative selection"
    )
    paper_documents_due_at: AwareDatetime | None = Field(
        default=None, description="Printed documents due at the office"
    )


class ActivityOut(OutModel):
    id: int
    office_id: int
    name: str
    registration_opens_at: datetime
    registration_closes_at: datetime
    booking_opens_at: datetime
    booking_closes_at: datetime
    announcement_at: datetime | None
    test_question_count: int
    test_duration_seconds: int
    blueprint: dict[str, Any] | None
    min_education: str
    preferred_min_age: int
    preferred_max_age: int
    show_score_to_candidates: bool
    decision_deadline_at: datetime | None
    paper_documents_due_at: datetime | None
    # Applications per status.
    application_counts: dict[str, int]


class ActivityListOut(OutModel):
    items: list[ActivityOut]


class OpenActivityOut(OutModel):
    id: int
    name: str
    office_name: str
    registration_opens_at: datetime
    registration_closes_at: datetime
    booking_opens_at: datetime
    booking_closes_at: datetime
    announcement_at: datetime | None
    test_question_count: int
    test_duration_seconds: int
    min_education: str
    paper_documents_due_at: datetime | None


class OpenActivityListOut(OutModel):
    items: list[OpenActivityOut]


class ApplicationBookingOut(OutModel):
    session_id: int
    starts_at: datetime
    ends_at: datetime
    place: str | None


class TimelineStepOut(OutModel):
    key: str
    label: str
    state: Literal["done", "failed", "pending"]
    at: datetime | None
    note: str | None


class ApplicationOut(OutModel):
    """A candidate's own application and how far it has come."""

    application_id: int
    activity_id: int
    activity_name: str
    status: ApplicationStatus
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    booking: ApplicationBookingOut | None
    # The declarations made at applying (null: not answered).
    declarations: dict[str, bool | None]
    paper_documents_received_at: datetime | None
    # The final result; null until the final selection (selection/) publishes it.
    result: dict[str, Any] | None = None
    timeline: list[TimelineStepOut]


class ApplicationListOut(OutModel):
    items: list[ApplicationOut]


class ApplyIn(BaseModel):
    """The declarations of the announcement (true "ya", false "tidak"). Each may be
    left out (an empty body applies too): an unanswered "not_civil_servant" makes
    the application ineligible, unanswered preferences count as not met."""

    not_civil_servant: bool | None = Field(default=None, description="Not an ASN (hard rule)")
    can_use_android: bool | None = None
    can_use_computer: bool | None = None
    owns_motorbike: bool | None = None
    has_survey_experience: bool | None = Field(default=None, description="Earlier BPS surveys")
    no_other_contract: bool | None = Field(
        default=None, description="No other government contract in the same period"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_body(cls, data: Any) -> Any:
        return {} if data is None else data


# The preferences the list can require: service.PREFERENCE_FILTERS's keys.
PreferenceKey = Literal[tuple(PREFERENCE_FILTERS)]  # type: ignore[valid-type]


class ApplicationsQuery(BaseModel):
    activity_id: RowId | None = None
    status: ApplicationStatus | None = None
    education: Education | None = None
    min_age: int | None = Field(default=None, ge=0, le=150)
    max_age: int | None = Field(default=None, ge=0, le=150)
    in_region: bool | None = None
    nik_flagged: bool | None = None
    # The plain names that the pages link with (the two above mean the same).
    region: Literal["in", "out"] | None = Field(
        default=None, description="in: domicile in the office's region; out: elsewhere"
    )
    nik: Literal["flagged", "clear"] | None = None
    documents: Literal["complete", "incomplete"] | None = None
    eligible: Literal["yes", "no"] | None = Field(
        default=None, description="yes: meets every hard rule (education, not an ASN)"
    )
    paper: Literal["received", "missing"] | None = Field(
        default=None, description="Printed documents received at the office, or not yet"
    )
    meets: list[PreferenceKey] = Field(
        default_factory=list, max_length=7, description="Preferences that must be met"
    )
    q: str | None = Field(default=None, max_length=120, description="Part of the name, any case")
    sort: Literal[
        "submitted", "-submitted", "name", "-name", "status", "preferences", "age", "-age"
    ] = "submitted"
    page: int | None = Field(
        default=None, ge=1, le=ID_MAX, description="50 a page; without it, every application"
    )


class ApplicationsExportQuery(ApplicationsQuery):
    format: Literal["csv", "xlsx"] = "csv"
    # The whole NIK instead of the masked one; every such export is audited.
    full_nik: bool = False


class CheckOut(OutModel):
    rule: str
    hard: bool
    ok: bool
    message: str


class EligibilityOut(OutModel):
    meets_hard_rules: bool
    meets_preferences: bool
    age: int
    in_region: bool
    nik_flags: list[str]
    checks: list[CheckOut]
    preferences_met: int
    preferences_total: int


class ApplicationRowOut(OutModel):
    application_id: int
    activity_id: int
    activity_name: str
    full_name: str
    # Masked: the full NIK is shown only in the (audited) detail.
    nik: str
    education: str
    status: ApplicationStatus
    submitted_at: datetime
    eligibility: EligibilityOut
    # Every document uploaded (null where not computed).
    documents_complete: bool | None = None
    declarations: dict[str, bool | None]
    paper_documents_received_at: datetime | None


class AdminApplicationListOut(OutModel):
    # Items in this answer.
    count: int
    items: list[ApplicationRowOut]
    # Applications matching the filters, on every page.
    total: int = 0
    page: int = 1
    pages: int = 1
    # Of `total`: those a bulk acceptance takes (hard rules met, every document).
    eligible: int = 0


class CandidateProfileOut(OutModel):
    nik: str
    full_name: str
    email: str
    birth_date: date
    gender: str
    address: str
    village: str
    district: str
    regency_code: str
    phone: str
    education: str


class CandidateDocumentOut(OutModel):
    kind: str
    label: str
    content_type: str
    size: int
    uploaded_at: datetime
    download_url: str


class HistoryOut(OutModel):
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


class ApplicationDetailOut(OutModel):
    application_id: int
    activity_id: int
    activity_name: str
    status: ApplicationStatus
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    profile: CandidateProfileOut
    eligibility: EligibilityOut
    declarations: dict[str, bool | None]
    paper_documents_received_at: datetime | None
    documents: list[CandidateDocumentOut]
    booking: ApplicationBookingOut | None
    timeline: list[TimelineStepOut]
    history: list[HistoryOut]


class ApplicationDocumentPath(BaseModel):
    application_id: RowId
    kind: str = Field(max_length=32)


class DecisionIn(BaseModel):
    decision: Literal["accepted", "rejected"]
    # Required when rejecting; an optional note when accepting.
    reason: str | None = Field(default=None, max_length=2000)


class DecisionOut(OutModel):
    application_id: int
    status: ApplicationStatus
    decided_at: datetime | None
    decision_reason: str | None


class BulkDecisionIn(BaseModel):
    """A decision for many applications: those of `application_ids` that match
    `filter`, or every application matching `filter` (no filter: the office's
    whole list). An acceptance takes only applications that meet the hard rules
    and have every document."""

    application_ids: list[RowId] | None = Field(default=None, max_length=10000)
    filter: ApplicationsQuery | None = None
    decision: Literal["accepted", "rejected"]
    # Required when rejecting; one reason for all.
    reason: str | None = Field(default=None, max_length=2000)


class PaperDocumentsIn(BaseModel):
    received: bool = Field(description="false undoes a mark made by mistake")


class PaperDocumentsOut(OutModel):
    application_id: int
    paper_documents_received_at: datetime | None
    # False when the application was already marked so.
    changed: bool


class BulkPaperDocumentsIn(BaseModel):
    application_ids: list[RowId] = Field(min_length=1, max_length=10000)


class BulkPaperDocumentsOut(OutModel):
    marked_ids: list[int]
    unchanged_ids: list[int]
    message: str


class SkippedOut(OutModel):
    application_id: int
    reason: str
    message: str


class BulkDecisionOut(OutModel):
    decision: str
    decided_count: int
    decided_ids: list[int]
    skipped: list[SkippedOut]
    # "480 diterima, 20 dilewati: sudah memilih sesi"
    message: str
