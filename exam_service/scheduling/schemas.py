"""JSON shapes of the scheduling API."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..core.api import ErrorDetail
from ..core.path_params import RowId
from .models import Booking, TestSession

MAX_CAPACITY = 10_000
MAX_PLACE_LENGTH = 200


class SessionIn(BaseModel):
    """A new session; the end is computed (start + test duration + late-entry allowance)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    starts_at: AwareDatetime = Field(description="ISO 8601 with a zone, e.g. +07:00 for WIB")
    capacity: int = Field(ge=1, le=MAX_CAPACITY)
    place: str | None = Field(default=None, max_length=MAX_PLACE_LENGTH)


class SessionUpdateIn(BaseModel):
    """Only the fields sent are changed; `place` null or "" removes the place."""

    model_config = ConfigDict(str_strip_whitespace=True)

    capacity: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    place: str | None = Field(default=None, max_length=MAX_PLACE_LENGTH)
    closed: bool | None = None


class SessionOut(BaseModel):
    id: int
    activity_id: int
    starts_at: datetime
    # The start + the test duration + the late-entry allowance.
    ends_at: datetime
    place: str | None
    capacity: int
    booked: int
    seats_left: int
    # Closed to new bookings by an admin.
    closed: bool


class SessionListOut(BaseModel):
    items: list[SessionOut]


class BookingIn(BaseModel):
    session_id: RowId


class BookingOut(BaseModel):
    """A booking: final, there is no way to change or cancel it."""

    id: int
    application_id: int
    activity_id: int
    activity_name: str
    session_id: int
    starts_at: datetime
    ends_at: datetime
    place: str | None
    booked_at: datetime


class BookingListOut(BaseModel):
    items: list[BookingOut]


class AlreadyBookedOut(BaseModel):
    """409 `already_booked` carries the booking the candidate already holds."""

    error: ErrorDetail
    booking: BookingOut | None = None


class RosterRowOut(BaseModel):
    number: int
    full_name: str
    # Masked, e.g. 3273********0001.
    nik: str
    booked_at: datetime


class RosterOut(BaseModel):
    session: SessionOut
    rows: list[RosterRowOut]


def session_out(session: TestSession) -> SessionOut:
    return SessionOut(
        id=session.id,
        activity_id=session.activity_id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        place=session.place,
        capacity=session.capacity,
        booked=session.booked,
        seats_left=session.seats_left,
        closed=session.is_closed,
    )


def booking_out(booking: Booking) -> BookingOut:
    session = booking.session
    return BookingOut(
        id=booking.id,
        application_id=booking.application_id,
        activity_id=session.activity_id,
        activity_name=session.activity.name,
        session_id=session.id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        place=session.place,
        booked_at=booking.created_at,
    )
