"""The calendar file (iCalendar, RFC 5545) mailed with a booking: one event, times in UTC.

Calendar apps on phones show the event in the device's own time zone, so the
file carries UTC (`...Z`) and never a local time without a zone.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

PRODUCT_ID = "-//Seleksi Mitra Statistik//Ujian Kompetensi//ID"


def booking_calendar(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str | None,
    description: str,
    stamp: datetime,
) -> bytes:
    """One event; `uid` must be unique per booking so calendar apps never merge two."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()
