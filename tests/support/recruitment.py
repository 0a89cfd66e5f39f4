"""Fixtures for recruitment: complete candidates, activities and applications in each state."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from exam_service.accounts.models import (
    Document,
    DocumentKind,
    Education,
    Gender,
    Office,
    Profile,
    Role,
    User,
)
from exam_service.accounts.passwords import hash_password
from exam_service.accounts.service import CONSENT_VERSION
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment.models import Activity, Application, ApplicationStatus
from exam_service.scheduling.models import Booking, TestSession

from .accounts import PASSWORD

_serials = itertools.count(1)


def make_nik(regency_code: str, birth_date: date, gender: Gender) -> str:
    """A well-formed invented NIK that agrees with the birth date and gender."""
    day = birth_date.day + (40 if gender is Gender.FEMALE else 0)
    serial = next(_serials) % 9999 + 1
    return f"{regency_code}01{day:02d}{birth_date:%m%y}{serial:04d}"


def add_profile(user: User, **overrides: Any) -> Profile:
    """A complete profile row (inserted directly, as the accounts module would keep it)."""
    birth_date = overrides.pop("birth_date", date(1990, 1, 15))
    gender = overrides.pop("gender", Gender.MALE)
    regency_code = overrides.pop("regency_code", "3273")
    values = {
        "user_id": user.id,
        "nik": make_nik(regency_code, birth_date, gender),
        "full_name": user.full_name,
        "birth_date": birth_date,
        "gender": gender,
        "address": "Jl. Contoh No. 1",
        "village": "Desa Uji",
        "district": "Kecamatan Uji",
        "regency_code": regency_code,
        "phone": "081234567890",
        "education": Education.SMA,
        "nik_flags": [],
        **overrides,
    }
    profile = Profile(**values)
    db.session.add(profile)
    return profile


def add_documents(user_id: int, kinds: list[DocumentKind] | None = None) -> list[Document]:
    """Document rows; their files need not exist (see `write_document_file`)."""
    rows = [
        Document(
            user_id=user_id,
            kind=kind,
            storage_name=secrets.token_hex(16),
            content_type="application/pdf",
            size=4,
            sha256="0" * 64,
        )
        for kind in (kinds if kinds is not None else list(DocumentKind))
    ]
    db.session.add_all(rows)
    return rows


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
        n = next(_serials)
        with app.app_context():
            now = utcnow()
            user = User(
                email=f"kandidat{n}@uji.example",
                password_hash=_password_hash(),
                full_name=overrides.get("full_name", f"Kandidat Uji {n}"),
                role=Role.CANDIDATE,
                activated_at=now,
                consent_version=CONSENT_VERSION,
                consent_at=now,
            )
            db.session.add(user)
            db.session.flush()
            if profile:
                add_profile(user, **overrides)
            if documents:
                add_documents(user.id)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return make


_HASH: list[str] = []


def _password_hash() -> str:
    """One argon2 hash shared by the candidates of these fixtures: hashing is slow by design."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@pytest.fixture
def make_activity(app: Flask) -> Callable[..., int]:
    """An activity of `office` whose registration is open now; columns may be overridden."""

    def make(office: Office, **overrides: Any) -> int:
        now = utcnow()
        values = {
            "name": "Rekrutmen Mitra Statistik Uji",
            "registration_opens_at": now - timedelta(days=1),
            "registration_closes_at": now + timedelta(days=4),
            "booking_opens_at": now + timedelta(days=5),
            "booking_closes_at": now + timedelta(days=20),
            "announcement_at": now + timedelta(days=35),
            **overrides,
        }
        with app.app_context():
            activity = Activity(office_id=office.id, **values)
            db.session.add(activity)
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
            application = Application(
                activity_id=activity_id,
                user_id=user.id,
                status=status,
                submitted_at=submitted_at or utcnow(),
                decision_reason=reason,
                decided_at=None if status is ApplicationStatus.SUBMITTED else utcnow(),
            )
            db.session.add(application)
            db.session.commit()
            return application.id

    return make


def add_booking(app: Flask, application_id: int, place: str = "Aula BPS") -> int:
    """A booked seat for the application, inserted directly; returns the session id."""
    with app.app_context():
        application = db.session.get_one(Application, application_id)
        starts_at = application.activity.booking_opens_at + timedelta(days=1)
        session = TestSession(
            activity_id=application.activity_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1, minutes=15),
            capacity=10,
            booked=1,
            place=place,
        )
        db.session.add(session)
        db.session.flush()
        db.session.add(Booking(application_id=application_id, session_id=session.id))
        db.session.commit()
        return session.id
