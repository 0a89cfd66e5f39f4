"""Questions: normalization, validation rules, points and the JSON form."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from question_bank import (
    Difficulty,
    DifficultyError,
    Option,
    Problem,
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
    ("changes", "code", "data", "message"),
    [
        ({"category": " "}, "category_empty", {}, "category is empty"),
        (
            {"category": "x" * 65},
            "category_too_long",
            {"max": 64},
            "category is longer than 64 characters",
        ),
        ({"stem": "<p> </p>"}, "stem_empty", {}, "stem is empty"),
        ({"stem": "<script>alert(1)</script>"}, "stem_empty", {}, "stem is empty"),
        ({"stem": "a\x01b"}, "stem_control_chars", {}, "stem contains control characters"),
        (
            {"stem": "x" * 20_001},
            "stem_too_long",
            {"max": 20_000},
            "stem is longer than 20000 characters",
        ),
        (
            {"options": (Option("4", 1),)},
            "option_count",
            {"min": 2, "max": 6, "count": 1},
            "a question needs 2 to 6 options, not 1",
        ),
        (
            {"options": tuple(Option(str(i), i) for i in range(7))},
            "option_count",
            {"min": 2, "max": 6, "count": 7},
            "not 7",
        ),
        (
            {"options": (Option("4", 1), Option("  "))},
            "option_empty",
            {"letter": "B"},
            "option B is empty",
        ),
        (
            {"options": (Option("4", 1), Option(" 4 "))},
            "option_repeated",
            {"letter": "B"},
            "option B repeats an earlier option",
        ),
        (
            {"options": (Option("4", 1), Option("x" * 1001))},
            "option_too_long",
            {"letter": "B", "max": 1000},
            "option B is longer than 1000 characters",
        ),
        (
            {"options": (Option("4", 1), Option("a\x00b"))},
            "option_control_chars",
            {"letter": "B"},
            "option B contains control characters",
        ),
        (
            {"options": (Option("4", -1), Option("5", 1))},
            "points_negative",
            {"letter": "A"},
            "option A has negative points",
        ),
        (
            {"options": (Option("4", 101), Option("5"))},
            "points_too_high",
            {"letter": "A", "max": 100},
            "option A has more than 100 points",
        ),
        (
            {"options": (Option("4", "0.125"), Option("5"))},
            "points_too_precise",
            {"letter": "A", "places": 2},
            "more than 2 decimal places",
        ),
        ({"options": (Option("4"), Option("5"))}, "no_points", {}, "no option earns points"),
        (
            {"options": (Option("4", 2), Option("5", 2))},
            "same_points",
            {},
            "every option earns the same points",
        ),
        (
            {"options": (Option("4", 1, True), Option("5", 0, True))},
            "keep_last_many",
            {},
            "only one option can be kept last",
        ),
        (
            {"options": (Option("Semua", 0, True), Option("4", 1))},
            "keep_last_not_last",
            {},
            "the option kept last must be the last option",
        ),
        (
            {"difficulty": "easy"},
            "difficulty_invalid",
            {},
            "difficulty must be easy, medium or hard",
        ),
        ({"image": "../etc/passwd"}, "image_not_plain_name", {}, "image must be a plain file name"),
        ({"image": "a\x07.png"}, "image_control_chars", {}, "image contains control characters"),
        ({"id": "a\tb"}, "id_control_chars", {}, "id contains control characters"),
        ({"id": "x" * 65}, "id_too_long", {"max": 64}, "id is longer than 64 characters"),
    ],
)
def test_validation_names_each_broken_rule(changes, code, data, message):
    problems = validate_question(_question(**changes))
    matching = [p for p in problems if p.code == code]
    assert len(matching) == 1, problems
    assert dict(matching[0].data) == data
    assert message in matching[0].message
    assert str(matching[0]) == matching[0].message


def test_a_problem_is_a_frozen_value():
    (problem,) = validate_question(_question(options=(Option("4", 1), Option(""))))
    assert problem == Problem("option_empty", "option B is empty", {"letter": "B"})
    assert hash(problem) == hash(Problem("option_empty", "option B is empty", {"letter": "B"}))
    with pytest.raises(TypeError):
        problem.data["letter"] = "C"  # type: ignore[index]


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
    assert [p.code for p in raised.value.problems] == [
        "category_empty",
        "stem_empty",
        "option_repeated",
        "no_points",
    ]
    assert [p.message for p in raised.value.problems] == [
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
    with pytest.raises(DifficultyError, match="unknown difficulty") as raised:
        parse_difficulty("very hard")
    assert raised.value.problem.code == "difficulty_unknown"
    assert dict(raised.value.problem.data) == {"value": "very hard"}


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
