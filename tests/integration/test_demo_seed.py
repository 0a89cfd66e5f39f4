"""`seed-demo`: the embedded default's data works, seeding twice is harmless, and the
demo session takes kandidat1's first start at any time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from exam_service.accounts.models import User
from exam_service.authoring.models import Question
from exam_service.core.errors import Conflict
from exam_service.core.extensions import db
from exam_service.demo import (
    DEMO_SESSION_PLACE,
    DEMO_TEST_CANDIDATE,
    demo_session,
    demo_test_begun,
    keep_demo_session_open,
)
from exam_service.exam import service as exam
from exam_service.exam.models import AttemptStatus
from exam_service.scheduling import service as booking
from exam_service.scheduling.models import TestSession
from exam_service.scheduling.service import session_end


def test_seed_demo_twice_and_take_the_demo_test(app, make_client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    # A day later (`make run` again): the demo's session open now must still take a
    # first start, although late entry closed long ago for its first times.
    with app.app_context():
        for session in db.session.scalars(db.select(TestSession)):
            session.starts_at -= timedelta(days=1)
            session.ends_at -= timedelta(days=1)
        db.session.commit()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        counts = dict(
            db.session.execute(
                db.select(Question.practice, db.func.count()).group_by(Question.practice)
            ).all()
        )
        assert counts == {False: 212, True: 8}, "seeded once: the bank and the practice bank"
    password = re.search(r"kandidat1@demo\.example\s+(\S+)", second.output).group(1)
    client = make_client()
    assert client.login("kandidat1@demo.example", password).status_code == 200
    started = client.post("/api/v1/me/attempt")
    assert started.status_code == 200, started.json
    assert started.json["question_count"] == 30


def _seeded(app) -> dict[str, str]:
    """Seed the demo; its accounts' passwords by e-mail."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return dict(re.findall(r"(\S+@demo\.example)\s+(\S+)", result.output))


def _user_id(email: str) -> int:
    return db.session.scalar(db.select(User.id).where(User.email == email))


def test_kandidat1_can_begin_the_demo_test_hours_after_make_run_started(app):
    """Late entry closes `LATE_ENTRY_SECONDS` after a session's start, and still does; the
    demo session starts again (what `make run` does every half minute) while nobody has
    begun in it, so at any later service time kandidat1 can begin."""
    _seeded(app)
    with app.app_context():
        session = demo_session()
        later = session.starts_at + timedelta(hours=5, minutes=7)
        kandidat1 = _user_id(DEMO_TEST_CANDIDATE)
        # The rules hold for the demo session as for any: without being kept open, no.
        just_late = exam.late_entry_closes_at(session) + timedelta(minutes=1)
        for moment, code in [(just_late, "late_entry_closed"), (later, "session_over")]:
            with pytest.raises(Conflict) as refused:
                exam.start(kandidat1, now=moment)
            assert refused.value.code == code
            db.session.rollback()

        assert keep_demo_session_open(now=later) is True
        db.session.commit()
        session = demo_session()
        assert session.starts_at <= later < exam.late_entry_closes_at(session)
        assert session.capacity >= 30
        assert session.place == DEMO_SESSION_PLACE
        attempt = exam.start(kandidat1, now=later)
        db.session.commit()
        assert attempt.status == AttemptStatus.IN_PROGRESS
        assert attempt.deadline == later + timedelta(seconds=session.activity.test_duration_seconds)

        # Begun: the session stays where it is, like any session, and so does the deadline.
        starts_at = session.starts_at
        assert keep_demo_session_open(now=later + timedelta(hours=3)) is False
        assert demo_session().starts_at == starts_at
        assert demo_test_begun()


def test_the_demo_session_moves_only_when_half_the_late_entry_allowance_is_gone(app):
    _seeded(app)
    with app.app_context():
        session = demo_session()
        starts_at = session.starts_at
        half = timedelta(seconds=app.config["LATE_ENTRY_SECONDS"] / 2)
        # Stable while a first start has plenty of time left (its shown time stays put).
        assert keep_demo_session_open(now=starts_at + half - timedelta(seconds=1)) is False
        assert demo_session().starts_at == starts_at
        assert keep_demo_session_open(now=starts_at + half) is True
        moved = demo_session()
        assert moved.starts_at == (starts_at + half).replace(second=0, microsecond=0)
        assert moved.ends_at == session_end(moved.activity, moved.starts_at)


def test_keeping_the_demo_open_leaves_every_other_session_to_the_rule(app):
    """kandidat2 books a later demo session: once its late entry closed, they cannot
    begin, whatever the keeper does."""
    passwords = _seeded(app)
    assert set(passwords) >= {DEMO_TEST_CANDIDATE, "kandidat2@demo.example"}
    with app.app_context():
        kandidat2 = db.session.get_one(User, _user_id("kandidat2@demo.example"))
        other = db.session.scalars(
            db.select(TestSession)
            .where(TestSession.activity_id == demo_session().activity_id)
            .order_by(TestSession.id)
        ).all()[1]
        booking.book(kandidat2, other.id)
        db.session.commit()
        too_late = exam.late_entry_closes_at(other) + timedelta(minutes=1)
        keep_demo_session_open(now=too_late)
        db.session.commit()
        assert db.session.get_one(TestSession, other.id).starts_at == other.starts_at
        with pytest.raises(Conflict) as refused:
            exam.start(kandidat2.id, now=too_late)
        assert refused.value.code == "late_entry_closed"
        db.session.rollback()
