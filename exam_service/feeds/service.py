"""The results feed: graded attempts in commit order, read by the recruitment system.

Order: each grading (and each regrade) takes the next number of a counter whose
row stays locked until the grading transaction commits (`events.next_seq`), so
numbers become visible in increasing order. A client that pages with
`after=<cursor>` therefore never skips an attempt that was graded concurrently
and committed late, and a regraded attempt comes back with its new version.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select

from ..accounts.models import Profile, User
from ..core.audit import record
from ..core.errors import Invalid, NotFound
from ..core.extensions import db
from ..core.formatting import decimal_text
from ..core.privacy import mask_nik
from ..exam.models import Attempt
from ..recruitment.models import Activity, Application
from ..scheduling.models import Booking
from .keys import PII_READ
from .models import ApiKey, ResultFeedEntry

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
CURSOR_VERSION = 1


@dataclass(frozen=True)
class ResultRow:
    attempt: Attempt
    seq: int
    application_id: int
    activity_id: int
    office_id: int
    user_id: int
    full_name: str
    nik: str | None


@dataclass(frozen=True)
class ResultFilters:
    activity_id: int | None = None
    graded_from: datetime | None = None
    graded_before: datetime | None = None


@dataclass(frozen=True)
class ResultPage:
    items: list[dict[str, Any]]
    # Pass it back as `after` for the next page; it stays valid forever.
    next_cursor: str
    has_more: bool


def encode_cursor(seq: int) -> str:
    raw = json.dumps({"v": CURSOR_VERSION, "seq": seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The feed position of a cursor; an empty cursor is the start of the feed."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        seq = data["seq"]
        valid = data.get("v") == CURSOR_VERSION and isinstance(seq, int) and seq >= 0
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        valid = False
    if not valid:
        raise Invalid(_("Kursor tidak valid."), details={"after": _("Kursor tidak valid.")})
    return seq


def result_item(row: ResultRow, *, include_nik: bool) -> dict[str, Any]:
    """One feed item; the NIK is masked unless the reader was granted `pii:read`."""
    attempt = row.attempt
    nik = row.nik or ""
    return {
        "attempt_id": attempt.id,
        "application_id": row.application_id,
        "activity_id": row.activity_id,
        "session_id": attempt.session_id,
        "candidate": {
            "id": row.user_id,
            "full_name": row.full_name,
            "nik": nik if include_nik else mask_nik(nik),
        },
        "score": decimal_text(attempt.score),
        "max_score": decimal_text(attempt.max_score),
        "category_scores": {
            category: {"score": decimal_text(part["score"]), "max": decimal_text(part["max"])}
            for category, part in (attempt.category_scores or {}).items()
        },
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "finish_reason": str(attempt.finish_reason),
        "graded_at": attempt.graded_at,
        "grading_version": attempt.grading_version,
    }


def results_page(
    key: ApiKey, after: str | None, limit: int = DEFAULT_LIMIT, filters: ResultFilters | None = None
) -> ResultPage:
    position = decode_cursor(after)
    limit = max(1, min(limit, MAX_LIMIT))
    query = _scoped(_rows_query(), key, filters or ResultFilters())
    rows = [
        _row(r)
        for r in db.session.execute(
            query.where(ResultFeedEntry.seq > position)
            .order_by(ResultFeedEntry.seq)
            .limit(limit + 1)
        )
    ]
    has_more = len(rows) > limit
    rows = rows[:limit]
    include_nik = PII_READ in key.scopes
    if include_nik and rows:
        record(None, "api_read_nik", "api_key", key.id, attempts=[r.attempt.id for r in rows])
    next_position = rows[-1].seq if rows else position
    return ResultPage(
        items=[result_item(r, include_nik=include_nik) for r in rows],
        next_cursor=encode_cursor(next_position),
        has_more=has_more,
    )


def result_for_key(key: ApiKey, attempt_id: int) -> dict[str, Any]:
    found = db.session.execute(
        _scoped(_rows_query(), key, ResultFilters()).where(Attempt.id == attempt_id)
    ).first()
    if found is None:
        raise NotFound(_("Hasil tidak ditemukan."))
    row = _row(found)
    include_nik = PII_READ in key.scopes
    if include_nik:
        record(None, "api_read_nik", "api_key", key.id, attempts=[attempt_id])
    return result_item(row, include_nik=include_nik)


def result_row(attempt_id: int) -> ResultRow | None:
    """The feed row of one graded attempt (for events), whatever its feed position."""
    found = db.session.execute(_rows_query(outer_feed=True).where(Attempt.id == attempt_id)).first()
    return _row(found) if found is not None else None


def _rows_query(outer_feed: bool = False) -> Select:
    query = db.select(
        Attempt,
        ResultFeedEntry.seq,
        Application.id,
        Application.activity_id,
        Activity.office_id,
        User.id,
        User.full_name,
        Profile.full_name,
        Profile.nik,
    )
    join = query.outerjoin if outer_feed else query.join
    return (
        join(ResultFeedEntry, ResultFeedEntry.attempt_id == Attempt.id)
        .join(Booking, Booking.id == Attempt.booking_id)
        .join(Application, Application.id == Booking.application_id)
        .join(Activity, Activity.id == Application.activity_id)
        .join(User, User.id == Application.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(Attempt.graded_at.is_not(None))
    )


def _scoped(query: Select, key: ApiKey, filters: ResultFilters) -> Select:
    if key.office_id is not None:
        query = query.where(Activity.office_id == key.office_id)
    if filters.activity_id is not None:
        query = query.where(Application.activity_id == filters.activity_id)
    if filters.graded_from is not None:
        query = query.where(Attempt.graded_at >= filters.graded_from)
    if filters.graded_before is not None:
        query = query.where(Attempt.graded_at < filters.graded_before)
    return query


def _row(found: Any) -> ResultRow:
    attempt, seq, application_id, activity_id, office_id, user_id, name, legal_name, nik = found
    return ResultRow(
        attempt=attempt,
        seq=seq or 0,
        application_id=application_id,
        activity_id=activity_id,
        office_id=office_id,
        user_id=user_id,
        # The profile's name is the legal one (as on the ID card); the account's is a fallback.
        full_name=legal_name or name,
        nik=nik,
    )
