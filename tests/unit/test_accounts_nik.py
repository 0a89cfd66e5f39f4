"""NIK rules (ASVS 2.2.x): layout errors refuse, disagreements with the profile only flag."""

from __future__ import annotations

from datetime import date

import pytest

from exam_service.accounts.models import Gender
from exam_service.accounts.nik import (
    BIRTH_DATE_MISMATCH,
    GENDER_MISMATCH,
    PROVINCE_CODES,
    check_nik,
    nik_date,
    regency_code,
)

TODAY = date(2026, 6, 1)
L, P = Gender.MALE, Gender.FEMALE
BORN = date(1995, 8, 15)
# 16 characters for which str.isdigit() is true, but not ASCII digits.
ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in "3273011508950001")

# (case, nik, declared birth date, declared gender, valid?, expected flags)
CASES = [
    ("valid male", "3273011508950001", BORN, L, True, []),
    ("valid female: day + 40", "3273015508950002", BORN, P, True, []),
    ("valid without declared data", "3273011508950001", None, None, True, []),
    ("bad province 20", "2073011508950001", BORN, L, False, []),
    ("bad province 00", "0073011508950001", BORN, L, False, []),
    ("day 00", "3273010008950001", None, None, False, []),
    ("day 32", "3273013208950001", None, None, False, []),
    ("day 36", "3273013608950001", None, None, False, []),
    ("day 40", "3273014008950001", None, None, False, []),
    ("day 72", "3273017208950001", None, None, False, []),
    ("day 99", "3273019908950001", None, None, False, []),
    ("31 April does not exist", "3273013104950001", None, None, False, []),
    ("29 Feb in a non-leap year", "3273012902010001", None, None, False, []),
    ("29 Feb in a non-leap year, female", "3273016902010001", None, None, False, []),
    ("29 Feb in a leap year", "3273012902960001", date(1996, 2, 29), L, True, []),
    ("29 Feb 2000 (leap)", "3273012902000001", date(2000, 2, 29), L, True, []),
    ("month 13", "3273011513950001", None, None, False, []),
    ("month 00", "3273011500950001", None, None, False, []),
    ("serial 0000", "3273011508950000", BORN, L, False, []),
    ("regency 00", "3200011508950001", BORN, L, False, []),
    ("district 00", "3273001508950001", BORN, L, False, []),
    ("a letter", "32730115089500a1", BORN, L, False, []),
    ("a space", "3273011508 50001", BORN, L, False, []),
    ("Arabic-Indic digits", ARABIC_INDIC, BORN, L, False, []),
    ("15 digits", "327301150895001", BORN, L, False, []),
    ("17 digits", "32730115089500011", BORN, L, False, []),
    ("empty", "", BORN, L, False, []),
    ("birth date mismatch flagged", "3273011508950001", date(1995, 8, 16), L, True,
     [BIRTH_DATE_MISMATCH]),
    ("birth year mismatch flagged", "3273011508950001", date(1996, 8, 15), L, True,
     [BIRTH_DATE_MISMATCH]),
    ("gender mismatch flagged", "3273011508950001", BORN, P, True, [GENDER_MISMATCH]),
    ("female NIK, declared male: flagged", "3273015508950001", BORN, L, True, [GENDER_MISMATCH]),
    ("both flagged", "3273015508950001", date(1990, 1, 1), L, True,
     [BIRTH_DATE_MISMATCH, GENDER_MISMATCH]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("nik", "birth_date", "gender", "valid", "flags"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_nik_table(nik, birth_date, gender, valid, flags):
    check = check_nik(nik, birth_date, gender, today=TODAY)
    assert check.valid is valid, check.errors
    assert check.flags == flags  # a refused NIK is never merely flagged


def test_every_real_province_accepted_and_no_other():
    for code in range(100):
        nik = f"{code:02d}73011508950001"
        assert check_nik(nik, BORN, L, today=TODAY).valid is (f"{code:02d}" in PROVINCE_CODES)
    assert {"11", "19", "21", "31", "36", "51", "53", "61", "65", "71", "76", "81", "82"} <= (
        PROVINCE_CODES
    )
    assert {"91", "96"} <= PROVINCE_CODES
    assert not {"10", "20", "22", "30", "37", "50", "54", "60", "66", "70", "77", "83", "97"} & (
        PROVINCE_CODES
    )


def test_what_the_nik_says():
    check = check_nik("3273015508950002", None, None, today=TODAY)
    assert check.birth_date == BORN
    assert check.gender is P
    assert regency_code("3273015508950002") == "3273"


def test_refusals_explain_themselves_in_indonesian():
    assert check_nik("2073011508950001", None, None, today=TODAY).errors == [
        "Kode provinsi pada NIK (digit 1-2) tidak dikenal."
    ]
    assert check_nik("3273011508", None, None, today=TODAY).errors == [
        "NIK harus terdiri dari tepat 16 angka."
    ]


def test_several_layout_errors_are_all_reported():
    check = check_nik("2000003213950000", None, None, today=TODAY)
    assert len(check.errors) >= 4


@pytest.mark.parametrize(
    ("yy", "declared", "expected_year"),
    [
        (5, None, 2005),  # the most recent year ending in 05 that is past
        (30, None, 1930),  # 2030 is in the future
        (26, None, 2026),  # this year, the date is past
        (5, date(1905, 3, 1), 1905),  # the declared century wins when it matches
        (5, date(1985, 3, 1), 2005),  # no match: most recent past, then flagged
    ],
)
def test_two_digit_year(yy, declared, expected_year):
    assert nik_date(1, 3, yy, declared, TODAY) == date(expected_year, 3, 1)


def test_two_digit_year_never_in_the_future():
    # 1 December 26 is after TODAY (1 June 2026): it must be 1926.
    assert nik_date(1, 12, 26, None, TODAY) == date(1926, 12, 1)


def test_declared_date_in_the_matching_century_is_not_a_mismatch():
    check = check_nik("3273010103300001", date(1930, 3, 1), L, today=TODAY)
    assert check.valid
    assert check.flags == []
