"""Final selection: the rule of each activity, the published outcomes, review requests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.database import UTCDateTime
from ..core.extensions import db
from ..recruitment.models import Application


class SelectionMethod(StrEnum):
    QUOTA = "quota"  # the best N pass
    THRESHOLD = "threshold"  # everyone with at least this total passes


class OutcomeReason(StrEnum):
    PASSED = "passed"
    NO_RESULT = "no_result"  # never sat the test, or the attempt was not graded
    BELOW_CATEGORY_MINIMUM = "below_category_minimum"
    BELOW_THRESHOLD = "below_threshold"
    OUTSIDE_QUOTA = "outside_quota"


class SelectionRule(db.Model):
    """How an activity's final selection is decided, and whether it is scheduled.

    The publication time is the activity's `announcement_at`; the worker
    publishes once the rule is scheduled and that time has come.
    """

    __tablename__ = "selection_rules"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    method: Mapped[SelectionMethod] = mapped_column(String(16))
    quota: Mapped[int | None]
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    # {category slug: minimum score as a decimal string}, as the passing grades of
    # civil-service tests; a candidate below any of them does not pass.
    category_minimums: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class SelectionOutcome(db.Model):
    """One application's published outcome, written at publication."""

    __tablename__ = "selection_outcomes"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[OutcomeReason] = mapped_column(String(32))
    # Position in the ranking of candidates with a result; None without a result.
    rank: Mapped[int | None]
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    max_score: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    # {category slug: {"score": str, "max": str}} as published, in the blueprint's order;
    # None without a result (and for outcomes published before it was kept).
    category_scores: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()


class ReviewRequest(db.Model):
    """A candidate's request for a human review of an automated outcome (UU 27/2022)."""

    __tablename__ = "review_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()
