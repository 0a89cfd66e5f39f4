"""The background process (`flask worker`), composed from the domains' steps.

Each round first finishes the attempts that are due (the exam's first duty:
every attempt ends on time, graded exactly once), then publishes the final
selections that are due and sends webhooks (the feeds' dispatcher, which sends
on its own threads, so a slow receiver never delays the next round), then queues
the reminders of tomorrow's sessions and sends the mails that are due.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask

from .core.database import committed
from .core.extensions import db
from .core.mail import deliver_due_mail
from .exam.worker import FinishingWorker
from .feeds.dispatcher import ResultsDispatcher
from .notifications import service as notifications

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, app: Flask, *, poll_seconds: float = 0.5, **finishing: Any) -> None:
        """`finishing` are the `FinishingWorker`'s settings (sweep and prepare periods...)."""
        self.app = app
        self.poll_seconds = poll_seconds
        self.finishing = FinishingWorker(app, **finishing)
        self.results = ResultsDispatcher(app)

    def run(self, max_seconds: float | None = None, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        ends = time.monotonic() + max_seconds if max_seconds is not None else None
        log.info("worker started")
        while not stop.is_set() and (ends is None or time.monotonic() < ends):
            self.tick()
            stop.wait(self.poll_seconds)

    def tick(self) -> int:
        """One round; returns how many attempts were finished."""
        with self.app.app_context():
            finished = self.finishing.tick()
            committed(self.results.tick, "results dispatch failed", logger=log)
            committed(notifications.remind_due_sessions, "reminders failed", logger=log)
            db.session.remove()
        deliver_due_mail(self.app)
        return finished
