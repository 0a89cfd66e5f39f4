"""Events, written in the transaction that causes them (the transactional outbox).

`attempt_graded` is called by `exam.service.grade` and `emit` by the final
selection's publication: the feed position, the outbox row and one delivery row
per interested webhook subscription commit (or roll back) together with the
grade or the outcome, so an event is never sent for work that did not happen and
never lost for work that did. The worker sends the deliveries afterwards.

Payloads never hold a full NIK: a receiver that was granted `pii:read` reads it
from GET /api/v1/results/{attempt_id} with its API key.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.dialects import postgresql, sqlite

from ..core.clock import utcnow
from ..core.extensions import db
from ..exam import signals as exam_signals
from ..exam.models import Attempt
from ..recruitment.models import Activity
from ..selection import signals as selection_signals
from .models import FeedCounter, OutboxEvent, ResultFeedEntry, WebhookDelivery, WebhookSubscription
from .schemas import ResultItemOut
from .service import result_item, result_row

ATTEMPT_GRADED = "attempt.graded"
RESULT_PUBLISHED = "result.published"
EVENT_TYPES = (ATTEMPT_GRADED, RESULT_PUBLISHED)
RESULTS_COUNTER = "results"
# Automatic retries go on for at least this long after the event (or a redelivery).
RETRY_WINDOW = timedelta(hours=24)


def _insert(model: type) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def next_seq(counter: str = RESULTS_COUNTER) -> int:
    """The next number of `counter`, in commit order.

    The upsert locks the counter's row until this transaction ends, so a second
    grading transaction waits here until the first has committed: numbers are
    handed out in the order their transactions commit. (SQLite has one writer
    at a time anyway.) Callers take the number as late as possible in their
    transaction, so the wait is short.
    """
    statement = (
        _insert(FeedCounter)
        .values(name=counter, value=1)
        .on_conflict_do_update(
            index_elements=[FeedCounter.name], set_={"value": FeedCounter.value + 1}
        )
        .returning(FeedCounter.value)
    )
    return db.session.execute(statement).scalar_one()


def attempt_graded(attempt: Attempt) -> None:
    """Put a (re)graded attempt at the end of the results feed and announce it."""
    db.session.flush()
    seq = next_seq()
    db.session.execute(
        _insert(ResultFeedEntry)
        .values(attempt_id=attempt.id, seq=seq)
        .on_conflict_do_update(index_elements=[ResultFeedEntry.attempt_id], set_={"seq": seq})
    )
    row = result_row(attempt.id)
    if row is None:  # an attempt without a booking cannot exist; nothing to announce
        return
    item = ResultItemOut.model_validate(result_item(row, include_nik=False))
    emit(ATTEMPT_GRADED, row.office_id, item.model_dump(mode="json"))


def result_published(activity: Activity, data: dict[str, Any]) -> None:
    """Announce one candidate's published outcome to the office's subscribers."""
    emit(RESULT_PUBLISHED, activity.office_id, data)


def connect_signals() -> None:
    """Listen to the domains below: graded attempts and published results."""
    exam_signals.attempt_graded.connect(attempt_graded)
    selection_signals.result_published.connect(result_published)


def emit(event_type: str, office_id: int | None, data: dict[str, Any]) -> OutboxEvent:
    """Write an event and a pending delivery for each subscription that wants it.

    `data` must be JSON-ready (e.g. a pydantic model's `model_dump(mode="json")`).
    """
    now = utcnow()
    event = OutboxEvent(
        event_id=str(uuid.uuid4()),
        type=event_type,
        office_id=office_id,
        payload=data,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    for subscription_id in _subscribers(event_type, office_id):
        db.session.add(
            WebhookDelivery(
                event_id=event.id,
                subscription_id=subscription_id,
                created_at=now,
                next_attempt_at=now,
                give_up_at=now + RETRY_WINDOW,
            )
        )
    db.session.flush()
    return event


def _subscribers(event_type: str, office_id: int | None) -> list[int]:
    subscriptions = db.session.scalars(
        db.select(WebhookSubscription).where(
            WebhookSubscription.disabled_at.is_(None),
            or_(
                WebhookSubscription.office_id.is_(None),
                WebhookSubscription.office_id == office_id,
            ),
        )
    )
    return [s.id for s in subscriptions if event_type in s.events]
