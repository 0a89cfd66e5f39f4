"""Fixtures for results and feeds: graded attempts, API keys, a local webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from exam_service.accounts.models import Office, Profile, Role, User
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam import service as exam
from exam_service.exam.models import Attempt, AttemptStatus, FinishReason
from exam_service.feeds import events, keys
from exam_service.recruitment.models import Activity

from .exam import Booked


@pytest.fixture
def graded_attempt(app: Flask, book_candidate) -> Callable[..., Booked]:
    """A candidate of `activity_id` who sat the test and submitted it: graded by the
    real `grade()`. `answers` maps positions to choices ("A" is always right)."""

    def make(activity_id: int, answers: dict[int, str] | None = None, **kwargs: Any) -> Booked:
        booked = book_candidate(activity_id, **kwargs)
        with app.app_context():
            exam.start(booked.user.id)
            db.session.commit()
            for position, choice in (answers or {}).items():
                exam.save_answer(booked.user.id, position, choice, seq=1)
                db.session.commit()
            exam.submit(booked.user.id)
            db.session.commit()
        return booked

    return make


@pytest.fixture
def scored_attempt(app: Flask, book_candidate) -> Callable[..., Booked]:
    """A finished attempt with exactly the given scores, written directly (for ranking
    tests), then announced like `grade()` does. Categories: {slug: (score, max)}."""

    def make(
        activity_id: int,
        categories: dict[str, tuple[str, str]],
        *,
        finished_at: datetime | None = None,
        full_name: str | None = None,
        **kwargs: Any,
    ) -> Booked:
        booked = book_candidate(activity_id, **kwargs)
        finished_at = finished_at or utcnow()
        with app.app_context():
            if full_name:
                db.session.get_one(User, booked.user.id).full_name = full_name
                db.session.get_one(Profile, booked.user.id).full_name = full_name
            attempt = Attempt(
                booking_id=booked.booking_id,
                user_id=booked.user.id,
                session_id=booked.session_id,
                seed=1,
                status=AttemptStatus.FINISHED,
                started_at=finished_at - timedelta(minutes=30),
                deadline=finished_at + timedelta(minutes=30),
                finished_at=finished_at,
                finish_reason=FinishReason.SUBMITTED,
                score=sum(Decimal(s) for s, _m in categories.values()),
                max_score=sum(Decimal(m) for _s, m in categories.values()),
                category_scores={c: {"score": s, "max": m} for c, (s, m) in categories.items()},
                graded_at=utcnow(),
                grading_version=1,
            )
            db.session.add(attempt)
            db.session.flush()
            events.attempt_graded(attempt)
            db.session.commit()
        return booked

    return make


@pytest.fixture
def api_key(app: Flask) -> Callable[..., str]:
    """A new API key (the secret) with `scopes`, optionally limited to one office."""

    def make(*scopes: str, office_id: int | None = None) -> str:
        with app.app_context():
            new = keys.create_key(
                "Sistem rekrutmen uji", scopes or [keys.RESULTS_READ], office_id=office_id
            )
            db.session.commit()
            return new.secret

    return make


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def activity_admin(app: Flask, make_user) -> Callable[[int], User]:
    """An admin of the office that runs `activity_id`."""

    def make(activity_id: int) -> User:
        with app.app_context():
            office = db.session.get_one(Office, db.session.get_one(Activity, activity_id).office_id)
            db.session.expunge(office)
        return make_user(Role.ADMIN, office=office)

    return make


def schedule_quota_selection(admin: Any, activity_id: int, quota: int = 1, days: int = 5):
    """The final selection by quota (the best `quota` pass), announced `days` from now
    through the admin API; returns the schedule response and the announcement time."""
    base = f"/api/v1/admin/activities/{activity_id}/selection"
    assert admin.put(base, json={"method": "quota", "quota": quota}).status_code == 200
    at = utcnow() + timedelta(days=days)
    response = admin.post(f"{base}/schedule", json={"announcement_at": at.isoformat()})
    assert response.status_code == 200, response.json
    return response, at


# --- a webhook receiver on 127.0.0.1 ------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Status codes to answer, in order; the last one repeats.
    statuses: list[int] = field(default_factory=lambda: [200])
    # Extra response headers (e.g. a Location for a redirect).
    headers: dict[str, str] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        return list(self.requests)


@pytest.fixture
def allow_webhook_hosts(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Add `host[:port]` entries to the operator's WEBHOOK_ALLOWED_HOSTS for one test:
    webhooks to internal addresses (such as a receiver on 127.0.0.1) are refused otherwise."""

    def allow(*hosts: str) -> None:
        current = list(app.config.get("WEBHOOK_ALLOWED_HOSTS") or [])
        monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", [*current, *hosts])

    return allow


@pytest.fixture
def receiver(allow_webhook_hosts: Callable[..., None]) -> Iterator[Receiver]:
    """A small HTTP server in a thread that records every POST and answers `statuses`.

    127.0.0.1 is allowed as a webhook host for the test, on any port: some tests put
    the tests' TCP proxy (another port) in front of the receiver."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.arrived:
                status = state.statuses[min(len(state.requests), len(state.statuses) - 1)]
                state.requests.append(Received(dict(self.headers.items()), body))
                state.arrived.notify_all()
            self.send_response(status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    allow_webhook_hosts("127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
