"""Candidate profiles: the personal data a candidate completes before applying.

`DOCUMENT_LABELS` is the one place where the six document kinds get their
human-readable (Indonesian) names; pages and other domains reuse it.

One account per NIK: a NIK already used by another account is refused with a
generic message that says nothing about that account. Saves of one NIK are
serialised (`_lock_nik`), so the check for a NIK in use sees every save that
came before, also one a moment earlier from another account; the write itself
is an insert that does nothing on a conflict, or an update of the account's own
row. No save ever runs into the unique index on the NIK: that would be an error
that PostgreSQL writes to its server log, NIK included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..core.clock import WIB, utcnow
from ..core.errors import Conflict, Invalid
from ..core.extensions import db
from . import nik as nik_rules
from .models import Document, DocumentKind, Education, Gender, Profile

PROFILE_LABEL = _l("Profil")
# The key of the profile among the items a candidate still lacks (the others are
# document kinds).
PROFILE_KEY = "profile"

DOCUMENT_LABELS = {
    DocumentKind.KTP: _l("Scan KTP"),
    DocumentKind.PHOTO: _l("Pas foto"),
    DocumentKind.DIPLOMA: _l("Ijazah"),
    DocumentKind.CV: _l("Daftar riwayat hidup"),
    DocumentKind.PHONE_SPEC: _l("Tangkapan layar spesifikasi ponsel"),
    DocumentKind.APPLICATION_LETTER: _l("Surat lamaran tulisan tangan"),
}

EDUCATION_LABELS = {
    Education.SD: _l("SD"),
    Education.SMP: _l("SMP"),
    Education.SMA: _l("SMA/SMK"),
    Education.DIPLOMA: _l("D1-D3"),
    Education.BACHELOR: _l("D4/S1"),
    Education.MASTER: _l("S2"),
    Education.DOCTORATE: _l("S3"),
}

GENDER_LABELS = {Gender.MALE: _l("Laki-laki"), Gender.FEMALE: _l("Perempuan")}

NIK_UNAVAILABLE = "NIK tidak dapat digunakan. Hubungi panitia bila menurut Anda ini keliru."

# Indonesian mobile numbers: 08... or +628..., 10-15 digits in all (country code included).
_PHONE = re.compile(r"(?:08|\+628)\d+")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
PHONE_DIGITS = (10, 15)
# A KTP (and so a NIK of one's own) is issued from 17; nobody applies past 100.
BIRTH_AGE_RANGE = (17, 100)


@dataclass(frozen=True)
class ProfileInput:
    nik: str
    full_name: str
    birth_date: date
    gender: Gender
    address: str
    village: str
    district: str
    phone: str
    education: Education


def get_profile(user_id: int) -> Profile | None:
    return db.session.get(Profile, user_id)


def nik_hints(profile: Profile | None) -> list[str]:
    """Gentle hints to the candidate where the saved NIK disagrees with the declared
    birth date or gender: what the NIK says beside what was typed.

    The same disagreements are the admin's `nik_flags`; the profile is saved all
    the same (see `nik`). No flags, no hints: they go once the candidate corrects
    either side, or stay when the KTP really says so.
    """
    flags = set(profile.nik_flags or []) if profile is not None else set()
    if not flags:
        return []
    declared_gender = Gender(profile.gender)
    check = nik_rules.check_nik(profile.nik, profile.birth_date, declared_gender)
    hints = []
    if nik_rules.BIRTH_DATE_MISMATCH in flags and check.birth_date is not None:
        hints.append(
            _(
                "Periksa kembali: NIK menunjukkan tanggal lahir %(nik)s, "
                "sedangkan yang Anda isi %(declared)s.",
                nik=_date_text(check.birth_date),
                declared=_date_text(profile.birth_date),
            )
        )
    if nik_rules.GENDER_MISMATCH in flags and check.gender is not None:
        hints.append(
            _(
                "Periksa kembali: NIK menunjukkan jenis kelamin %(nik)s, "
                "sedangkan yang Anda isi %(declared)s.",
                nik=str(GENDER_LABELS[check.gender]).lower(),
                declared=str(GENDER_LABELS[declared_gender]).lower(),
            )
        )
    return hints


def _date_text(value: date) -> str:
    """ "12 Maret 1995": a date in words does not break at a phone's line end."""
    return format_date(value, "d MMMM y", locale="id_ID")


def save_profile(user_id: int, data: ProfileInput, *, today: date | None = None) -> Profile:
    """Create or update the candidate's profile; raises Invalid (per field) or Conflict."""
    today = today or utcnow().astimezone(WIB).date()
    nik = data.nik.strip()
    check = nik_rules.check_nik(nik, data.birth_date, data.gender, today=today)
    phone = normalize_phone(data.phone)
    details = _field_problems(check, phone, data.birth_date, today)
    if details:
        raise Invalid(_("Periksa kembali isian profil."), details=details)
    values = _values(data, nik=nik, phone=phone, flags=check.flags)
    _lock_nik(nik)
    if _nik_taken(user_id, nik) or not _insert_or_update(user_id, values):
        raise _nik_unavailable()
    return db.session.get_one(Profile, user_id, populate_existing=True)


def _values(data: ProfileInput, *, nik: str, phone: str, flags: list[str]) -> dict[str, Any]:
    return {
        "nik": nik,
        "full_name": data.full_name.strip(),
        "birth_date": data.birth_date,
        "gender": data.gender,
        "address": data.address.strip(),
        "village": data.village.strip(),
        "district": data.district.strip(),
        # The KTP's regency, for the "domicile in the region" preference: never typed.
        "regency_code": nik_rules.regency_code(nik),
        "phone": phone,
        "education": data.education,
        "nik_flags": flags,
        "updated_at": utcnow(),
    }


def _lock_nik(nik: str) -> None:
    """Make saves of this NIK wait for each other until their transactions end.

    PostgreSQL: a transaction-level advisory lock whose key is the NIK itself (16
    digits fit a bigint, so two NIKs never share a lock). The second save of a NIK
    waits here until the first has committed or rolled back; in READ COMMITTED its
    next statement then sees the first one's row. SQLite needs nothing: every
    transaction holds the one write lock from its start (`configure_sqlite`).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(int(nik))))


def _insert_or_update(user_id: int, values: dict[str, Any]) -> bool:
    """Write the profile; False when the NIK turned out to be another account's.

    Neither statement can fail on a unique index: the insert does nothing on any
    conflict (the account's own profile, or the NIK), and the update only runs on
    the account's own row, with a NIK that `_lock_nik` and `_nik_taken` have
    shown to be free.
    """
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Profile)
    # RETURNING tells whether a row was inserted (an ORM insert's rowcount may be -1).
    inserted = db.session.execute(
        insert.values(user_id=user_id, **values).on_conflict_do_nothing().returning(Profile.user_id)
    ).first()
    if inserted is not None:
        return True
    updated = db.session.execute(
        update(Profile).where(Profile.user_id == user_id).values(**values),
        execution_options={"synchronize_session": False},
    )
    # No row to update: the insert met the NIK, not a profile of this account.
    return updated.rowcount == 1


def normalize_phone(phone: str) -> str:
    return _PHONE_SEPARATORS.sub("", phone)


def _field_problems(
    check: nik_rules.NikCheck, phone: str, birth_date: date, today: date
) -> dict[str, str]:
    details = {}
    if check.errors:
        details["nik"] = " ".join(check.errors)
    digits = len(phone.lstrip("+"))
    if not _PHONE.fullmatch(phone) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        details["phone"] = _(
            "Nomor ponsel harus diawali 08 atau +628 dan terdiri dari 10-15 angka."
        )
    youngest, oldest = BIRTH_AGE_RANGE
    if _age(birth_date, today) not in range(youngest, oldest + 1):
        details["birth_date"] = _(
            "Tanggal lahir tidak masuk akal (usia harus %(youngest)d-%(oldest)d tahun).",
            youngest=youngest,
            oldest=oldest,
        )
    return details


def _age(birth_date: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def _nik_taken(user_id: int, nik: str) -> bool:
    taken = db.session.scalar(
        select(Profile.user_id).where(Profile.nik == nik, Profile.user_id != user_id)
    )
    return taken is not None


def _nik_unavailable() -> Conflict:
    message = _(NIK_UNAVAILABLE)
    return Conflict(message, code="nik_unavailable", details={"nik": message})


@dataclass(frozen=True)
class DocumentSlot:
    """One document the announcement asks for, with the candidate's upload or None."""

    kind: DocumentKind
    label: str
    document: Document | None


@dataclass(frozen=True)
class MissingItem:
    """Something a candidate still lacks before applying: the profile or a document."""

    key: str  # PROFILE_KEY or the document kind
    label: str


def document_checklist(user_id: int) -> list[DocumentSlot]:
    """Every document kind in the announcement's order with its upload: the one
    place that says which documents a candidate has and which are missing."""
    uploaded = {
        DocumentKind(document.kind): document
        for document in db.session.scalars(select(Document).where(Document.user_id == user_id))
    }
    return [
        DocumentSlot(kind, str(label), uploaded.get(kind))
        for kind, label in DOCUMENT_LABELS.items()
    ]


def missing_for_application(user_id: int) -> list[MissingItem]:
    """What the candidate still lacks before applying; empty when complete."""
    missing = (
        [] if get_profile(user_id) is not None else [MissingItem(PROFILE_KEY, str(PROFILE_LABEL))]
    )
    return missing + [
        MissingItem(slot.kind.value, slot.label)
        for slot in document_checklist(user_id)
        if slot.document is None
    ]
