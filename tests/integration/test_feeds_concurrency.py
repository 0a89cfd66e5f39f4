"""The results feed under concurrent grading, against the real database."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from exam_service.core.extensions import db
from exam_service.exam import service as exam
from exam_service.exam.models import Attempt
from exam_service.feeds import events as feed_events
from exam_service.feeds.models import OutboxEvent, ResultFeedEntry
from tests.support.accounts import PASSWORD
from tests.support.feeds import bearer

pytestmark = pytest.mark.slow


class FeedReader:
    """Polls the feed like the recruitment system, remembering what a naive reader
    (a cursor on graded_at alone) would have skipped."""

    def __init__(self, client, secret: str) -> None:
        self.client, self.secret = client, secret
        self.cursor = ""
        self.seen: dict[int, int] = {}  # attempt id -> grading version
        self.naive_cursor: datetime | None = None
        self.naive_skips = 0

    def poll(self) -> bool:
        """One page; True when there may be more right away."""
        page = self.client.get(
            "/api/v1/results",
            query_string={"after": self.cursor, "limit": 3},
            headers=bearer(self.secret),
        ).json
        for item in page["items"]:
            graded_at = datetime.fromisoformat(item["graded_at"])
            if self.naive_cursor is not None and graded_at < self.naive_cursor:
                self.naive_skips += 1
            self.naive_cursor = max(self.naive_cursor or graded_at, graded_at)
            self.seen[item["attempt_id"]] = item["grading_version"]
        self.cursor = page["next_cursor"]
        return page["has_more"]

    def follow(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self.poll():
                time.sleep(0.01)
        while self.poll():  # what committed last
            pass


def test_the_feed_never_skips_attempts_graded_concurrently(
    app, client, api_key, exam_activity, book_candidate, monkeypatch
):
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    people = [first] + [book_candidate(activity_id, session_id=first.session_id) for _ in range(11)]
    with app.app_context():
        for person in people:
            exam.start(person.user.id)
            db.session.commit()

    # Half of the gradings are slow between setting graded_at and taking their feed
    # position, so they commit after gradings that started later.
    slow = {p.user.id for p in people[::2]}
    announce = feed_events.attempt_graded

    def slow_announce(attempt: Attempt) -> None:
        if attempt.user_id in slow:
            time.sleep(0.3)
        announce(attempt)

    monkeypatch.setattr(feed_events, "attempt_graded", slow_announce)
    reader, stop = FeedReader(client, api_key()), threading.Event()
    following = threading.Thread(target=reader.follow, args=(stop,))
    following.start()
    barrier = threading.Barrier(len(people))

    def grade(user_id: int) -> None:
        barrier.wait()
        with app.app_context():
            exam.submit(user_id)
            time.sleep(random.uniform(0, 0.05))
            db.session.commit()

    try:
        with ThreadPoolExecutor(len(people)) as pool:
            list(pool.map(grade, [p.user.id for p in people]))
    finally:
        stop.set()
        following.join()

    with app.app_context():
        attempts = db.session.execute(
            db.select(Attempt.id, Attempt.graded_at, ResultFeedEntry.seq).join(
                ResultFeedEntry, ResultFeedEntry.attempt_id == Attempt.id
            )
        ).all()
        dialect = db.engine.dialect.name
    assert reader.seen == {a.id: 1 for a in attempts}
    if dialect == "postgresql":
        # The hazard happened: graded_at order differs from commit order, and a
        # cursor on graded_at would have lost attempts. (SQLite runs one writing
        # transaction at a time, so there the orders always agree.)
        inversions = [
            (a, b)
            for a in attempts
            for b in attempts
            if a.graded_at < b.graded_at and a.seq > b.seq
        ]
        assert inversions
        assert reader.naive_skips > 0


def test_twenty_parallel_submits_write_one_event(
    app, live_server, api_key, client, exam_activity, book_candidate
):
    booked = book_candidate(exam_activity())
    http = live_server.login(booked.email, PASSWORD)
    assert http.post(f"{live_server.url}/api/v1/me/attempt", timeout=30).status_code == 200
    barrier = threading.Barrier(20)

    def submit(_: int) -> int:
        barrier.wait()
        return http.post(f"{live_server.url}/api/v1/me/attempt/submit", timeout=30).status_code

    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(submit, range(20))) == [200] * 20
    with app.app_context():
        events = db.session.scalars(db.select(OutboxEvent)).all()
        assert [e.type for e in events] == ["attempt.graded"]
        assert db.session.scalar(db.select(db.func.count()).select_from(ResultFeedEntry)) == 1
    items = client.get("/api/v1/results", headers=bearer(api_key())).json["items"]
    assert [i["grading_version"] for i in items] == [1]
