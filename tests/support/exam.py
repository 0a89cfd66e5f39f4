"""Fixtures for the exam: a small bank, and a candidate booked into a session open now."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask

from exam_service.accounts.models import Gender, Office, Profile, Role, User
from exam_service.authoring.models import Category, Question, QuestionStatus, QuestionVersion
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment.models import Activity, Application, ApplicationStatus
from exam_service.scheduling.models import Booking, TestSession

from .accounts import PASSWORD

# Two categories; option 0 is the key of every "plain" question, so tests know the
# right answers without the API ever telling them.
BLUEPRINT = {"categories": {"hitung": 3, "konsep": 2}, "difficulty_mix": None}
QUESTION_COUNT = 5
_numbers = itertools.count(1)


def add_bank(per_category: int = 6) -> None:
    """Active questions: plain ones (key = option 0) and, in 'konsep', one weighted."""
    for slug in BLUEPRINT["categories"]:
        category = Category(slug=slug, name=slug.title())
        db.session.add(category)
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
            question = Question(category_id=category.id, status=QuestionStatus.ACTIVE)
            db.session.add(question)
            db.session.flush()
            version = QuestionVersion(
                question_id=question.id,
                difficulty=("easy", "medium", "hard")[n % 3],
                stem=f"<b>Soal</b> {slug} nomor {n}",
                options=options,
            )
            db.session.add(version)
            db.session.flush()
            question.current_version_id = version.id


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
        now = utcnow()
        with app.app_context():
            office = Office(code=f"EX{next(_numbers)}", name="BPS Ujian", region_code="3273")
            db.session.add(office)
            db.session.flush()
            activity = Activity(
                office_id=office.id,
                name="Rekrutmen Mitra Uji",
                registration_opens_at=now - timedelta(days=10),
                registration_closes_at=now - timedelta(days=5),
                booking_opens_at=now - timedelta(days=4),
                booking_closes_at=now + timedelta(days=4),
                test_question_count=QUESTION_COUNT,
                test_duration_seconds=duration_seconds,
                blueprint=BLUEPRINT,
            )
            db.session.add(activity)
            if not db.session.scalar(db.select(Category.id).limit(1)):
                add_bank()
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
        from exam_service.accounts.passwords import hash_password

        n = next(_numbers)
        with app.app_context():
            activity = db.session.get_one(Activity, activity_id)
            if session_id is None:
                starts_at = utcnow() + starts_in
                session = TestSession(
                    activity_id=activity_id,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(seconds=activity.test_duration_seconds + 900),
                    capacity=capacity,
                )
                db.session.add(session)
                db.session.flush()
                session_id = session.id
            email = f"peserta{n}@uji.example"
            user = User(
                email=email,
                password_hash=_password_hash(hash_password),
                full_name=f"Peserta Uji {n}",
                role=Role.CANDIDATE,
                activated_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Profile(
                    user_id=user.id,
                    nik=f"327301150190{n % 10000 or 1:04d}",
                    full_name=user.full_name,
                    birth_date=date(1990, 1, 15),
                    gender=Gender.MALE,
                    address="Jl. Contoh 1",
                    village="Desa Uji",
                    district="Kecamatan Uji",
                    regency_code="3273",
                    phone="081234567890",
                    education="SMA/SMK",
                )
            )
            application = Application(
                activity_id=activity_id, user_id=user.id, status=ApplicationStatus.ACCEPTED
            )
            db.session.add(application)
            db.session.flush()
            booking = Booking(application_id=application.id, session_id=session_id)
            db.session.add(booking)
            db.session.execute(
                db.update(TestSession)
                .where(TestSession.id == session_id)
                .values(booked=TestSession.booked + 1)
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return Booked(user, email, booking.id, session_id, activity_id)

    return make


_HASH: list[str] = []


def _password_hash(hash_password: Callable[[str], str]) -> str:
    """One argon2 hash shared by every test candidate: hashing is slow by design."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]
