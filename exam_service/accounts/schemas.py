"""JSON shapes of the accounts API."""

from __future__ import annotations

from datetime import date, datetime

from flask_openapi3 import FileStorage
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool

from .models import DocumentKind, Education, Gender


class RegisterIn(BaseModel):
    email: EmailStr
    password: str = Field(max_length=1024)
    full_name: str = Field(min_length=1, max_length=120)
    # Explicit consent to the processing of personal data (UU 27/2022): must be `true`.
    consent: StrictBool = Field(
        description="Persetujuan pemrosesan data pribadi (teks: halaman /register); wajib true."
    )


class ActivateIn(BaseModel):
    token: str = Field(min_length=10, max_length=200)


class LoginIn(BaseModel):
    email: EmailStr
    password: str = Field(max_length=1024)


class ResendIn(BaseModel):
    email: EmailStr


class UserOut(BaseModel):
    id: int
    email: str
    full_name: str
    role: str


class LoginOut(BaseModel):
    user: UserOut
    # The session's CSRF token: send it as X-CSRFToken on every unsafe request.
    csrf_token: str


class ProfileIn(BaseModel):
    """The candidate's profile; the regency code is derived from the NIK, not sent."""

    model_config = ConfigDict(str_strip_whitespace=True)

    nik: str = Field(min_length=1, max_length=32)
    full_name: str = Field(min_length=1, max_length=120)
    birth_date: date
    gender: Gender
    address: str = Field(min_length=1, max_length=300)
    village: str = Field(min_length=1, max_length=100)
    district: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=1, max_length=32)
    education: Education


class ProfileOut(BaseModel):
    nik: str
    full_name: str
    birth_date: date
    gender: Gender
    address: str
    village: str
    district: str
    # The regency/city code of the KTP (the NIK's first 4 digits).
    regency_code: str
    phone: str
    education: Education
    updated_at: datetime


class DocumentPath(BaseModel):
    kind: DocumentKind


class DocumentUpload(BaseModel):
    """Multipart form: `file`, a JPEG, PNG or PDF (judged by content, not by name)."""

    file: FileStorage


class DocumentOut(BaseModel):
    kind: DocumentKind
    content_type: str
    size: int
    uploaded_at: datetime


class DocumentListOut(BaseModel):
    documents: list[DocumentOut]
    missing: list[DocumentKind]


# --- the candidate's own data (GET /api/v1/me/data-export) ----------------------


class ExportAccountOut(BaseModel):
    email: str
    full_name: str
    created_at: datetime
    activated_at: datetime | None


class ConsentOut(BaseModel):
    """Which consent text (version) was accepted, and when."""

    version: str
    consented_at: datetime


class ExportBookingOut(BaseModel):
    booked_at: datetime
    starts_at: datetime
    ends_at: datetime
    place: str | None


class ExportResultOut(BaseModel):
    """The published final result; scores only where the activity shows them."""

    status: str
    published_at: datetime
    score: str | None
    max_score: str | None
    rank: int | None


class ExportReviewOut(BaseModel):
    reason: str
    created_at: datetime
    answer: str | None
    answered_at: datetime | None


class ExportApplicationOut(BaseModel):
    application_id: int
    activity_name: str
    status: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    booking: ExportBookingOut | None
    test_finished_at: datetime | None
    result: ExportResultOut | None
    review: ExportReviewOut | None


class DataExportOut(BaseModel):
    """Everything the service holds about the candidate; documents listed, not included."""

    exported_at: datetime
    account: ExportAccountOut
    consents: list[ConsentOut]
    profile: ProfileOut | None
    documents: list[DocumentOut]
    applications: list[ExportApplicationOut]
