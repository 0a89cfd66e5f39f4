"""The bank's problems in Indonesian: every code has a text, none shows the English."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_babel import Babel

from exam_service.core.bank_problems import known_codes, problem_text, problems_text
from question_bank import Difficulty, Option, Problem, validate_question
from question_bank import Question as LibraryQuestion
from question_bank.problems import CODES

GENERIC = "Ada aturan bank soal yang belum terpenuhi."
NUMBERS = {"max", "min", "count", "places", "megabytes", "line", "item", "position"}
# Data a text may leave out: the parser's English detail, the line the report shows
# in its own column, the number of questions that are also listed.
UNSAID = {("csv_unreadable", "detail"), ("qti_xml_dtd", "line"), ("qti_xml_malformed", "line")}
UNSAID |= {("aiken_weighted", "count")}


@pytest.fixture(autouse=True)
def _indonesian() -> Iterator[None]:
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "id")
    with app.app_context():
        yield


def _sample(code: str) -> Problem:
    data = {key: 1000 if key in NUMBERS else f"<{key}>" for key in CODES[code]}
    return Problem(code, f"English developer message for {code}", data)


def test_every_code_of_the_library_has_an_indonesian_text():
    assert known_codes() == set(CODES)


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_text_uses_its_data_and_never_the_english_message(code):
    problem = _sample(code)

    text = problem_text(problem)

    assert text != GENERIC
    assert "English" not in text
    assert "%(" not in text
    assert text[0].isupper() or text[0] in "<%" or text.startswith("points-max"), text
    assert text.endswith("."), text
    for key, value in problem.data.items():
        if (code, key) not in UNSAID:
            said = value.lower() if isinstance(value, str) else "1"
            assert said in text.lower(), (key, text)


@pytest.mark.parametrize(
    ("code", "data", "text"),
    [
        ("stem_empty", {}, "Teks soal kosong."),
        ("option_empty", {"letter": "B"}, "Pilihan B kosong."),
        ("option_repeated", {"letter": "C"}, "Pilihan C sama dengan pilihan sebelumnya."),
        ("no_points", {}, "Belum ada pilihan yang bernilai poin."),
        ("same_points", {}, "Semua pilihan bernilai poin sama."),
        ("keep_last_many", {}, "Hanya satu pilihan yang boleh selalu terakhir."),
        ("keep_last_not_last", {}, "Pilihan yang selalu terakhir harus pilihan paling akhir."),
        ("option_too_long", {"letter": "A", "max": 1000}, "Pilihan A lebih dari 1.000 karakter."),
        ("stem_control_chars", {}, "Teks soal berisi karakter kontrol."),
        ("option_control_chars", {"letter": "D"}, "Pilihan D berisi karakter kontrol."),
        ("option_count", {"min": 2, "max": 6, "count": 1}, "Soal harus memiliki 2 sampai 6 "
         "pilihan, bukan 1."),
        ("gift_weight_range", {}, "Bobot jawaban harus antara 0% dan 100%."),
        ("missing_columns", {"columns": "option_b"}, "Kolom wajib tidak ada: option_b."),
    ],
)  # fmt: skip
def test_texts_read_as_natural_indonesian(code, data, text):
    assert problem_text(Problem(code, "english", data)) == text


def test_the_rules_of_a_broken_question_all_read_in_indonesian():
    question = LibraryQuestion(
        category="hitung",
        difficulty=Difficulty.EASY,
        stem="",
        options=(Option("Semua", keep_last=True), Option("a"), Option(" a ")),
    )

    problems = validate_question(question)

    assert problems_text(problems) == (
        "Teks soal kosong. Pilihan C sama dengan pilihan sebelumnya. "
        "Belum ada pilihan yang bernilai poin. "
        "Pilihan yang selalu terakhir harus pilihan paling akhir."
    )


def test_an_unknown_code_or_missing_data_falls_back_to_indonesian_not_english():
    unknown = SimpleNamespace(code="brand_new_rule", message="a brand new rule broke", data={})
    lacking = Problem("option_empty", "option ? is empty", {})

    assert problem_text(unknown) == GENERIC  # type: ignore[arg-type]
    assert problem_text(lacking) == GENERIC
    assert problems_text([]) == GENERIC


def test_the_library_refuses_a_code_outside_its_vocabulary():
    with pytest.raises(ValueError, match="unknown problem code"):
        Problem("brand_new_rule", "a brand new rule broke")
