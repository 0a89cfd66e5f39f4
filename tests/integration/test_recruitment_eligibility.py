"""Eligibility: the hard rule (education) and the preferences (age, domicile), plus NIK flags."""

from __future__ import annotations

from datetime import date

import pytest

from exam_service.accounts.models import Education, Office, Profile, Role
from exam_service.accounts.nik import GENDER_MISMATCH
from exam_service.recruitment.models import Activity
from exam_service.recruitment.service import age_on, eligibility

SUBMITTED_ON = date(2026, 11, 8)
OFFICE = Office(code="3273", name="BPS Kota Uji", region_code="3273")
ACTIVITY = Activity(min_education=Education.SMA, preferred_min_age=18, preferred_max_age=50)


def profile(**overrides) -> Profile:
    values = {
        "education": Education.SMA,
        "birth_date": date(1990, 1, 15),
        "regency_code": "3273",
        "nik_flags": [],
        **overrides,
    }
    return Profile(**values)


def born_aged(years: int) -> date:
    """Exactly `years` old on the submission day (the birthday is that day)."""
    return SUBMITTED_ON.replace(year=SUBMITTED_ON.year - years)


def check(result, rule: str):
    return next(c for c in result.checks if c.rule == rule)


@pytest.mark.parametrize(
    ("education", "meets"),
    [
        (Education.SD, False),
        (Education.SMP, False),
        (Education.SMA, True),
        (Education.DIPLOMA, True),
        (Education.BACHELOR, True),
        (Education.DOCTORATE, True),
    ],
)
def test_education_at_least_sma_is_the_hard_rule(app_ctx, education, meets):
    result = eligibility(profile(education=education), ACTIVITY, OFFICE, SUBMITTED_ON)
    assert check(result, "education").hard is True
    assert result.meets_hard_rules is meets


@pytest.mark.parametrize(
    ("birth_date", "age", "preferred"),
    [
        (born_aged(17), 17, False),
        (born_aged(18), 18, True),
        (date(SUBMITTED_ON.year - 18, SUBMITTED_ON.month, SUBMITTED_ON.day + 1), 17, False),
        (born_aged(50), 50, True),
        (date(SUBMITTED_ON.year - 51, SUBMITTED_ON.month, SUBMITTED_ON.day + 1), 50, True),
        (born_aged(51), 51, False),
    ],
)
def test_age_on_the_submission_day_is_a_preference(app_ctx, birth_date, age, preferred):
    result = eligibility(profile(birth_date=birth_date), ACTIVITY, OFFICE, SUBMITTED_ON)
    assert result.age == age
    assert check(result, "age").ok is preferred
    assert check(result, "age").hard is False
    assert result.meets_preferences is preferred
    assert result.meets_hard_rules is True  # age never blocks


def test_age_limits_are_data_of_the_activity(app_ctx):
    strict = Activity(min_education=Education.SMA, preferred_min_age=21, preferred_max_age=35)
    result = eligibility(profile(birth_date=born_aged(20)), strict, OFFICE, SUBMITTED_ON)
    assert check(result, "age").ok is False
    bachelor_only = Activity(
        min_education=Education.BACHELOR, preferred_min_age=18, preferred_max_age=50
    )
    assert eligibility(profile(), bachelor_only, OFFICE, SUBMITTED_ON).meets_hard_rules is False


@pytest.mark.parametrize(("regency_code", "in_region"), [("3273", True), ("3204", False)])
def test_domicile_in_the_office_region_is_a_preference(app_ctx, regency_code, in_region):
    result = eligibility(profile(regency_code=regency_code), ACTIVITY, OFFICE, SUBMITTED_ON)
    assert result.in_region is in_region
    assert check(result, "domicile").ok is in_region
    assert result.meets_hard_rules is True


def test_nik_flags_are_reported(app_ctx):
    result = eligibility(profile(nik_flags=[GENDER_MISMATCH]), ACTIVITY, OFFICE, SUBMITTED_ON)
    assert result.nik_flags == [GENDER_MISMATCH]
    clean = eligibility(profile(), ACTIVITY, OFFICE, SUBMITTED_ON)
    assert clean.nik_flags == []


@pytest.mark.parametrize(
    ("birth_date", "day", "age"),
    [
        (date(2000, 2, 29), date(2018, 2, 28), 17),
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(2000, 11, 8), date(2018, 11, 7), 17),
        (date(2000, 11, 8), date(2018, 11, 8), 18),
    ],
)
def test_age_counts_completed_years(birth_date, day, age):
    assert age_on(birth_date, day) == age


def test_detail_reports_the_failed_hard_rule(
    make_office, make_user, make_activity, complete_candidate, make_application, login
):
    office = make_office(region_code="3273")
    activity_id = make_activity(office)
    user = complete_candidate(education=Education.SMP, regency_code="3204")
    application_id = make_application(activity_id, user)

    admin = login(make_user(Role.ADMIN, office=office))
    body = admin.get(f"/api/v1/admin/applications/{application_id}").json

    assert body["eligibility"]["meets_hard_rules"] is False
    assert body["eligibility"]["in_region"] is False
    failed = {c["rule"] for c in body["eligibility"]["checks"] if not c["ok"]}
    assert failed == {"education", "domicile"}
