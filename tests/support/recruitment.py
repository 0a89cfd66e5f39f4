"""Fixtures for recruitment: complete candidates, activities and applications in each state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from exam_service.accounts.models import Document, DocumentKind, Office, User
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment.models import Application, ApplicationStatus

from .factories import (
    build_activity,
    build_application,
    build_booking,
    build_documents,
    build_profile,
    build_test_session,
    build_user,
)


def write_document_file(app: Flask, user_id: int, kind: DocumentKind, data: bytes) -> None:
    """Put the bytes of a user's document where the accounts module stores it."""
    with app.app_context():
        document = db.session.scalars(
            db.select(Document).where(Document.user_id == user_id, Document.kind == kind)
        ).one()
        folder = Path(app.config["UPLOAD_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / document.storage_name).write_bytes(data)


@pytest.fixture
def complete_candidate(app: Flask) -> Callable[..., User]:
    """An activated, consenting candidate (password `PASSWORD`) with a complete profile
    (`**overrides` of its columns) and six documents; returns the detached user."""

    def make(*, documents: bool = True, profile: bool = True, **overrides: Any) -> User:
        with app.app_context():
            user = build_user(name="Kandidat Uji", full_name=overrides.get("full_name"))
            db.session.flush()
            if profile:
                build_profile(user, **overrides)
            if documents:
                build_documents(user.id)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return make


@pytest.fixture
def make_activity(app: Flask) -> Callable[..., int]:
    """An activity of `office` whose registration is open now; columns may be overridden."""

    def make(office: Office, **overrides: Any) -> int:
        with app.app_context():
            activity = build_activity(office.id, **overrides)
            db.session.commit()
            return activity.id

    return make


@pytest.fixture
def make_application(app: Flask) -> Callable[..., int]:
    """An application of `user` to `activity_id` in any state; returns its id."""

    def make(
        activity_id: int,
        user: User,
        status: ApplicationStatus = ApplicationStatus.SUBMITTED,
        *,
        submitted_at: datetime | None = None,
        reason: str | None = None,
    ) -> int:
        with app.app_context():
            application = build_application(
                activity_id,
                user.id,
                status,
                submitted_at=submitted_at or utcnow(),
                decision_reason=reason,
            )
            db.session.commit()
            return application.id

    return make


def add_booking(app: Flask, application_id: int, place: str = "Aula BPS") -> int:
    """A booked seat for the application, inserted directly; returns the session id."""
    with app.app_context():
        application = db.session.get_one(Application, application_id)
        starts_at = application.activity.booking_opens_at + timedelta(days=1)
        session = build_test_session(
            application.activity_id, starts_at=starts_at, booked=1, place=place
        )
        db.session.flush()
        build_booking(application_id, session.id)
        db.session.commit()
        return session.id
