"""The test's gauges for Prometheus, read at scrape time (see core.observability)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

import redis
from flask import Flask
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError

from ..core.clock import as_utc, utcnow
from ..core.extensions import db, redis_store
from . import live
from .models import Attempt, AttemptStatus

log = logging.getLogger(__name__)


def live_attempts(app: Flask) -> Collector:
    return LiveAttemptsCollector(timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"]))


class LiveAttemptsCollector(Collector):
    """`exam_active_attempts` and `exam_worker_lag_seconds`, read at scrape time.

    From the sorted set of deadlines (attempt id -> deadline + grace, in ms) the
    finishing worker claims from: its size is the number of attempts in progress;
    its oldest entry already due tells how late the worker is (a claimed entry is
    pushed one lease ahead, so lag grows again only when a claim is not finished).
    Without Redis, the database gives both (the worker's own sweep reads it too).
    """

    def __init__(self, grace: timedelta) -> None:
        self.grace = grace

    def collect(self) -> Iterable[Metric]:
        try:
            active, lag = self._from_redis()
        except redis.RedisError:
            try:
                active, lag = self._from_database()
            except SQLAlchemyError:
                db.session.rollback()
                log.warning("metrics: neither redis nor the database answered")
                return []
        return [
            GaugeMetricFamily(
                "exam_active_attempts", "Attempts in progress (scheduled to finish).", active
            ),
            GaugeMetricFamily(
                "exam_worker_lag_seconds",
                "How long the oldest due attempt has waited for the finishing worker.",
                lag,
            ),
        ]

    def _from_redis(self) -> tuple[int, float]:
        now_ms = live.to_ms(utcnow())
        pipe = redis_store.client.pipeline(transaction=False)
        pipe.zcard(live.DEADLINES_KEY)
        pipe.zrangebyscore(live.DEADLINES_KEY, "-inf", now_ms, start=0, num=1, withscores=True)
        active, oldest_due = pipe.execute()
        lag = (now_ms - oldest_due[0][1]) / 1000 if oldest_due else 0.0
        return active, lag

    def _from_database(self) -> tuple[int, float]:
        active, oldest_deadline = db.session.execute(
            db.select(func.count(), func.min(Attempt.deadline)).where(
                Attempt.status == AttemptStatus.IN_PROGRESS
            )
        ).one()
        if oldest_deadline is None:
            return active, 0.0
        overdue = utcnow() - (as_utc(oldest_deadline) + self.grace)
        return active, max(0.0, overdue.total_seconds())
