"""The NIK (Nomor Induk Kependudukan), the 16-digit national ID number.

Layout: PP RR DD ddmmyy SSSS
  PP province, RR regency/city, DD district (kecamatan), then the birth date
  (day + 40 for women), then a serial number within the district and date.

A NIK that breaks the layout is refused. A well-formed NIK that disagrees with
the declared birth date or gender is accepted and only flagged for an admin:
the civil registry never corrects a NIK once issued, so real NIKs with a
"wrong" date or gender exist, and refusing them would lock their owners out.

This module is pure: no database, no request, no clock unless `today` is
omitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from ..core.clock import WIB, utcnow
from .models import Gender

NIK_LENGTH = 16

# Province codes in use (Kemendagri), including the Papua provinces of 2022.
PROVINCE_CODES = frozenset(
    str(code)
    for code in (
        *range(11, 20),
        21,
        *range(31, 37),
        *range(51, 54),
        *range(61, 66),
        *range(71, 77),
        81,
        82,
        *range(91, 97),
    )
)

FEMALE_DAY_OFFSET = 40

BIRTH_DATE_MISMATCH = "birth_date_mismatch"
GENDER_MISMATCH = "gender_mismatch"


@dataclass(frozen=True)
class NikCheck:
    """`errors` refuse the NIK (Indonesian messages); `flags` only mark it for an admin."""

    errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    # What the NIK itself says, when it is well formed.
    birth_date: date | None = None
    gender: Gender | None = None

    @property
    def valid(self) -> bool:
        return not self.errors


def regency_code(nik: str) -> str:
    """The regency/city code (province + regency, 4 digits) of a well-formed NIK."""
    return nik[:4]


def check_nik(
    nik: str,
    birth_date: date | None,
    gender: Gender | None,
    *,
    today: date | None = None,
) -> NikCheck:
    """Check the NIK's layout, then compare it with the declared birth date and gender."""
    if len(nik) != NIK_LENGTH or not nik.isascii() or not nik.isdigit():
        return NikCheck(errors=[_("NIK harus terdiri dari tepat 16 angka.")])
    errors = _layout_errors(nik)
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    nik_gender = Gender.FEMALE if day > FEMALE_DAY_OFFSET else Gender.MALE
    if nik_gender is Gender.FEMALE:
        day -= FEMALE_DAY_OFFSET
    nik_birth_date = None
    if not 1 <= day <= 31:
        errors.append(_("Tanggal lahir pada NIK (digit 7-8) tidak valid."))
    elif not 1 <= month <= 12:
        errors.append(_("Bulan lahir pada NIK (digit 9-10) tidak valid."))
    else:
        nik_birth_date = nik_date(day, month, yy, birth_date, today or _today_wib())
        if nik_birth_date is None:
            errors.append(_("Tanggal lahir pada NIK (digit 7-12) bukan tanggal yang ada."))
    if errors:
        return NikCheck(errors=errors)
    flags = []
    if birth_date is not None and birth_date != nik_birth_date:
        flags.append(BIRTH_DATE_MISMATCH)
    if gender is not None and gender != nik_gender:
        flags.append(GENDER_MISMATCH)
    return NikCheck(flags=flags, birth_date=nik_birth_date, gender=nik_gender)


def _layout_errors(nik: str) -> list[str]:
    errors = []
    if nik[:2] not in PROVINCE_CODES:
        errors.append(_("Kode provinsi pada NIK (digit 1-2) tidak dikenal."))
    if nik[2:4] == "00":
        errors.append(_("Kode kabupaten/kota pada NIK (digit 3-4) tidak valid."))
    if nik[4:6] == "00":
        errors.append(_("Kode kecamatan pada NIK (digit 5-6) tidak valid."))
    if nik[12:] == "0000":
        errors.append(_("Nomor urut pada NIK (digit 13-16) tidak valid."))
    return errors


def nik_date(day: int, month: int, yy: int, declared: date | None, today: date) -> date | None:
    """The birth date a NIK's ddmmyy stands for, or None when no real date fits.

    The NIK has a 2-digit year. The century of the declared birth date is tried
    first when its last two digits match (so a NIK and a declared date that agree
    are never reported as a mismatch); otherwise the most recent date that is not
    in the future (yy=05 -> 2005 in 2026, yy=30 -> 1930). A day that does not
    exist in that year (29 Feb 2001) is not a date.
    """
    centuries = []
    if declared is not None and declared.year % 100 == yy:
        centuries.append(declared.year - yy)
    this_century = today.year - today.year % 100
    centuries += [this_century, this_century - 100]
    for century in centuries:
        try:
            candidate = date(century + yy, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def _today_wib() -> date:
    return utcnow().astimezone(WIB).date()
