"""Fixtures for scheduling: activities whose session choice is open, accepted candidates
(in bulk: a concurrency test needs hundreds), sessions, and logged-in HTTP sessions
for the live server."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import flask
import pytest
import requests
from flask import Flask
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from exam_service.accounts.models import Education, Gender, Office, Profile, Role, User
from exam_service.accounts.passwords import hash_password
from exam_service.accounts.service import CONSENT_VERSION, start_login_session
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment.models import Activity, Application, ApplicationStatus
from exam_service.scheduling.models import Booking, TestSession

from .accounts import PASSWORD

_numbers = itertools.count(1)
_HASH: list[str] = []


@dataclass(frozen=True)
class Candidate:
    """An activated candidate (password `PASSWORD`) with a profile and one application."""

    user_id: int
    email: str
    full_name: str
    nik: str
    application_id: int
    activity_id: int


def _password_hash() -> str:
    """One argon2 hash for every candidate of these fixtures: hashing is slow by design."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def invented_nik(serial: int) -> str:
    """A well-formed invented NIK (regency 3273, born 21-03-1992, male), unique per serial."""
    return f"327302210392{serial % 10000:04d}"


@pytest.fixture
def make_booking_activity(app: Flask) -> Callable[..., int]:
    """An activity of `office` whose session choice is open now (registration is over);
    columns may be overridden. Returns its id."""

    def make(office: Office, **overrides: Any) -> int:
        now = utcnow()
        values = {
            "name": "Rekrutmen Mitra Statistik Uji",
            "registration_opens_at": now - timedelta(days=10),
            "registration_closes_at": now - timedelta(days=5),
            "booking_opens_at": now - timedelta(days=1),
            "booking_closes_at": now + timedelta(days=10),
            "announcement_at": now + timedelta(days=30),
            "test_duration_seconds": 3600,
            **overrides,
        }
        with app.app_context():
            activity = Activity(office_id=office.id, **values)
            db.session.add(activity)
            db.session.commit()
            return activity.id

    return make


@pytest.fixture
def accepted_candidates(app: Flask) -> Callable[..., list[Candidate]]:
    """`count` candidates with an application to `activity_id` (ACCEPTED unless
    `status` says otherwise), inserted in bulk: 200 take well under a second."""

    def make(
        activity_id: int,
        count: int = 1,
        *,
        status: ApplicationStatus = ApplicationStatus.ACCEPTED,
        full_name: str | None = None,
    ) -> list[Candidate]:
        now = utcnow()
        numbers = [next(_numbers) for _ in range(count)]
        with app.app_context():
            users = [
                User(
                    email=f"calon{n}@uji.example",
                    password_hash=_password_hash(),
                    full_name=full_name or f"Calon Mitra {n}",
                    role=Role.CANDIDATE,
                    activated_at=now,
                    consent_version=CONSENT_VERSION,
                    consent_at=now,
                )
                for n in numbers
            ]
            db.session.add_all(users)
            db.session.flush()
            profiles = [_profile(user, n) for user, n in zip(users, numbers, strict=True)]
            applications = [
                Application(
                    activity_id=activity_id,
                    user_id=user.id,
                    status=status,
                    submitted_at=now - timedelta(days=6),
                    decided_at=None if status is ApplicationStatus.SUBMITTED else now,
                )
                for user in users
            ]
            db.session.add_all([*profiles, *applications])
            db.session.commit()
            return [
                Candidate(u.id, u.email, p.full_name, p.nik, a.id, activity_id)
                for u, p, a in zip(users, profiles, applications, strict=True)
            ]

    return make


def _profile(user: User, number: int) -> Profile:
    return Profile(
        user_id=user.id,
        nik=invented_nik(number),
        full_name=user.full_name,
        birth_date=date(1992, 3, 21),
        gender=Gender.MALE,
        address="Jl. Contoh No. 2",
        village="Desa Uji",
        district="Kecamatan Uji",
        regency_code="3273",
        phone="081234567890",
        education=Education.SMA,
        nik_flags=[],
    )


@pytest.fixture
def accepted_candidate(accepted_candidates) -> Callable[..., Candidate]:
    """One candidate accepted for `activity_id` (see `accepted_candidates`)."""

    def make(activity_id: int, **kwargs: Any) -> Candidate:
        return accepted_candidates(activity_id, 1, **kwargs)[0]

    return make


@pytest.fixture
def make_session(app: Flask) -> Callable[..., int]:
    """A session of `activity_id` inserted directly (any time, even in the past); its id."""

    def make(
        activity_id: int,
        *,
        capacity: int = 10,
        starts_at: datetime | None = None,
        place: str | None = "Aula BPS Kota Uji",
        closed: bool = False,
    ) -> int:
        if starts_at is None:
            starts_at = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
        with app.app_context():
            activity = db.session.get_one(Activity, activity_id)
            window = activity.test_duration_seconds + app.config["LATE_ENTRY_SECONDS"]
            session = TestSession(
                activity_id=activity_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(seconds=window),
                capacity=capacity,
                booked=0,
                place=place,
                closed_at=utcnow() if closed else None,
            )
            db.session.add(session)
            db.session.commit()
            return session.id

    return make


# --- reading the database back ----------------------------------------------------


def session_row(app: Flask, session_id: int) -> TestSession | None:
    with app.app_context():
        session = db.session.get(TestSession, session_id)
        if session is not None:
            db.session.expunge(session)
        return session


def booking_rows(app: Flask, session_id: int | None = None) -> list[Booking]:
    with app.app_context():
        query = db.select(Booking).order_by(Booking.id)
        if session_id is not None:
            query = query.where(Booking.session_id == session_id)
        bookings = list(db.session.scalars(query))
        db.session.expunge_all()
        return bookings


# --- logged-in HTTP sessions for the live server ------------------------------------


def live_logins(app: Flask, user_ids: list[int]) -> list[requests.Session]:
    """requests.Sessions logged in as these users, with the CSRF header set.

    Made like the login endpoint makes them (a new server-side login session,
    Flask-Login's cookie, a CSRF token), without the password check: argon2
    takes about 0.2 s per login by design, and 200 logins would take longer
    than the race they prepare. Logging in for real is tested by the accounts
    module (and by the browser test of this one).
    """
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    sessions = []
    with app.app_context():
        users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(user_ids)))}
        for user_id in user_ids:
            with app.test_request_context():
                # The request contexts share one app context, whose `g` caches the token.
                flask.g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
                flask.session.permanent = True
                start_login_session(users[user_id])
                login_user(users[user_id])
                token = generate_csrf()
                cookie = serializer.dumps(dict(flask.session))
            http = requests.Session()
            http.cookies.set(cookie_name, cookie)
            http.headers["X-CSRFToken"] = token
            sessions.append(http)
        db.session.commit()
    return sessions
