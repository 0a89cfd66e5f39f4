"""Numbers for people and machines, and pydantic's messages, in Indonesian.

`core/formatting.py`: pages write "37,5", "1.234", "46" (never "46.000"),
"60 menit"; machines get "37.5". `core/validation_messages.py`: every error type
pydantic-core knows has an Indonesian text; the service's own errors keep theirs.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Literal

import pytest
from flask import Flask
from flask_babel import Babel
from jinja2 import Environment
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core.core_schema import ErrorType

from exam_service.core import validation_messages
from exam_service.core.formatting import decimal_text, minutes_text, number_text, percent_text
from exam_service.core.validation_messages import field_messages, known_types, message

# Words of pydantic's English messages that Indonesian never uses.
ENGLISH = ("input", "should", "field", "required", "valid ", "string", "must", "error")


@pytest.fixture(autouse=True)
def _indonesian() -> Iterator[None]:
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "id")
    with app.app_context():
        yield


# --- numbers for people ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("46.000"), "46"),  # a score: never "46.000"
        (Decimal("37.500"), "37,5"),
        (Decimal("0.125"), "0,125"),
        (Decimal("2.5"), "2,5"),
        (1234, "1.234"),  # thousands: a dot, as Indonesians write counts
        (Decimal("1234.5"), "1.234,5"),
        (0, "0"),
        (Decimal("-0.0001"), "0"),  # never "-0"
        (-3, "-3"),
        (0.1 + 0.2, "0,3"),
        ("27.50", "27,5"),
        (None, "-"),
        ("bukan angka", "-"),
        (float("nan"), "-"),
        (True, "-"),
    ],
)
def test_numbers_as_indonesians_read_them(value, text):
    assert number_text(value) == text


def test_fixed_places_for_statistics_and_rounding_half_up():
    assert number_text(0.5, 2) == "0,50"
    assert number_text(-0.964, 2) == "-0,96"
    assert number_text(Decimal("0.125"), 2) == "0,13"  # half up, as people round
    assert number_text(Decimal("0.005"), 2) == "0,01"
    assert number_text(Decimal("8"), 0) == "8"
    assert number_text(Decimal("1.23456")) == "1,235"  # at most three decimals by default
    assert number_text(Decimal("1.25"), max_places=1) == "1,3"


def test_percentages():
    assert percent_text(0.375) == "37,5%"
    assert percent_text(0.5) == "50%"
    assert percent_text(Decimal("0.3333")) == "33,3%"
    assert percent_text(0.996, 0) == "100%"
    assert percent_text(None) == "-"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3600, "60 menit"),
        (4500, "75 menit"),
        (600, "10 menit"),
        (90, "1 menit 30 detik"),
        (45, "45 detik"),
        (0, "0 menit"),
        (86400, "1.440 menit"),
        (None, "-"),
    ],
)
def test_durations_in_minutes(seconds, text):
    assert minutes_text(seconds) == text


def test_machines_keep_the_dot_and_no_separator():
    assert decimal_text(Decimal("27.500")) == "27.5"
    assert decimal_text(Decimal("1234.50")) == "1234.5"
    assert decimal_text(Decimal("46.000")) == "46"
    assert decimal_text(None) == "0"


def test_the_page_filters_are_the_formatter(app):
    """`views.register_template_helpers` registers them on the app's Jinja."""
    env: Environment = app.jinja_env
    template = env.from_string(
        "{{ a|number }} {{ b|number(2) }} {{ c|percent }} {{ d|minutes }} "
        "{{ a is decimal }} {{ 5 is decimal }}"
    )
    with app.app_context():
        assert template.render(a=Decimal("37.500"), b=0.5, c=0.25, d=3600) == (
            "37,5 0,50 25% 60 menit True False"
        )


# --- pydantic's messages ------------------------------------------------------------------


def test_every_error_type_of_pydantic_has_an_indonesian_text():
    assert known_types() == set(typing.get_args(ErrorType))


@pytest.mark.parametrize("kind", sorted(typing.get_args(ErrorType)))
def test_no_text_is_english_with_or_without_its_context(kind):
    context = {
        "min_length": 3, "max_length": 1000, "ge": 1, "le": 1_000_000, "gt": 0, "lt": 10,
        "multiple_of": 5, "expected": "'a', 'b' or 'c'", "pattern": "^x$",
        "error": "key must be a string at line 1 column 2", "attribute": "x",
        "decimal_places": 3, "max_digits": 8, "whole_digits": 5, "tz_expected": 25200,
        "expected_schemes": "'http' or 'https'", "expected_version": 4, "encoding": "base64",
        "discriminator": "kind", "tag": "x", "expected_tags": "'a' or 'b'",
    }  # fmt: skip
    for ctx in (context, {}):
        error = {"type": kind, "loc": ("x",), "msg": "English message", "input": None, "ctx": ctx}
        text = message(error)  # type: ignore[arg-type]
        assert "English" not in text
        assert not any(word in text.lower() for word in ENGLISH), text
        assert "%(" not in text, text
        assert "{" not in text.replace("{...}", ""), text
        assert text.endswith("."), text


class _Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=5)
    code: str = Field(min_length=3)
    count: int = Field(ge=1, le=1_000_000)
    points: Decimal = Field(ge=0, decimal_places=3)
    kind: Literal["csv", "xlsx", "qti"]
    tags: list[str] = Field(min_length=1)
    when: AwareDatetime
    born: date
    flag: bool
    shares: dict[str, float]


def _details(data: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate(data)
    return field_messages(caught.value)


def test_a_request_that_does_not_fit_gets_one_indonesian_text_per_field():
    details = _details(
        {
            "name": "",
            "code": "ab",
            "count": 0,
            "points": "1.23456",
            "kind": "doc",
            "tags": [],
            "when": "2026-11-06T08:00:00",
            "born": "kemarin",
            "flag": "mungkin",
            "shares": {"easy": "x"},
            "extra": 1,
        }
    )
    assert details == {
        "name": "Wajib diisi.",
        "code": "Paling sedikit 3 karakter.",
        "count": "Paling kecil 1.",
        "points": "Paling banyak 3 angka di belakang koma.",
        "kind": "Harus salah satu dari: `csv`, `xlsx` atau `qti`.",
        "tags": "Paling sedikit 1 butir.",
        "when": "Harus memuat zona waktu, misalnya +07:00 untuk WIB.",
        "born": "Harus berupa tanggal dengan format TTTT-BB-HH, misalnya 2026-11-06.",
        "flag": "Harus `true` atau `false`.",
        "shares.easy": "Harus berupa angka.",
        "extra": "Isian ini tidak dikenal; hapus dari permintaan.",
    }


def test_missing_wrong_types_and_limits_written_the_indonesian_way():
    required = ("name", "code", "count", "points", "kind", "tags", "when", "born", "flag", "shares")
    assert _details({}) == dict.fromkeys(required, "Wajib diisi.")
    details = _details({"name": 5, "count": "lima", "tags": "a", "shares": []})
    assert details["name"] == "Harus berupa teks."
    assert details["count"] == "Harus berupa bilangan bulat."
    assert details["tags"] == "Harus berupa daftar (larik JSON [...])."
    assert details["shares"] == "Harus berupa objek JSON ({...})."
    assert _details({"name": "panjang sekali"})["name"] == "Paling banyak 5 karakter."
    assert _details({"count": 2_000_000})["count"] == "Paling besar 1.000.000."


def test_the_whole_body_not_an_object_or_not_json():
    assert _details(["daftar"]) == {"body": "Harus berupa objek JSON ({...})."}
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate_json('{"name": ')
    assert field_messages(caught.value) == {"body": "Bukan JSON yang sah (baris 1, kolom 9)."}


def test_the_services_own_errors_keep_their_indonesian_text():
    own = {"type": "email_invalid", "loc": ("email",), "msg": "Alamat surel salah.", "input": ""}
    assert message(own) == "Alamat surel salah."  # type: ignore[arg-type]


def test_a_pydantic_type_without_its_context_still_gets_indonesian():
    """accounts.schemas re-raises errors with pydantic's type but its own context."""
    english = "String should have at least 3 characters"
    error = {"type": "string_too_short", "loc": ("x",), "msg": english, "input": ""}
    error["ctx"] = {"reason": english}
    assert message(error) == "Terlalu pendek."  # type: ignore[arg-type]


def test_a_type_a_future_pydantic_adds_is_said_generically(monkeypatch, caplog):
    monkeypatch.setattr(
        validation_messages, "PYDANTIC_TYPES", validation_messages.PYDANTIC_TYPES | {"new_type"}
    )
    error = {"type": "new_type", "loc": ("x",), "msg": "Brand new English", "input": ""}
    assert message(error) == "Nilai tidak valid."  # type: ignore[arg-type]
    assert "no Indonesian text for pydantic error type new_type" in caplog.text
