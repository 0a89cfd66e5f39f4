"""The results step of the worker: publish final selections that are due, send webhooks.

Sending happens on a small thread pool so that a slow or hanging receiver never
delays the finishing of attempts (the worker's first duty): each tick claims
only as many tries as there is room for, and each thread records its outcome in
its own app context and transaction.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from flask import Flask

from ..core.database import committed
from ..core.extensions import db
from ..selection import service as selection
from . import webhooks

log = logging.getLogger(__name__)


class ResultsDispatcher:
    def __init__(self, app: Flask, *, senders: int = 8) -> None:
        self.app = app
        self.senders = senders
        self._pool = ThreadPoolExecutor(senders, thread_name_prefix="webhook")
        self._in_flight: set[Future[None]] = set()

    def tick(self, now: datetime | None = None) -> None:
        """One round, inside the caller's app context."""
        self._publish_due(now)
        self._in_flight = {f for f in self._in_flight if not f.done()}
        room = self.senders - len(self._in_flight)
        if room > 0:
            for outgoing in self._claim(now, room):
                self._in_flight.add(self._pool.submit(self._send, outgoing))

    def wait(self, timeout: float | None = None) -> None:
        """Block until the tries under way have been recorded (tests, shutdown)."""
        wait(self._in_flight, timeout)

    def _publish_due(self, now: datetime | None) -> None:
        for activity_id in selection.due_publications(now):
            published = committed(
                lambda activity_id=activity_id: selection.publish(activity_id, now),
                "could not publish the final selection of activity %s",
                activity_id,
                logger=log,
            )
            if published:
                log.info("final selection published", extra={"activity_id": activity_id})

    def _claim(self, now: datetime | None, limit: int) -> list[webhooks.Outgoing]:
        claimed = committed(
            lambda: webhooks.claim_due(now, limit), "could not claim webhook deliveries", logger=log
        )
        return claimed or []

    def _send(self, outgoing: webhooks.Outgoing) -> None:
        outcome = webhooks.send(outgoing)
        with self.app.app_context():
            committed(
                lambda: webhooks.record_outcome(outgoing.delivery_id, outcome),
                "could not record webhook delivery %s",
                outgoing.delivery_id,
                logger=log,
            )
            db.session.remove()
        log.info(
            "webhook try",
            extra={
                "delivery_id": outgoing.delivery_id,
                "status_code": outcome.status_code,
                "error": outcome.error,
            },
        )
