"""The question bank in the database: categories, questions and their versions.

A question's content lives in versions. Once a version has been put into an
attempt's form it is frozen: editing the question then makes a new version, so
an attempt always shows and grades exactly what it froze (invariant 7).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.database import UTCDateTime
from ..core.extensions import db


class QuestionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Question(db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # An id from an imported file (e.g. "DEMO-KS-001"), kept for re-imports and exports.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    status: Mapped[QuestionStatus] = mapped_column(
        String(16), default=QuestionStatus.DRAFT, index=True
    )
    # The version shown to new forms; older versions stay for the attempts that froze them.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A practice question (exam_service.practice): drawn into practice tests only, never
    # into a real form, and shown there with its key. The two pools never meet: a
    # question becomes one only if no real form ever held it, and stays one once it has
    # left draft (service._apply_practice).
    practice: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), index=True
    )
    # Shown with the right answer after a practice test (sanitized light markup).
    explanation: Mapped[str | None] = mapped_column(Text)

    category: Mapped[Category] = relationship()
    current_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class QuestionVersion(db.Model):
    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    difficulty: Mapped[str] = mapped_column(String(16))
    # Sanitized light markup (question_bank.markup.sanitize_stem).
    stem: Mapped[str] = mapped_column(Text)
    image_name: Mapped[str | None] = mapped_column(String(64))
    # [{"text": str, "points": str (decimal), "keep_last": bool}, ...] in authoring order.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Set when the version first goes into an attempt's form; frozen versions never change.
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    question: Mapped[Question] = relationship(foreign_keys=[question_id])
