"""JSON shapes of the scheduling API."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..core.api import ErrorDetail, OutModel, out
from ..core.path_params import RowId
from .models import Booking, TestSession

MAX_CAPACITY = 10_000
MAX_PLACE_LENGTH = 200
# Times are UTC; this names the zone the activity's office shows them in.
_TIME_ZONE = (
    "The office's time zone (IANA): Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)"
)


class SessionIn(BaseModel):
    """A new session; the end is computed (start + test duration + late-entry allowance)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    starts_at: AwareDatetime = Field(
        description="ISO 8601 with a zone, e.g. +08:00 for 09:00 WITA; stored in UTC"
    )
    capacity: int = Field(ge=1, le=MAX_CAPACITY)
    place: str | None = Field(default=None, max_length=MAX_PLACE_LENGTH)


class SessionUpdateIn(BaseModel):
    """Only the fields sent are changed; `place` null or "" removes the place."""

    model_config = ConfigDict(str_strip_whitespace=True)

    capacity: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    place: str | None = Field(default=None, max_length=MAX_PLACE_LENGTH)
    closed: bool | None = None


class SessionOut(OutModel):
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
    time_zone: str = Field(description=_TIME_ZONE)


class SessionListOut(OutModel):
    items: list[SessionOut]


class BookingIn(BaseModel):
    session_id: RowId


class BookingOut(OutModel):
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
    time_zone: str = Field(description=_TIME_ZONE)


class BookingListOut(OutModel):
    items: list[BookingOut]


class AlreadyBookedOut(OutModel):
    """409 `already_booked` carries the booking the candidate already holds."""

    error: ErrorDetail
    booking: BookingOut | None = None


class RosterRowOut(OutModel):
    number: int
    full_name: str
    # Masked, e.g. 3273********0001.
    nik: str
    booked_at: datetime


class RosterOut(OutModel):
    session: SessionOut
    rows: list[RosterRowOut]


def session_out(session: TestSession) -> SessionOut:
    return out(
        SessionOut,
        session,
        closed=session.is_closed,
        time_zone=session.activity.office.timezone,
    )


def booking_out(booking: Booking) -> BookingOut:
    """Also the `booking` of the 409 `already_booked`, which the service raises."""
    session = booking.session
    return out(
        BookingOut,
        booking,
        activity_id=session.activity_id,
        activity_name=session.activity.name,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        place=session.place,
        booked_at=booking.created_at,
        time_zone=session.activity.office.timezone,
    )
