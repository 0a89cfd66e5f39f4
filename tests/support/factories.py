"""One builder per model for test data: invented defaults, keyword overrides.

`build_<model>(...)` makes one row whose defaults satisfy the schema and describe a
plausible invented office, person or activity, sets every column given as a keyword
(the keyword wins over the default), adds the row to the session of the current
application context and returns it, unflushed: flush when you need its id (a caller
that inserts hundreds of rows flushes once). Nothing is committed. The exception is
`build_question`, which flushes to link a question to its first version.

Everything is invented: e-mail addresses are @uji.example, names are "Pengguna Uji 7"
and the like, and NIKs are well formed (they agree with the profile's birth date, gender
and regency, as a real one would) but made up. One sequence numbers every builder's
rows, so codes, e-mail addresses and NIKs never collide within a test.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

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
from exam_service.authoring.models import Category, Question, QuestionStatus, QuestionVersion
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.recruitment import declarations
from exam_service.recruitment.models import Activity, Application, ApplicationStatus
from exam_service.scheduling.models import Booking, TestSession
from exam_service.selection.models import SelectionRule

PASSWORD = "kata-sandi-uji-yang-panjang"
# A 60-minute test and the 15 minutes of late entry after its start.
SESSION_LENGTH = timedelta(hours=1, minutes=15)

_numbers = itertools.count(1)
_hash: list[str] = []


def next_number() -> int:
    """The next number of the builders' sequence (for names a test makes up itself)."""
    return next(_numbers)


def password_hash() -> str:
    """The argon2 hash of `PASSWORD`, made once: hashing is slow by design."""
    if not _hash:
        _hash.append(hash_password(PASSWORD))
    return _hash[0]


def invented_nik(
    birth_date: date = date(1990, 1, 15),
    gender: Gender = Gender.MALE,
    *,
    regency: str = "3273",
    district: str = "01",
    serial: int | None = None,
) -> str:
    """A well-formed invented NIK: regency, district, birth day (+40 for women), month and
    year, then a serial (a new one, 0001-9999, unless given)."""
    day = birth_date.day + (40 if gender is Gender.FEMALE else 0)
    serial = next(_numbers) % 9999 + 1 if serial is None else serial
    return f"{regency}{district}{day:02d}{birth_date:%m%y}{serial:04d}"


def _add(row: Any) -> Any:
    db.session.add(row)
    return row


# --- accounts -------------------------------------------------------------------------


def build_office(*, code: str | None = None, **overrides: Any) -> Office:
    n = next(_numbers)
    values = {"code": code or f"OF{n}", "name": f"BPS Uji {n}", "region_code": "3273"}
    return _add(Office(**{**values, **overrides}))


def build_user(
    role: Role = Role.CANDIDATE,
    *,
    name: str = "Pengguna Uji",
    full_name: str | None = None,
    email: str | None = None,
    **overrides: Any,
) -> User:
    """An activated account with the password `PASSWORD`; a candidate has consented.

    Unless given, the full name is `name` and a number, and the e-mail address is made
    from them ("Peserta Uji" -> "Peserta Uji 12", peserta.uji12@uji.example).
    """
    n = next(_numbers)
    now = utcnow()
    values: dict[str, Any] = {
        "email": email or f"{name.lower().replace(' ', '.')}{n}@uji.example",
        "password_hash": password_hash(),
        "full_name": full_name or f"{name} {n}",
        "role": role,
        "activated_at": now,
    }
    if role is Role.CANDIDATE:
        values |= {"consent_version": CONSENT_VERSION, "consent_at": now}
    return _add(User(**{**values, **overrides}))


def build_profile(
    user: User,
    *,
    birth_date: date = date(1990, 1, 15),
    gender: Gender = Gender.MALE,
    regency_code: str = "3273",
    **overrides: Any,
) -> Profile:
    """A complete profile of `user` (flush the user first: its id is needed), under the
    user's name, with a NIK that agrees with it unless `nik` is given."""
    values = {
        "user_id": user.id,
        "nik": invented_nik(birth_date, gender, regency=regency_code),
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
    }
    return _add(Profile(**{**values, **overrides}))


def build_document(user_id: int, kind: DocumentKind, **overrides: Any) -> Document:
    """A document row; its file need not exist (tests/support/recruitment.py
    `write_document_file` puts bytes where the accounts module looks)."""
    values = {
        "user_id": user_id,
        "kind": kind,
        "storage_name": secrets.token_hex(16),
        "content_type": "application/pdf",
        "size": 4,
        "sha256": "0" * 64,
    }
    return _add(Document(**{**values, **overrides}))


def build_documents(user_id: int, kinds: Iterable[DocumentKind] | None = None) -> list[Document]:
    """`build_document` for each of `kinds` (every kind by default)."""
    return [
        build_document(user_id, kind) for kind in (kinds if kinds is not None else DocumentKind)
    ]


# --- recruitment ----------------------------------------------------------------------


def build_activity(office_id: int, **overrides: Any) -> Activity:
    """An activity of the office whose registration is open now; booking opens after it."""
    now = utcnow()
    values = {
        "office_id": office_id,
        "name": "Rekrutmen Mitra Statistik Uji",
        "registration_opens_at": now - timedelta(days=1),
        "registration_closes_at": now + timedelta(days=4),
        "booking_opens_at": now + timedelta(days=5),
        "booking_closes_at": now + timedelta(days=20),
        "announcement_at": now + timedelta(days=35),
    }
    return _add(Activity(**{**values, **overrides}))


def build_application(
    activity_id: int,
    user_id: int,
    status: ApplicationStatus = ApplicationStatus.SUBMITTED,
    **overrides: Any,
) -> Application:
    """An application submitted now, decided now unless it is still SUBMITTED."""
    now = utcnow()
    values = {
        "activity_id": activity_id,
        "user_id": user_id,
        "status": status,
        "submitted_at": now,
        "decided_at": None if status is ApplicationStatus.SUBMITTED else now,
        # Declared "ya" to everything, as most applicants through the page do.
        **dict.fromkeys(declarations.KEYS, True),
    }
    return _add(Application(**{**values, **overrides}))


def build_selection_rule(activity_id: int, **overrides: Any) -> SelectionRule:
    """The final selection of the activity: the best one passes (quota 1), not scheduled."""
    values = {"activity_id": activity_id, "method": "quota", "quota": 1}
    return _add(SelectionRule(**{**values, **overrides}))


# --- scheduling -----------------------------------------------------------------------


def build_test_session(
    activity_id: int,
    *,
    starts_at: datetime | None = None,
    length: timedelta = SESSION_LENGTH,
    **overrides: Any,
) -> TestSession:
    """A session of 10 seats, none booked, starting in an hour (or at `starts_at`) and
    ending `length` later (unless `ends_at` is given)."""
    if starts_at is None:
        starts_at = utcnow() + timedelta(hours=1)
    values = {
        "activity_id": activity_id,
        "starts_at": starts_at,
        "ends_at": starts_at + length,
        "capacity": 10,
        "booked": 0,
    }
    return _add(TestSession(**{**values, **overrides}))


def build_booking(application_id: int, session_id: int, **overrides: Any) -> Booking:
    """A booking row only: the session's `booked` counter is the caller's to keep."""
    return _add(Booking(application_id=application_id, session_id=session_id, **overrides))


# --- the question bank ----------------------------------------------------------------


def build_category(slug: str | None = None, **overrides: Any) -> Category:
    slug = slug or f"kategori-{next(_numbers)}"
    return _add(Category(**{"slug": slug, "name": slug.title(), **overrides}))


def build_question(
    category_id: int,
    *,
    stem: str | None = None,
    options: list[dict[str, Any]] | None = None,
    difficulty: str = "medium",
    **overrides: Any,
) -> Question:
    """An active question and its first version, made current (both flushed).

    By default four options, the first of them the key (1 point, the others 0).
    `overrides` are columns of the question.
    """
    n = next(_numbers)
    if options is None:
        options = [{"text": f"Pilihan {i} soal {n}", "points": int(i == 0)} for i in range(4)]
    values = {"category_id": category_id, "status": QuestionStatus.ACTIVE}
    question = _add(Question(**{**values, **overrides}))
    db.session.flush()
    version = _add(
        QuestionVersion(
            question_id=question.id,
            difficulty=difficulty,
            stem=stem or f"Soal uji nomor {n}",
            options=options,
        )
    )
    db.session.flush()
    question.current_version_id = version.id
    return question
