"""The service's one clock: every deadline and window check reads `utcnow()`.

Times are timezone-aware UTC everywhere; they are converted to WIB only when
shown. Tests control time by shortening durations (a 3-second exam) rather than
by sleeping, and may replace `utcnow` with a fixed clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_wib(value: datetime) -> datetime:
    return as_utc(value).astimezone(WIB)


def format_wib(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return "-"
    local = to_wib(value)
    return local.strftime("%d-%m-%Y %H:%M WIB") if with_time else local.strftime("%d-%m-%Y")


def parse_wib(text: str) -> datetime:
    """Parse a `datetime-local` form value entered in WIB into UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(UTC)
