"""Fixtures for the exam: a small bank, and a candidate booked into a session open now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from exam_service.accounts.models import User
from exam_service.authoring.models import Category
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment.models import Activity, ApplicationStatus
from exam_service.scheduling.models import TestSession

from .factories import (
    build_activity,
    build_application,
    build_booking,
    build_category,
    build_office,
    build_profile,
    build_question,
    build_test_session,
    build_user,
)

# Two categories; option 0 is the key of every "plain" question, so tests know the
# right answers without the API ever telling them.
BLUEPRINT = {"categories": {"hitung": 3, "konsep": 2}, "difficulty_mix": None}
QUESTION_COUNT = 5


def add_bank(per_category: int = 6) -> None:
    """Active questions: plain ones (key = option 0) and, in 'konsep', one weighted."""
    for slug in BLUEPRINT["categories"]:
        category = build_category(slug)
        db.session.flush()
        for n in range(per_category):
            weighted = slug == "konsep" and n == 0
            options = [
                {
                    "text": f"Pilihan {i} soal {slug}-{n}",
                    "points": (i + 1 if weighted else int(i == 0)),
                }
                for i in range(4)
            ]
            build_question(
                category.id,
                stem=f"<b>Soal</b> {slug} nomor {n}",
                options=options,
                difficulty=("easy", "medium", "hard")[n % 3],
            )


def add_exam_activity(duration_seconds: int = 3600, **overrides: Any) -> Activity:
    """An office and its activity with the test blueprint, whose registration is over and
    whose booking window is open; the bank is added when there is none. Flushed."""
    now = utcnow()
    office = build_office()
    db.session.flush()
    activity = build_activity(
        office.id,
        **{
            "name": "Rekrutmen Mitra Uji",
            "registration_opens_at": now - timedelta(days=10),
            "registration_closes_at": now - timedelta(days=5),
            "booking_opens_at": now - timedelta(days=4),
            "booking_closes_at": now + timedelta(days=4),
            "announcement_at": None,
            "test_question_count": QUESTION_COUNT,
            "test_duration_seconds": duration_seconds,
            "blueprint": BLUEPRINT,
            **overrides,
        },
    )
    if not db.session.scalar(db.select(Category.id).limit(1)):
        add_bank()
    db.session.flush()
    return activity


@dataclass
class Booked:
    """A candidate with an accepted application booked into a session."""

    user: User
    email: str
    booking_id: int
    session_id: int
    activity_id: int


@pytest.fixture
def exam_activity(app: Flask) -> Callable[..., int]:
    """An activity (with the test blueprint) whose booking window is open; returns its id."""

    def make(duration_seconds: int = 3600) -> int:
        with app.app_context():
            activity = add_exam_activity(duration_seconds)
            db.session.commit()
            return activity.id

    return make


@pytest.fixture
def book_candidate(app: Flask) -> Callable[..., Booked]:
    """A candidate booked into a session of `activity_id` (new session unless given)."""

    def make(
        activity_id: int,
        *,
        session_id: int | None = None,
        starts_in: timedelta = -timedelta(minutes=1),
        capacity: int = 500,
    ) -> Booked:
        with app.app_context():
            activity = db.session.get_one(Activity, activity_id)
            if session_id is None:
                session = build_test_session(
                    activity_id,
                    starts_at=utcnow() + starts_in,
                    length=timedelta(seconds=activity.test_duration_seconds + 900),
                    capacity=capacity,
                )
                db.session.flush()
                session_id = session.id
            user = build_user(name="Peserta Uji")
            db.session.flush()
            build_profile(user)
            application = build_application(activity_id, user.id, ApplicationStatus.ACCEPTED)
            db.session.flush()
            booking = build_booking(application.id, session_id)
            db.session.execute(
                db.update(TestSession)
                .where(TestSession.id == session_id)
                .values(booked=TestSession.booked + 1)
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return Booked(user, user.email, booking.id, session_id, activity_id)

    return make
