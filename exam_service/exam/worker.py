"""The finishing step of the worker: every attempt ends, on time, graded exactly once.

Due attempts come from a Redis sorted set of deadlines, claimed atomically
(`claim_due.lua`), so several workers can run at once; the database's
conditional update decides who grades. Redis is only the fast path: a sweep of
the database every few seconds finishes whatever Redis forgot (a flush, a
restart without data, a start saved while Redis was down) and puts back the
live copy of any attempt whose Redis deadline lags the database's (an extension
written while Redis was paused); after a Redis loss the sorted set is rebuilt
from the database.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

import redis
from flask import Flask

from ..core.clock import utcnow
from ..core.database import committed
from ..core.extensions import db
from ..scheduling.models import TestSession
from . import live, service

log = logging.getLogger(__name__)


class FinishingWorker:
    def __init__(
        self,
        app: Flask,
        *,
        sweep_seconds: float = 5.0,
        prepare_every_seconds: float = 60.0,
        prepare_ahead: timedelta = timedelta(hours=24),
        lease_seconds: float = 30.0,
        batch: int = 100,
    ) -> None:
        self.app = app
        self.sweep_seconds = sweep_seconds
        self.prepare_every_seconds = prepare_every_seconds
        self.prepare_ahead = prepare_ahead
        self.lease_ms = int(lease_seconds * 1000)
        self.batch = batch
        self._last_sweep = 0.0
        self._last_prepare = 0.0

    def tick(self) -> int:
        """One round, inside the caller's app context; returns how many attempts
        this worker finished. The loop around it is `exam_service.worker`."""
        finished = 0
        try:
            finished += self._finish_claimed()
        except redis.RedisError:
            log.warning("redis unavailable; relying on the database sweep")
        if time.monotonic() - self._last_sweep >= self.sweep_seconds:
            self._last_sweep = time.monotonic()
            finished += self._sweep_database()
            self._repair_live_state()
        if time.monotonic() - self._last_prepare >= self.prepare_every_seconds:
            self._last_prepare = time.monotonic()
            self._prepare_forms()
        return finished

    def _finish_claimed(self) -> int:
        if not live.epoch_present():
            self._rebuild_schedule()
        now = utcnow()
        finished = 0
        for attempt_id in live.claim_due(live.to_ms(now), self.lease_ms, self.batch):
            finished += self._finish_one(attempt_id)
        return finished

    def _sweep_database(self) -> int:
        return sum(self._finish_one(i) for i in service.overdue_attempt_ids(utcnow()))

    def _repair_live_state(self) -> None:
        """Redis may have missed a deadline change (an extension written while it was
        paused): put the database's copy back before a save is refused for it."""
        try:
            repaired = service.repair_live_deadlines()
        except redis.RedisError:
            log.warning("redis unavailable; live state not checked")
            return
        except Exception:
            db.session.rollback()
            log.exception("could not check the live state")
            return
        if repaired:
            log.warning("live state repaired from the database", extra={"count": repaired})

    def _finish_one(self, attempt_id: int) -> int:
        finished = committed(
            lambda: service.finish_if_due(attempt_id),
            "could not finish attempt %s",
            attempt_id,
            logger=log,
        )
        if finished:
            log.info("attempt finished at its deadline", extra={"attempt_id": attempt_id})
        return int(bool(finished))

    def _rebuild_schedule(self) -> None:
        """Redis lost its data: put every in-progress deadline back."""
        grace = timedelta(seconds=self.app.config["ANSWER_GRACE_SECONDS"])
        for attempt_id, deadline in service.in_progress_deadlines():
            live.schedule_finish(attempt_id, live.to_ms(deadline + grace))
        live.set_epoch(uuid.uuid4().hex)
        log.info("deadline schedule rebuilt from the database")

    def _prepare_forms(self) -> None:
        now = utcnow()
        session_ids = db.session.scalars(
            db.select(TestSession.id).where(
                TestSession.starts_at <= now + self.prepare_ahead, TestSession.ends_at > now
            )
        ).all()
        for session_id in session_ids:
            drawn = committed(
                lambda session_id=session_id: service.prepare_session_forms(session_id),
                "could not prepare forms of session %s",
                session_id,
                logger=log,
            )
            if drawn:
                log.info("forms prepared", extra={"session_id": session_id, "count": drawn})
