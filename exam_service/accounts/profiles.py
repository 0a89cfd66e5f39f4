"""Candidate profiles: the personal data a candidate completes before applying.

`DOCUMENT_LABELS` is the one place where the six document kinds get their
human-readable (Indonesian) names; pages and other domains reuse it.

One account per NIK: a NIK already used by another account is refused with a
generic message that says nothing about that account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..clock import WIB, utcnow
from ..errors import Conflict, Invalid
from ..extensions import db
from . import nik as nik_rules
from .models import Document, DocumentKind, Education, Gender, Profile

PROFILE_LABEL = _l("Profil")

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


def save_profile(user_id: int, data: ProfileInput, *, today: date | None = None) -> Profile:
    """Create or update the candidate's profile; raises Invalid (per field) or Conflict."""
    today = today or utcnow().astimezone(WIB).date()
    nik = data.nik.strip()
    check = nik_rules.check_nik(nik, data.birth_date, data.gender, today=today)
    phone = normalize_phone(data.phone)
    details = _field_problems(check, phone, data.birth_date, today)
    if details:
        raise Invalid(_("Periksa kembali isian profil."), details=details)
    _ensure_nik_available(user_id, nik)
    try:
        # Changes go inside the savepoint, so a unique violation undoes only them.
        with db.session.begin_nested():
            profile = get_profile(user_id) or Profile(user_id=user_id)
            _fill(profile, data, nik=nik, phone=phone, flags=check.flags)
            db.session.add(profile)
    except IntegrityError:
        # Another account saved the same NIK between the check and the insert.
        raise _nik_unavailable() from None
    return profile


def _fill(profile: Profile, data: ProfileInput, *, nik: str, phone: str, flags: list[str]) -> None:
    profile.nik = nik
    profile.full_name = data.full_name.strip()
    profile.birth_date = data.birth_date
    profile.gender = data.gender
    profile.address = data.address.strip()
    profile.village = data.village.strip()
    profile.district = data.district.strip()
    # The KTP's regency, for the "domicile in the region" preference: never typed.
    profile.regency_code = nik_rules.regency_code(nik)
    profile.phone = phone
    profile.education = data.education
    profile.nik_flags = flags


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


def _ensure_nik_available(user_id: int, nik: str) -> None:
    taken = db.session.scalar(
        select(Profile.user_id).where(Profile.nik == nik, Profile.user_id != user_id)
    )
    if taken is not None:
        raise _nik_unavailable()


def _nik_unavailable() -> Conflict:
    message = _(NIK_UNAVAILABLE)
    return Conflict(message, code="nik_unavailable", details={"nik": message})


def uploaded_kinds(user_id: int) -> set[DocumentKind]:
    kinds = db.session.scalars(select(Document.kind).where(Document.user_id == user_id))
    return {DocumentKind(kind) for kind in kinds}


def missing_for_application(user_id: int) -> list[str]:
    """Labels of what the candidate still lacks before applying; empty when complete."""
    missing = [] if get_profile(user_id) is not None else [str(PROFILE_LABEL)]
    present = uploaded_kinds(user_id)
    missing += [str(label) for kind, label in DOCUMENT_LABELS.items() if kind not in present]
    return missing
