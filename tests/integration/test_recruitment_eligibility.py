"""Eligibility: the hard rules (education, not an ASN) and the preferences (age,
domicile by address or NIK, the declared ones), plus NIK flags."""

from __future__ import annotations

from datetime import date

import pytest

from exam_service.accounts.models import Education, Office, Profile, Role
from exam_service.accounts.nik import GENDER_MISMATCH
from exam_service.recruitment import declarations
from exam_service.recruitment.models import Activity
from exam_service.recruitment.service import age_on
from exam_service.recruitment.service import eligibility as eligibility_of_answers

SUBMITTED_ON = date(2026, 11, 8)
OFFICE = Office(code="3273", name="BPS Kota Uji", region_code="3273")
ACTIVITY = Activity(min_education=Education.SMA, preferred_min_age=18, preferred_max_age=50)


# Every declaration answered "ya".
ALL_YES = dict.fromkeys(declarations.KEYS, True)


def eligibility(profile, activity, office, on, answers=None):
    """The rules with every declaration "ya" unless `answers` says otherwise."""
    return eligibility_of_answers(profile, activity, office, on, {**ALL_YES, **(answers or {})})


def profile(**overrides) -> Profile:
    values = {
        "nik": "3273015001900001",
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
    lives_there = profile(regency_code=regency_code, nik=f"{regency_code}015001900001")
    result = eligibility(lives_there, ACTIVITY, OFFICE, SUBMITTED_ON)
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


@pytest.mark.parametrize(
    ("answer", "meets", "words"),
    [(True, True, "bukan ASN"), (False, False, "berstatus ASN"), (None, False, "Belum dinyatakan")],
)
def test_not_a_civil_servant_is_a_hard_rule_of_the_declaration(app_ctx, answer, meets, words):
    result = eligibility(profile(), ACTIVITY, OFFICE, SUBMITTED_ON, {"not_civil_servant": answer})
    asn = check(result, "not_civil_servant")
    assert asn.hard is True
    assert asn.ok is meets
    assert words in asn.message
    assert result.meets_hard_rules is meets


def test_domicile_counts_the_address_or_the_nik(app_ctx):
    away_nik = "3204015001900001"
    by_address = eligibility(profile(nik=away_nik), ACTIVITY, OFFICE, SUBMITTED_ON)
    by_nik = eligibility(profile(regency_code="3204"), ACTIVITY, OFFICE, SUBMITTED_ON)
    neither = eligibility(
        profile(regency_code="3204", nik=away_nik), ACTIVITY, OFFICE, SUBMITTED_ON
    )
    assert check(by_address, "domicile").ok
    assert "menurut alamat" in check(by_address, "domicile").message
    assert check(by_nik, "domicile").ok
    assert "NIK dari wilayah kantor" in check(by_nik, "domicile").message
    assert not check(neither, "domicile").ok


def test_declared_preferences_are_counted_and_never_block(app_ctx):
    answers = {"owns_motorbike": False, "has_survey_experience": None}
    result = eligibility(profile(), ACTIVITY, OFFICE, SUBMITTED_ON, answers)
    preferences = [c for c in result.checks if not c.hard]
    assert [c.rule for c in preferences] == ["age", "domicile", *declarations.PREFERENCE_KEYS]
    assert (result.preferences_met, result.preferences_total) == (5, 7)
    assert check(result, "owns_motorbike").message == "Tidak memiliki sepeda motor."
    assert check(result, "has_survey_experience").message.startswith("Belum dinyatakan")
    assert result.meets_hard_rules is True
