"""Recruitment: activities (one office's yearly recruitment) and applications to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Education, Office, User
from ..core.clock import utcnow
from ..core.database import UTCDateTime
from ..core.extensions import db


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PASSED = "passed"
    NOT_PASSED = "not_passed"


class Activity(db.Model):
    """A recruitment activity: its windows, its test settings and its selection rules.

    The defaults of the real announcement (registration 6-10 Nov, tests 14-30 Nov,
    announcement 15 Dec, age 18-50, at least SMA) are data of an activity, never
    constants in code.
    """

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    booking_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    booking_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    announcement_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    test_question_count: Mapped[int] = mapped_column(default=30)
    test_duration_seconds: Mapped[int] = mapped_column(default=3600)
    # question_bank.Blueprint.to_dict(); None until the bank is set up.
    blueprint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    min_education: Mapped[Education] = mapped_column(String(16), default=Education.SMA)
    preferred_min_age: Mapped[int] = mapped_column(default=18)
    preferred_max_age: Mapped[int] = mapped_column(default=50)
    show_score_to_candidates: Mapped[bool] = mapped_column(Boolean, default=False)
    # The end of the administrative selection (the announcement's "until 14 Nov"):
    # shown to admins with what is still undecided; None when the office sets none.
    decision_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The date by which applicants hand in their printed documents (None: not asked).
    paper_documents_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office: Mapped[Office] = relationship()


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        String(16), default=ApplicationStatus.SUBMITTED, index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The candidate's declarations at applying (recruitment.declarations): True
    # "ya", False "tidak", None not answered (an application made through the API
    # without them).
    not_civil_servant: Mapped[bool | None] = mapped_column(Boolean)
    can_use_android: Mapped[bool | None] = mapped_column(Boolean)
    can_use_computer: Mapped[bool | None] = mapped_column(Boolean)
    owns_motorbike: Mapped[bool | None] = mapped_column(Boolean)
    has_survey_experience: Mapped[bool | None] = mapped_column(Boolean)
    no_other_contract: Mapped[bool | None] = mapped_column(Boolean)
    # The printed documents handed in at the office (marked by an admin).
    paper_documents_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paper_documents_received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    activity: Mapped[Activity] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
