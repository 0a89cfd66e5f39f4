"""JSON shapes of the privacy API."""

from __future__ import annotations

from datetime import datetime

from ..accounts.schemas import DocumentOut, ProfileOut
from ..core.api import OutModel

# --- the candidate's own data (GET /api/v1/me/data-export) ----------------------


class ExportAccountOut(OutModel):
    email: str
    full_name: str
    created_at: datetime
    activated_at: datetime | None


class ConsentOut(OutModel):
    """Which consent text (version) was accepted, and when."""

    version: str
    consented_at: datetime


class ExportBookingOut(OutModel):
    booked_at: datetime
    starts_at: datetime
    ends_at: datetime
    place: str | None


class ExportResultOut(OutModel):
    """The published final result; scores only where the activity shows them."""

    status: str
    published_at: datetime
    score: str | None
    max_score: str | None
    rank: int | None


class ExportReviewOut(OutModel):
    reason: str
    created_at: datetime
    answer: str | None
    answered_at: datetime | None


class ExportApplicationOut(OutModel):
    application_id: int
    activity_name: str
    status: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    # The declarations made when applying (null: not answered).
    declarations: dict[str, bool | None]
    paper_documents_received_at: datetime | None
    booking: ExportBookingOut | None
    test_finished_at: datetime | None
    result: ExportResultOut | None
    review: ExportReviewOut | None


class DataExportOut(OutModel):
    """Everything the service holds about the candidate; documents listed, not included."""

    exported_at: datetime
    account: ExportAccountOut
    consents: list[ConsentOut]
    profile: ProfileOut | None
    documents: list[DocumentOut]
    applications: list[ExportApplicationOut]
