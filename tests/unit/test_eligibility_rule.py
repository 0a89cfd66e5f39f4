"""The administrative eligibility rule (`recruitment.service.eligibility`).

For one candidate profile, one activity and its office, on the day the application
was submitted:
- education: a hard rule, met when the candidate's education is at least the
  activity's minimum (SD < SMP < SMA/SMK < D1-D3 < D4/S1 < S2 < S3);
- age: a preference, met when the completed years on that day lie in the
  activity's preferred range, both ends included;
- domicile: a preference, met when the profile's domicile regency or the regency
  in the NIK is the office's region (the message says which);
- the announcement's declarations: "not an ASN" a hard rule, the others
  preferences; an unanswered one is not met (every test here answers "ya" unless
  it says otherwise);
- NIK flags are passed on to the admin as they are.

Models are transient instances (no session, no database). The messages are made
with flask_babel's gettext, which answers the Indonesian source text when no
application context is pushed, so no app is needed either.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam_service.accounts.models import Education, Gender, Office, Profile
from exam_service.accounts.nik import BIRTH_DATE_MISMATCH, GENDER_MISMATCH
from exam_service.recruitment import declarations
from exam_service.recruitment.models import Activity
from exam_service.recruitment.service import eligibility as eligibility_with
from tests.support.factories import invented_nik

OFFICE_REGION = "3273"
OTHER_REGENCY = "3204"
ALL_YES = dict.fromkeys(declarations.KEYS, True)


def eligibility(profile, activity, office, on, answers=None):
    return eligibility_with(profile, activity, office, on, {**ALL_YES, **(answers or {})})


# The education levels from lowest to highest, spelled as stored in the database.
LEVELS = ["SD", "SMP", "SMA/SMK", "D1-D3", "D4/S1", "S2", "S3"]


def profile(
    *,
    birth_date: date = date(1995, 6, 20),
    education: str = "SMA/SMK",
    regency_code: str = OFFICE_REGION,
    nik_regency: str | None = None,
    nik_flags: list[str] | None = None,
) -> Profile:
    """An invented candidate (transient); the NIK's regency is the domicile's unless given."""
    return Profile(
        nik=invented_nik(birth_date, Gender.MALE, regency=nik_regency or regency_code),
        full_name="Peserta Uji",
        birth_date=birth_date,
        gender=Gender.MALE,
        regency_code=regency_code,
        education=education,
        nik_flags=[] if nik_flags is None else nik_flags,
    )


def activity(min_education: str = "SMA/SMK", low: int = 18, high: int = 50) -> Activity:
    # Set explicitly: column defaults are applied on insert, not on transient instances.
    return Activity(
        name="Rekrutmen Mitra Statistik Uji",
        min_education=min_education,
        preferred_min_age=low,
        preferred_max_age=high,
    )


def office(region_code: str = OFFICE_REGION) -> Office:
    return Office(code="OFUJI", name="BPS Uji", region_code=region_code)


def check(result, rule: str):
    (found,) = [c for c in result.checks if c.rule == rule]
    return found


# --- the shape of the answer ------------------------------------------------------------


def test_checks_are_the_hard_rules_then_the_preferences():
    result = eligibility(profile(), activity(), office(), date(2026, 3, 10))

    assert [(c.rule, c.hard) for c in result.checks] == [
        ("education", True),
        ("not_civil_servant", True),
        ("age", False),
        ("domicile", False),
        *((key, False) for key in declarations.PREFERENCE_KEYS),
    ]
    assert all(c.ok for c in result.checks)
    assert result.meets_hard_rules is True
    assert result.meets_preferences is True


# --- education: a hard rule, "at least the minimum" -------------------------------------------


def test_education_exactly_at_the_minimum_is_met():
    result = eligibility(
        profile(education="SMA/SMK"), activity("SMA/SMK"), office(), date(2026, 3, 10)
    )

    education = check(result, "education")
    assert education.ok is True
    assert education.message == "Pendidikan SMA/SMK memenuhi syarat minimal SMA/SMK."
    assert result.meets_hard_rules is True


def test_education_one_level_below_the_minimum_fails_the_hard_rule():
    result = eligibility(profile(education="SMP"), activity("SMA/SMK"), office(), date(2026, 3, 10))

    education = check(result, "education")
    assert education.ok is False
    assert education.message == "Pendidikan SMP di bawah syarat minimal SMA/SMK."
    assert result.meets_hard_rules is False
    # The preferences are judged on their own: still met.
    assert result.meets_preferences is True


def test_education_one_level_above_the_minimum_is_met():
    result = eligibility(profile(education="D4/S1"), activity("D1-D3"), office(), date(2026, 3, 10))

    assert check(result, "education").ok is True


@pytest.mark.parametrize(
    ("candidate", "minimum"), list(product(range(len(LEVELS)), range(len(LEVELS))))
)
def test_education_is_met_exactly_when_the_level_is_not_below_the_minimum(candidate, minimum):
    result = eligibility(
        profile(education=LEVELS[candidate]),
        activity(LEVELS[minimum]),
        office(),
        date(2026, 3, 10),
    )

    assert check(result, "education").ok is (candidate >= minimum)


def test_education_accepts_the_enum_as_well_as_the_stored_string():
    as_enum = eligibility(
        profile(education=Education.DIPLOMA),
        activity(Education.BACHELOR),
        office(),
        date(2026, 3, 10),
    )

    assert check(as_enum, "education").ok is False
    assert check(as_enum, "education").message == (
        "Pendidikan D1-D3 di bawah syarat minimal D4/S1."
    )


# --- age: a preference, completed years on the day of application, range inclusive ---------


@pytest.mark.parametrize(
    ("on", "age", "ok"),
    [
        (date(2026, 3, 9), 17, False),  # the day before the 18th birthday
        (date(2026, 3, 10), 18, True),  # the 18th birthday: the minimum is met that day
        (date(2026, 3, 11), 18, True),
    ],
)
def test_age_minimum_is_met_from_the_birthday_on(on, age, ok):
    result = eligibility(profile(birth_date=date(2008, 3, 10)), activity(), office(), on)

    assert result.age == age
    assert check(result, "age").ok is ok
    assert result.meets_preferences is ok
    # Age is a preference only: the hard rules do not depend on it.
    assert result.meets_hard_rules is True


@pytest.mark.parametrize(
    ("on", "age", "ok"),
    [
        (date(2026, 3, 9), 50, True),  # the last day at 50
        (date(2026, 3, 10), 51, False),  # the 51st birthday: above the maximum that day
    ],
)
def test_age_maximum_is_met_until_the_day_before_the_next_birthday(on, age, ok):
    result = eligibility(profile(birth_date=date(1975, 3, 10)), activity(), office(), on)

    assert result.age == age
    assert check(result, "age").ok is ok


def test_age_message_states_the_age_and_the_preferred_range():
    result = eligibility(
        profile(birth_date=date(2008, 3, 10)), activity(low=21, high=40), office(), date(2026, 3, 9)
    )

    age = check(result, "age")
    assert age.ok is False
    assert age.message == "Usia 17 tahun saat mendaftar (diutamakan 21-40 tahun)."


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2026, 2, 28), 17),  # no 29 February in 2026: not yet 18 on the 28th
        (date(2026, 3, 1), 18),
        (date(2028, 2, 28), 19),  # 2028 is a leap year: still 19 on the 28th
        (date(2028, 2, 29), 20),
    ],
)
def test_age_of_someone_born_on_29_february(on, age):
    result = eligibility(profile(birth_date=date(2008, 2, 29)), activity(), office(), on)

    assert result.age == age
    assert check(result, "age").ok is (age >= 18)


@pytest.mark.parametrize(
    ("on", "ok"),
    [
        (date(2025, 6, 30), False),  # 24
        (date(2025, 7, 1), True),  # turns 25
        (date(2026, 6, 30), True),  # last day at 25
        (date(2026, 7, 1), False),  # turns 26
    ],
)
def test_age_range_of_a_single_year_includes_that_whole_year(on, ok):
    result = eligibility(
        profile(birth_date=date(2000, 7, 1)), activity(low=25, high=25), office(), on
    )

    assert check(result, "age").ok is ok


def birthday(born: date, year: int) -> date:
    """The day `born` has its birthday in `year` (1 March for 29 February in a common year)."""
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


@given(
    born=st.dates(min_value=date(1950, 1, 1), max_value=date(2010, 12, 31)),
    years=st.integers(min_value=1, max_value=70),
)
def test_age_goes_up_by_one_on_the_birthday(born, years):
    on = birthday(born, born.year + years)
    before = eligibility(profile(birth_date=born), activity(), office(), on - timedelta(days=1))
    after = eligibility(profile(birth_date=born), activity(), office(), on)

    assert (before.age, after.age) == (years - 1, years)
    assert check(after, "age").ok is (18 <= years <= 50)


# --- domicile: the profile's domicile regency against the office's region -------------------


def test_domicile_in_the_office_region_is_met():
    result = eligibility(
        profile(regency_code=OFFICE_REGION), activity(), office(), date(2026, 3, 10)
    )

    assert result.in_region is True
    domicile = check(result, "domicile")
    assert domicile.ok is True
    assert domicile.message == "Berdomisili di wilayah kantor (menurut alamat dan NIK)."


def test_domicile_outside_the_office_region_is_a_preference_not_met():
    result = eligibility(
        profile(regency_code=OTHER_REGENCY), activity(), office(), date(2026, 3, 10)
    )

    assert result.in_region is False
    domicile = check(result, "domicile")
    assert domicile.ok is False
    assert domicile.message == "Berdomisili di luar wilayah kantor (menurut alamat dan NIK)."
    assert result.meets_preferences is False
    assert result.meets_hard_rules is True


def test_neighbouring_regency_code_is_outside_the_region():
    result = eligibility(
        profile(regency_code="3274"), activity(), office("3273"), date(2026, 3, 10)
    )

    assert result.in_region is False


def test_nik_issued_elsewhere_does_not_matter_when_the_address_is_in_the_region():
    candidate = profile(regency_code=OFFICE_REGION, nik_regency=OTHER_REGENCY)
    assert candidate.nik.startswith(OTHER_REGENCY)

    result = eligibility(candidate, activity(), office(), date(2026, 3, 10))

    assert result.in_region is True
    assert "menurut alamat; NIK dari wilayah lain" in check(result, "domicile").message


def test_a_nik_of_the_office_region_counts_when_living_elsewhere():
    candidate = profile(regency_code=OTHER_REGENCY, nik_regency=OFFICE_REGION)
    assert candidate.nik.startswith(OFFICE_REGION)

    result = eligibility(candidate, activity(), office(), date(2026, 3, 10))

    assert result.in_region is True
    assert check(result, "domicile").message == (
        "NIK dari wilayah kantor; alamat sekarang di luar wilayah."
    )


@pytest.mark.parametrize("answer", [False, None])
def test_a_civil_servant_or_no_answer_fails_the_hard_rule(answer):
    result = eligibility(
        profile(), activity(), office(), date(2026, 3, 10), {"not_civil_servant": answer}
    )

    assert check(result, "not_civil_servant").ok is False
    assert result.meets_hard_rules is False
    assert result.meets_preferences is True  # a hard rule, not a preference


# --- NIK flags: shown to the admin, they decide nothing ------------------------------------


def test_nik_flags_are_passed_on_and_do_not_affect_the_rules():
    flags = [BIRTH_DATE_MISMATCH, GENDER_MISMATCH]
    result = eligibility(profile(nik_flags=flags), activity(), office(), date(2026, 3, 10))

    assert result.nik_flags == flags
    assert result.meets_hard_rules is True
    assert result.meets_preferences is True


def test_missing_nik_flags_read_as_none():
    candidate = profile()
    candidate.nik_flags = None

    result = eligibility(candidate, activity(), office(), date(2026, 3, 10))

    assert result.nik_flags == []


# --- the whole verdict -----------------------------------------------------------------------


def test_failing_every_check_at_once():
    result = eligibility(
        profile(birth_date=date(1960, 1, 1), education="SD", regency_code=OTHER_REGENCY),
        activity("D4/S1"),
        office(),
        date(2026, 3, 10),
        dict.fromkeys(declarations.KEYS, False),
    )

    assert all(not c.ok for c in result.checks)
    assert len(result.checks) == 2 + 2 + len(declarations.PREFERENCE_KEYS)
    assert result.age == 66
    assert result.meets_hard_rules is False
    assert result.meets_preferences is False
