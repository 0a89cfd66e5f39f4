"""Scoring sheets: plain keys, weighted options and faulty items."""

from decimal import Decimal

import pytest

from question_bank import CategoryScore, Difficulty, FaultyRule, Option, Question, score_sheet

KEYED = Question(
    "aritmetika",
    Difficulty.EASY,
    "2 + 2?",
    (Option("3"), Option("4", 1), Option("5")),
    id="AR-1",
)
KEYED_2 = Question(
    "aritmetika",
    Difficulty.HARD,
    "10% dari 50?",
    (Option("5", 1), Option("10"), Option("0,5")),
    id="AR-2",
)
WEIGHTED = Question(
    "sikap_kerja",
    Difficulty.MEDIUM,
    "Responden menolak?",
    tuple(Option(f"sikap {p}", p) for p in (3, 5, 1, "2.5", 4)),
    id="SK-1",
)
ITEMS = [KEYED, KEYED_2, WEIGHTED]


def test_keys_and_weighted_options():
    # AR-1 right (1), AR-2 wrong (0), SK-1 option 3 earns 2.5 of 5.
    score = score_sheet(ITEMS, [1, 2, 3])
    assert score.total == Decimal("3.5")
    assert score.maximum == Decimal(7)
    assert score.by_category == {
        "aritmetika": CategoryScore(Decimal(1), Decimal(2)),
        "sikap_kerja": CategoryScore(Decimal("2.5"), Decimal(5)),
    }


def test_unanswered_items_earn_nothing():
    score = score_sheet(ITEMS, [None, None, None])
    assert (score.total, score.maximum) == (0, 7)


def test_full_credit_gives_every_chosen_option_the_maximum():
    faulty = {"AR-2": FaultyRule.FULL_CREDIT, "SK-1": FaultyRule.FULL_CREDIT}
    # AR-1 right (1), AR-2 wrong but full credit (1), SK-1 option 2 (1 point) raised to 5.
    score = score_sheet(ITEMS, [1, 1, 2], faulty)
    assert (score.total, score.maximum) == (7, 7)
    # Unanswered stays at 0 even for a full-credit item.
    assert score_sheet(ITEMS, [1, None, 2], faulty).total == 6


def test_dropped_items_leave_score_and_maximum():
    score = score_sheet(ITEMS, [1, 0, 1], {"AR-2": FaultyRule.DROP})
    # AR-1 1 of 1; AR-2 dropped although answered right; SK-1 5 of 5.
    assert (score.total, score.maximum) == (6, 6)
    assert score.by_category["aritmetika"] == CategoryScore(Decimal(1), Decimal(1))


def test_rules_may_come_as_plain_strings():
    score = score_sheet(ITEMS, [1, 0, 1], {"SK-1": "drop"})
    assert score.by_category["sikap_kerja"] == CategoryScore(Decimal(0), Decimal(0))
    assert (score.total, score.maximum) == (2, 2)


def test_bad_sheets_are_refused():
    with pytest.raises(ValueError, match="3 items but 2 choices"):
        score_sheet(ITEMS, [1, 2])
    with pytest.raises(ValueError, match="choice 3 is not an option"):
        score_sheet(ITEMS, [3, None, None])
