"""Notices: what the service told a candidate, shown on their home page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import utcnow
from ..core.database import UTCDateTime
from ..core.extensions import db


class Notice(db.Model):
    """One notice to one user; the same text also went out by mail."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # What it is about, e.g. "accepted", "rejected", "reminder:<booking id>": a
    # reminder is sent once per booking (see notifications.service.remind).
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
