"""Questions: normalization, validation rules, points and the JSON form."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from question_bank import (
    Difficulty,
    Option,
    Question,
    QuestionError,
    make_question,
    parse_difficulty,
    question_from_dict,
    question_to_dict,
    to_points,
    validate_question,
)


def _question(**changes) -> Question:
    fields = {
        "category": "aritmetika",
        "difficulty": Difficulty.EASY,
        "stem": "Berapa 2 + 2?",
        "options": (Option("3"), Option("4", 1), Option("5")),
    }
    fields.update(changes)
    return Question(**fields)


def test_a_valid_question_has_no_problems():
    assert validate_question(_question()) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"category": " "}, "category is empty"),
        ({"category": "x" * 65}, "category is longer than 64 characters"),
        ({"stem": "<p> </p>"}, "stem is empty"),
        ({"stem": "<script>alert(1)</script>"}, "stem is empty"),
        ({"stem": "a\x01b"}, "stem contains control characters"),
        ({"options": (Option("4", 1),)}, "a question needs 2 to 6 options, not 1"),
        ({"options": tuple(Option(str(i), i) for i in range(7))}, "not 7"),
        ({"options": (Option("4", 1), Option("  "))}, "option B is empty"),
        ({"options": (Option("4", 1), Option(" 4 "))}, "option B repeats an earlier option"),
        ({"options": (Option("4", -1), Option("5", 1))}, "option A has negative points"),
        ({"options": (Option("4", 101), Option("5"))}, "option A has more than 100 points"),
        ({"options": (Option("4", "0.125"), Option("5"))}, "more than 2 decimal places"),
        ({"options": (Option("4"), Option("5"))}, "no option earns points"),
        ({"options": (Option("4", 2), Option("5", 2))}, "every option earns the same points"),
        (
            {"options": (Option("4", 1, True), Option("5", 0, True))},
            "only one option can be kept last",
        ),
        (
            {"options": (Option("Semua", 0, True), Option("4", 1))},
            "the option kept last must be the last option",
        ),
        ({"difficulty": "easy"}, "difficulty must be easy, medium or hard"),
        ({"image": "../etc/passwd"}, "image must be a plain file name"),
        ({"id": "a\tb"}, "id contains control characters"),
    ],
)
def test_validation_names_each_broken_rule(changes, problem):
    problems = validate_question(_question(**changes))
    assert any(problem in p for p in problems), problems


def test_case_matters_when_options_are_compared():
    # Spelling questions contrast "Kabupaten" with "kabupaten".
    question = _question(options=(Option("Kabupaten", 1), Option("kabupaten")))
    assert validate_question(question) == []


def test_make_question_normalizes_and_validates():
    question = make_question(
        category=" aritmetika ",
        difficulty=Difficulty.HARD,
        stem="<p onclick='x()'>Hitung\r\n<b>ini</b></p><img src=x onerror=alert(1)>",
        options=[Option("  dua\n puluh "), Option("tiga", "1.50")],
        image=" ",
        id=" Q-1 ",
    )
    assert question == Question(
        category="aritmetika",
        difficulty=Difficulty.HARD,
        stem="<p>Hitung\n<b>ini</b></p>",
        options=(Option("dua puluh"), Option("tiga", Decimal("1.5"))),
        image=None,
        id="Q-1",
    )


def test_make_question_raises_with_every_problem():
    with pytest.raises(QuestionError) as raised:
        make_question(
            category="",
            difficulty=Difficulty.EASY,
            stem="",
            options=[Option("a"), Option("a")],
        )
    assert raised.value.problems == [
        "category is empty",
        "stem is empty",
        "option B repeats an earlier option",
        "no option earns points",
    ]
    assert "category is empty; stem is empty" in str(raised.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "1"), ("1.50", "1.5"), ("10", "10"), ("1E+1", "10"), (0.1, "0.1"), ("-0", "0")],
)
def test_points_are_exact_canonical_decimals(value, expected):
    assert str(to_points(value)) == expected
    assert str(Option("x", value).points) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", True, ""])
def test_points_must_be_finite_numbers(value):
    with pytest.raises(ValueError, match="not a number"):
        to_points(value)


def test_difficulty_accepts_indonesian_and_any_case():
    assert parse_difficulty(" Mudah ") is Difficulty.EASY
    assert parse_difficulty("SEDANG") is Difficulty.MEDIUM
    assert parse_difficulty("sukar") is Difficulty.HARD
    assert parse_difficulty("Hard") is Difficulty.HARD
    with pytest.raises(ValueError, match="unknown difficulty"):
        parse_difficulty("very hard")


def test_properties_of_a_single_key_question():
    question = _question()
    assert question.max_points == 1
    assert not question.is_weighted
    assert question.key_index == 1


@pytest.mark.parametrize(
    "points",
    [(1, 2, 3, 4, 5), (0, 2, 0, 0, 0), (1, 1, 0, 0, 0), (0, "0.5", 0, 0, 0)],
)
def test_properties_of_weighted_questions(points):
    question = _question(options=tuple(Option(str(i), p) for i, p in enumerate(points)))
    assert question.is_weighted
    assert question.key_index is None
    assert question.max_points == max(Decimal(str(p)) for p in points)


def test_json_form_round_trips_with_decimal_strings():
    question = make_question(
        category="sikap_kerja",
        difficulty=Difficulty.MEDIUM,
        stem="Sikap Anda?",
        options=[Option("a", 1), Option("b", "2.5"), Option("Semua", 3, keep_last=True)],
        image="grafik.png",
        id="SK-1",
    )
    data = question_to_dict(question)
    assert data["options"][1] == {"text": "b", "points": "2.5", "keep_last": False}
    assert question_from_dict(data) == question


def test_importing_the_library_loads_neither_flask_nor_the_service():
    code = (
        "import sys, question_bank\n"
        "bad = [m for m in ('flask', 'sqlalchemy', 'exam_service') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    repository = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repository)
