"""Fixtures for scheduling: activities whose session choice is open, accepted candidates
(in bulk: a concurrency test needs hundreds), sessions, and logged-in HTTP sessions
for the live server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import flask
import pytest
import requests
from flask import Flask
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from exam_service.accounts.models import Office, User
from exam_service.accounts.service import start_login_session
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment.models import Activity, ApplicationStatus
from exam_service.scheduling.models import Booking, TestSession

from .factories import (
    build_activity,
    build_application,
    build_profile,
    build_test_session,
    build_user,
)


@dataclass(frozen=True)
class Candidate:
    """An activated candidate (password `PASSWORD`) with a profile and one application."""

    user_id: int
    email: str
    full_name: str
    nik: str
    application_id: int
    activity_id: int


@pytest.fixture
def make_booking_activity(app: Flask) -> Callable[..., int]:
    """An activity of `office` whose session choice is open now (registration is over);
    columns may be overridden. Returns its id."""

    def make(office: Office, **overrides: Any) -> int:
        now = utcnow()
        values = {
            "registration_opens_at": now - timedelta(days=10),
            "registration_closes_at": now - timedelta(days=5),
            "booking_opens_at": now - timedelta(days=1),
            "booking_closes_at": now + timedelta(days=10),
            "announcement_at": now + timedelta(days=30),
            "test_duration_seconds": 3600,
            **overrides,
        }
        with app.app_context():
            activity = build_activity(office.id, **values)
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
        six_days_ago = utcnow() - timedelta(days=6)
        with app.app_context():
            users = [build_user(name="Calon Mitra", full_name=full_name) for _ in range(count)]
            db.session.flush()
            profiles = [build_profile(user) for user in users]
            applications = [
                build_application(activity_id, user.id, status, submitted_at=six_days_ago)
                for user in users
            ]
            db.session.commit()
            return [
                Candidate(u.id, u.email, p.full_name, p.nik, a.id, activity_id)
                for u, p, a in zip(users, profiles, applications, strict=True)
            ]

    return make


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
            session = build_test_session(
                activity_id,
                starts_at=starts_at,
                length=timedelta(seconds=window),
                capacity=capacity,
                place=place,
                closed_at=utcnow() if closed else None,
            )
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
