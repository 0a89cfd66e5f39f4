"""Item statistics against values computed by hand."""

import math

import pytest

from question_bank import (
    difficulty_index,
    flag_item,
    histogram,
    kr20,
    option_choice_rates,
    point_biserial,
)
from question_bank.stats import LOW_DISCRIMINATION_RPB, TOO_EASY_P, TOO_HARD_P

# Four candidates, three 0/1 items (a Guttman pattern).
MATRIX = [
    [1, 1, 1],  # total 3
    [1, 1, 0],  # total 2
    [1, 0, 0],  # total 1
    [0, 0, 0],  # total 0
]
TOTALS = [3, 2, 1, 0]


def test_difficulty_index():
    assert difficulty_index([1, 0, 1, 1]) == 0.75
    # Weighted item worth 5: mean 4 of 5.
    assert difficulty_index([5, 3, 4], max_points=5) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="no scores"):
        difficulty_index([])


def test_point_biserial_is_corrected_for_the_item():
    # Item 1 = (1, 1, 1, 0); rest = totals - item = (2, 1, 0, 0).
    # Means .75 and .75; deviations (.25, .25, .25, -.75) and (1.25, .25, -.75, -.75).
    # Sxy = .3125 + .0625 - .1875 + .5625 = .75; Sxx = .75; Syy = 2.75.
    # r = .75 / sqrt(.75 * 2.75) = sqrt(3/11) = .5222...
    item = [row[0] for row in MATRIX]
    assert point_biserial(item, TOTALS) == pytest.approx(math.sqrt(3 / 11))
    # Uncorrected it would be higher: corr((1,1,1,0), (3,2,1,0)) = .7746.
    assert point_biserial(item, TOTALS) < 0.77


def test_point_biserial_sign_and_missing_variance():
    # The only one who got the item right has the lowest rest score: r = -1.
    assert point_biserial([1, 0], [1, 2]) == pytest.approx(-1)
    assert point_biserial([1, 1, 1], [3, 2, 1]) is None  # everyone right
    assert point_biserial([1, 0, 0], [1, 0, 0]) is None  # rest scores all 0
    assert point_biserial([1], [1]) is None


def test_kr20():
    # p = (.75, .5, .25); sum pq = .1875 + .25 + .1875 = .625.
    # Totals 3, 2, 1, 0: mean 1.5, variance (2.25 + .25 + .25 + 2.25) / 4 = 1.25.
    # KR-20 = 3/2 * (1 - .625 / 1.25) = .75.
    assert kr20(MATRIX) == pytest.approx(0.75)


def test_kr20_undefined_cases():
    assert kr20([[1, 0], [1, 0]]) is None  # equal totals
    assert kr20([[1, 0, 1]]) is None  # one candidate
    assert kr20([[1], [0]]) is None  # one item
    with pytest.raises(ValueError, match="0/1"):
        kr20([[2, 0], [1, 0]])
    with pytest.raises(ValueError, match="differ in length"):
        kr20([[1, 0], [1]])


def test_option_choice_rates_end_with_unanswered():
    # 5 candidates: A once, B twice, C once, D never, one blank.
    assert option_choice_rates([0, 1, 1, None, 2], 4) == [0.2, 0.4, 0.2, 0.0, 0.2]
    assert option_choice_rates([], 2) == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="not one of 4 options"):
        option_choice_rates([4], 4)


def test_histogram():
    # 0..10 in 5 bins of width 2; the last bin also holds 10.
    assert histogram(list(range(11)), 5, lo=0, hi=10) == [
        (0, 2, 2),
        (2, 4, 2),
        (4, 6, 2),
        (6, 8, 2),
        (8, 10, 3),
    ]
    # Range from the data: 1..3 in 2 bins -> [1, 2): 1; [2, 3]: 2, 3.
    assert histogram([1, 3, 2], 2) == [(1, 2, 1), (2, 3, 2)]
    assert histogram([4, 4], 3) == [(4, 4, 0), (4, 4, 0), (4, 4, 2)]
    assert histogram([], 3) == []
    assert histogram([], 2, lo=0, hi=4) == [(0, 2, 0), (2, 4, 0)]
    with pytest.raises(ValueError, match="outside"):
        histogram([11], 2, lo=0, hi=10)


@pytest.mark.parametrize(
    ("p", "rpb", "flags"),
    [
        (0.95, 0.3, ["too_easy"]),
        (0.1, -0.1, ["too_hard", "negative_discrimination"]),
        (0.5, 0.1, ["low_discrimination"]),
        (0.5, 0.0, ["low_discrimination"]),
        (0.5, None, []),
        (TOO_EASY_P, LOW_DISCRIMINATION_RPB, []),
        (TOO_HARD_P, 0.5, []),
    ],
)
def test_flags(p, rpb, flags):
    assert flag_item(p, rpb) == flags
