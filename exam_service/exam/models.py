"""Attempts: the frozen form, the answers, the deadline and the grade.

PostgreSQL (or SQLite) is the source of truth for everything here; Redis only
holds a rebuildable copy of the live state for fast checks (see `live.py`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.database import UTCDateTime
from ..core.extensions import db
from ..scheduling.models import Booking, TestSession


class AttemptStatus(StrEnum):
    READY = "ready"  # form drawn ahead of the session; not started
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


class FinishReason(StrEnum):
    SUBMITTED = "submitted"
    TIME_OVER = "time_over"


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("test_sessions.id"), index=True)
    # The form is reproducible from the seed and the bank as it was (the versions below).
    seed: Mapped[int]
    status: Mapped[AttemptStatus] = mapped_column(String(16), default=AttemptStatus.READY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # min(started_at + duration, session end) + extensions; fixed at start.
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_seconds: Mapped[int] = mapped_column(default=0)
    last_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finish_reason: Mapped[FinishReason | None] = mapped_column(String(16))
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    max_score: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    category_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Bumped by every regrade, so result feeds can publish the item again.
    grading_version: Mapped[int] = mapped_column(default=0)
    # SHA-256 over the answers as graded: the candidate's receipt.
    answers_hash: Mapped[str | None] = mapped_column(String(64))

    booking: Mapped[Booking] = relationship()
    session: Mapped[TestSession] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(
        order_by="AttemptItem.position", cascade="all, delete-orphan"
    )


class AttemptItem(db.Model):
    """One position of the frozen form: which version, in which option order."""

    __tablename__ = "attempt_items"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    # Indices into the version's options, in the order shown as A, B, C...
    option_order: Mapped[list[int]] = mapped_column(JSON)


class Answer(db.Model):
    """The latest answer per position; `seq` (from the client) orders the writes."""

    __tablename__ = "answers"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    # The key as shown ("A".."F"), or None when the candidate cleared the answer.
    choice: Mapped[str | None] = mapped_column(String(1))
    # 64-bit: clients may use time-based sequence numbers.
    seq: Mapped[int] = mapped_column(BigInteger)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Extension(db.Model):
    """Extra time given to one attempt by an admin, with the reason (logged)."""

    __tablename__ = "attempt_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    seconds: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Accommodation(db.Model):
    """Extra minutes for one candidate (e.g. a disability), set by an admin before the
    start and added to the deadline when the attempt begins (`service._begin`)."""

    __tablename__ = "accommodations"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    seconds: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reopening(db.Model):
    """A timed-out attempt given back its unused time, at most once (the primary key)."""

    __tablename__ = "attempt_reopenings"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    seconds: Mapped[int]
    # The deadline and finish time the attempt had before it was reopened.
    previous_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    previous_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IntegrityEvent(db.Model):
    """Tab hidden, offline and the like: shown to admins, never used to fail anyone."""

    __tablename__ = "integrity_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemRuling(db.Model):
    """An item found faulty after the fact: every option counts, or it is dropped.

    Per activity, because each office decides about its own recruitment.
    """

    __tablename__ = "item_rulings"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    question_version_id: Mapped[int] = mapped_column(
        ForeignKey("question_versions.id"), primary_key=True
    )
    rule: Mapped[str] = mapped_column(String(16))  # question_bank.FaultyRule
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
