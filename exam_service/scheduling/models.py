"""Test sessions and the single, irreversible booking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import utcnow
from ..core.database import UTCDateTime
from ..core.extensions import db
from ..recruitment.models import Activity, Application


class TestSession(db.Model):
    """A sitting of the test with a fixed number of seats.

    `booked` is the seat counter taken by one conditional UPDATE; the check
    constraints make overbooking impossible even for a buggy code path.
    """

    __tablename__ = "test_sessions"
    __table_args__ = (
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
    )
    __test__ = False  # not a pytest test class, despite the name

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # starts_at + the activity's test duration + the late-entry allowance.
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)
    place: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    activity: Mapped[Activity] = relationship()

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Booking(db.Model):
    """One per application, forever: there is no code path that changes or deletes it."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("test_sessions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()
    session: Mapped[TestSession] = relationship()
