"""The service's one clock, and the one home of the offices' time zones.

Every deadline and window check reads `utcnow()`. Times are timezone-aware UTC
everywhere; they are converted to an office's zone only when shown or read from
a person (WIB, WITA or WIT: Indonesia has no daylight saving time). Tests
control time by shortening durations (a 3-second exam) rather than by sleeping,
and may replace `utcnow` with a fixed clock.

A time is shown in the zone of the office the thing belongs to. A page's zone
is resolved once per request by a resolver that the composition layer
registers (`set_zone_resolver`: core knows neither admins nor applications);
mails, exports, calendar files and the worker pass the zone explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context, request

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

# The zones an office may have (IANA name -> the name Indonesians read), west to east.
ZONE_NAMES: dict[str, str] = {WIB.key: "WIB", WITA.key: "WITA", WIT.key: "WIT"}
DEFAULT_ZONE = WIB

LOCAL_FORMAT = "%d-%m-%Y %H:%M"

_resolver: Callable[[], ZoneInfo | None] | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def zone_of(name: str | None) -> ZoneInfo:
    """The zone of an office's IANA name; ValueError for a zone no office may have."""
    if name is None:
        return DEFAULT_ZONE
    if name not in ZONE_NAMES:
        raise ValueError(f"not an office time zone: {name!r}")
    return ZoneInfo(name)


def zone_name(zone: ZoneInfo) -> str:
    """ "WIB", "WITA" or "WIT"."""
    return ZONE_NAMES[zone.key]


def to_local(value: datetime, zone: ZoneInfo) -> datetime:
    return as_utc(value).astimezone(zone)


def format_local(
    value: datetime | None, zone: ZoneInfo | None = None, with_time: bool = True
) -> str:
    """ "04-12-2026 10:00 WITA" (or the date alone); without `zone`, the page's zone."""
    if value is None:
        return "-"
    zone = zone or current_zone()
    local = to_local(value, zone)
    if not with_time:
        return local.strftime("%d-%m-%Y")
    return f"{local.strftime(LOCAL_FORMAT)} {zone_name(zone)}"


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """A `datetime-local` value ("2026-12-10T09:00", no zone) entered in `zone`, as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def utc_offset_minutes(zone: ZoneInfo) -> int:
    """The zone's offset from UTC in minutes (constant: no daylight saving time)."""
    offset = utcnow().astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


# --- the zone of the current page ----------------------------------------------------


def set_zone_resolver(resolver: Callable[[], ZoneInfo | None]) -> None:
    """Register how a request's zone is found (None from it: the default zone)."""
    global _resolver
    _resolver = resolver


def current_zone() -> ZoneInfo:
    """The zone this request's page shows times in, resolved once per request.

    Outside a request (the worker, a command) it is the default zone; code that
    runs there passes the zone of the office explicitly instead.
    """
    if not has_request_context():
        return DEFAULT_ZONE
    # Kept with its request: requests made inside one app context (tests) share `g`.
    cached = g.get("time_zone")
    if cached is not None and cached[0] is request._get_current_object():
        return cached[1]
    zone = (_resolver() if _resolver else None) or DEFAULT_ZONE
    show_page_in(zone)
    return zone


def show_page_in(zone: ZoneInfo) -> None:
    """This request's page is about one office's things (a public announcement, a
    candidate's result): its times and its footer use that office's `zone`."""
    g.time_zone = (request._get_current_object(), zone)
