"""Loading the demo bank file."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from question_bank import (
    DEMO_BANK_PATH,
    Blueprint,
    Difficulty,
    QuestionError,
    check_coverage,
    draw_form,
    load_demo_bank,
)

FIXTURE = Path(__file__).with_name("qb_demo_fixture.json")


def test_the_fixture_loads_into_typed_objects():
    bank = load_demo_bank(FIXTURE)
    assert bank.categories == [
        ("aritmetika", "Aritmetika Dasar dan Persentase"),
        ("sikap_kerja", "Sikap Kerja"),
    ]
    assert bank.blueprint == Blueprint(
        {"aritmetika": 2, "sikap_kerja": 1}, {Difficulty.EASY: 0.5, Difficulty.MEDIUM: 0.5}
    )
    assert [q.id for q in bank.questions] == ["T-AR-001", "T-AR-002", "T-SK-001"]
    second = bank.questions[1]
    assert second.stem == "<p>Hasil <b>12 × 3</b>?</p>"
    assert second.options[-1].keep_last
    assert bank.questions[2].max_points == Decimal(3)
    assert len(draw_form(bank.questions, bank.blueprint, seed=7)) == 3


def _write(tmp_path: Path, change) -> Path:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_invalid_question_is_named(tmp_path):
    def break_question(data):
        data["questions"][1]["options"] = data["questions"][1]["options"][:1]

    with pytest.raises(QuestionError, match="T-AR-002: a question needs 2 to 6 options") as bad:
        load_demo_bank(_write(tmp_path, break_question))
    (problem,) = bad.value.problems
    assert problem.code == "option_count"
    assert problem.data["question"] == "T-AR-002"


def test_unknown_categories_are_refused(tmp_path):
    def unknown_category(data):
        data["questions"][0]["category"] = "geografi"

    with pytest.raises(ValueError, match=r"unknown categories in bank\.json: geografi"):
        load_demo_bank(_write(tmp_path, unknown_category))


def test_the_path_points_into_the_package():
    assert DEMO_BANK_PATH.name == "demo_bank.json"
    assert Path(str(DEMO_BANK_PATH)).parent.parent.name == "question_bank"


@pytest.mark.skipif(not DEMO_BANK_PATH.is_file(), reason="demo bank not written yet")
def test_the_shipped_bank_loads_and_covers_its_blueprint():
    bank = load_demo_bank()
    assert check_coverage(bank.questions, bank.blueprint) == {}
    form = draw_form(bank.questions, bank.blueprint, seed=2024)
    assert len(form) == bank.blueprint.total
