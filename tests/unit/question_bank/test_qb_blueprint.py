"""Blueprints, apportionment and drawing forms."""

from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from question_bank import (
    BankTooSmall,
    Blueprint,
    BlueprintError,
    Difficulty,
    Option,
    Question,
    apportion,
    available_per_category,
    check_coverage,
    difficulty_quotas,
    draw_form,
)

EASY, MEDIUM, HARD = Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD
MIX_30_50_20 = {EASY: 0.3, MEDIUM: 0.5, HARD: 0.2}


def _question(category: str, difficulty: Difficulty, number: int, options: int = 4) -> Question:
    keep_last = number % 3 == 0
    return Question(
        category=category,
        difficulty=difficulty,
        stem=f"Soal {number}",
        options=tuple(
            Option(f"pilihan {i}", 1 if i == 0 else 0, keep_last=keep_last and i == options - 1)
            for i in range(options)
        ),
        id=f"{category}-{difficulty}-{number}",
    )


def _bank(supply: dict[tuple[str, Difficulty], int]) -> list[Question]:
    return [
        _question(category, difficulty, n, options=2 + n % 5)
        for (category, difficulty), count in supply.items()
        for n in range(count)
    ]


# ---------------------------------------------------------------- blueprint


def test_blueprint_json_round_trip_and_total():
    data = {
        "categories": {"a": 8, "b": 4},
        "difficulty_mix": {"easy": 0.3, "medium": 0.5, "hard": 0.2},
    }
    blueprint = Blueprint.from_dict(data)
    assert blueprint.total == 12
    assert blueprint.difficulty_mix == {
        EASY: Fraction(3, 10),
        MEDIUM: Fraction(1, 2),
        HARD: Fraction(1, 5),
    }
    assert blueprint.to_dict() == data
    assert Blueprint.from_dict(blueprint.to_dict()) == blueprint


def test_blueprint_without_mix():
    blueprint = Blueprint.from_dict({"categories": {"a": 3}, "difficulty_mix": None})
    assert blueprint.difficulty_mix is None
    assert blueprint.to_dict() == {"categories": {"a": 3}, "difficulty_mix": None}


def test_thirds_given_as_floats_are_accepted():
    third = 1 / 3
    assert Blueprint({"a": 3}, {EASY: third, MEDIUM: third, HARD: third}).total == 3


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({"categories": {}}, "no_categories", "at least one category"),
        ({"categories": {"a": 0}}, "bad_count", "positive whole number"),
        ({"categories": {"a": 2.5}}, "bad_count", "positive whole number"),
        ({"categories": {"a": True}}, "bad_count", "positive whole number"),
        ({"categories": {"": 2}}, "bad_category", "non-empty"),
        ({"categories": {" a": 2}}, "bad_category", "surrounding spaces"),
        ({"categories": {"a" * 65: 2}}, "bad_category", "at most 64"),
        ({"categories": {"a": 2}, "pages": 3}, "unknown_keys", "only"),
        ({"categories": {"a": 2}, "difficulty_mix": {"easy": 0.5, "hard": 0.4}}, "mix_sum", "1"),
        ({"categories": {"a": 2}, "difficulty_mix": {"easy": 1.5, "hard": -0.5}}, "mix_sum", "neg"),
        ({"categories": {"a": 2}, "difficulty_mix": {"tricky": 1}}, "bad_mix", "easy, medium"),
        ({"categories": {"a": 2}, "difficulty_mix": {}}, "bad_mix", "easy, medium"),
        ({"categories": {"a": 2}, "difficulty_mix": {"easy": "1"}}, "bad_share", "a number"),
        ({"categories": {"a": 2}, "difficulty_mix": {"easy": float("nan")}}, "bad_share", "a num"),
        ({"categories": {"a": 2}, "difficulty_mix": [1]}, "bad_mix", "object or null"),
        ({"categories": [1]}, "no_categories", '"categories" object'),
        ([1], "unknown_keys", "only"),
    ],
)
def test_invalid_blueprints_are_refused_with_the_broken_rule(data, code, message):
    with pytest.raises(BlueprintError, match=message) as refused:
        Blueprint.from_dict(data)
    assert refused.value.code == code


# ---------------------------------------------------------------- apportionment


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        # 8 x (.3, .5, .2) = 2.4, 4.0, 1.6: floors 2, 4, 1; the one seat left goes to
        # the largest remainder, hard (.6).
        (8, {EASY: 2, MEDIUM: 4, HARD: 2}),
        # 5 x ... = 1.5, 2.5, 1.0: floors 1, 2, 1; easy and medium tie at .5, the larger
        # share (medium) wins.
        (5, {EASY: 1, MEDIUM: 3, HARD: 1}),
        # 4 x ... = 1.2, 2.0, 0.8: floors 1, 2, 0; hard has the largest remainder.
        (4, {EASY: 1, MEDIUM: 2, HARD: 1}),
        (30, {EASY: 9, MEDIUM: 15, HARD: 6}),
        (0, {EASY: 0, MEDIUM: 0, HARD: 0}),
    ],
)
def test_apportion_by_hand(total, expected):
    mix = {EASY: Fraction(3, 10), MEDIUM: Fraction(1, 2), HARD: Fraction(1, 5)}
    assert apportion(total, mix) == expected


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 50),
    st.lists(st.integers(0, 10), min_size=1, max_size=5).filter(any),
)
def test_apportion_is_within_one_seat_of_the_exact_share(total, raw_weights):
    weights = {f"k{i}": Fraction(w) for i, w in enumerate(raw_weights)}
    seats = apportion(total, weights)
    assert sum(seats.values()) == total
    weight_sum = sum(weights.values())
    for key, weight in weights.items():
        assert abs(seats[key] - total * weight / weight_sum) < 1


def test_quotas_move_a_shortfall_to_other_difficulties():
    mix = {EASY: Fraction(3, 10), MEDIUM: Fraction(1, 2), HARD: Fraction(1, 5)}
    # No hard items: 5 over easy .3 / medium .5 = 1.875 / 3.125 -> 1, 3 and the seat
    # left goes to easy (.875).
    assert difficulty_quotas(5, mix, {EASY: 9, MEDIUM: 9}) == {EASY: 2, MEDIUM: 3, HARD: 0}
    # One medium item: it gives 1; 4 over easy .3 / hard .2 = 2.4 / 1.6 -> 2, 1 and the
    # seat left goes to hard (.6).
    assert difficulty_quotas(5, mix, {EASY: 9, MEDIUM: 1, HARD: 9}) == {
        EASY: 2,
        MEDIUM: 1,
        HARD: 2,
    }
    # Only easy wanted but one easy item: the rest is spread evenly over the others.
    assert difficulty_quotas(3, {EASY: Fraction(1)}, {EASY: 1, MEDIUM: 5, HARD: 5}) == {
        EASY: 1,
        MEDIUM: 1,
        HARD: 1,
    }


def test_quotas_never_exceed_what_is_available():
    mix = {EASY: Fraction(1, 3), MEDIUM: Fraction(1, 3), HARD: Fraction(1, 3)}
    assert difficulty_quotas(9, mix, {EASY: 1, MEDIUM: 2}) == {EASY: 1, MEDIUM: 2, HARD: 0}


# ---------------------------------------------------------------- coverage


def test_coverage_and_bank_too_small():
    bank = _bank({("a", EASY): 3, ("b", EASY): 1})
    blueprint = Blueprint({"a": 2, "b": 4, "c": 1})
    assert available_per_category(bank) == {"a": 3, "b": 1}
    assert check_coverage(bank, blueprint) == {"b": 3, "c": 1}
    with pytest.raises(BankTooSmall) as raised:
        draw_form(bank, blueprint, seed=1)
    assert raised.value.missing == {"b": 3, "c": 1}
    assert str(raised.value) == (
        "the bank is too small: b needs 3 more questions, c needs 1 more question"
    )
    assert check_coverage(bank, Blueprint({"a": 3, "b": 1})) == {}


def test_draw_needs_unique_ids():
    question = _question("a", EASY, 1)
    with pytest.raises(ValueError, match="not unique"):
        draw_form([question, question], Blueprint({"a": 1}), seed=1)
    with pytest.raises(ValueError, match="needs an id"):
        draw_form([Question("a", EASY, "s", question.options)], Blueprint({"a": 1}), seed=1)


# ---------------------------------------------------------------- drawing

CATEGORIES = ("a", "b", "c")
MIXES = (
    None,
    MIX_30_50_20,
    {EASY: 1.0},
    {EASY: 0.5, HARD: 0.5},
    {EASY: Fraction(1, 3), MEDIUM: Fraction(1, 3), HARD: Fraction(1, 3)},
)


@st.composite
def banks_and_blueprints(draw):
    supply = {
        (category, difficulty): draw(st.integers(0, 6))
        for category in CATEGORIES
        for difficulty in Difficulty
    }
    available = Counter()
    for (category, _), count in supply.items():
        available[category] += count
    used = [c for c in draw(st.permutations(CATEGORIES)) if available[c] > 0]
    assume(used)
    chosen = used[: draw(st.integers(1, len(used)))]
    counts = {c: draw(st.integers(1, available[c])) for c in chosen}
    blueprint = Blueprint(counts, draw(st.sampled_from(MIXES)))
    return _bank(supply), blueprint


def _by_id(bank):
    return {q.id: q for q in bank}


def _shape(form, bank):
    questions = _by_id(bank)
    drawn = [questions[item.question_id] for item in form]
    return Counter((q.category, q.difficulty) for q in drawn)


@settings(max_examples=100, deadline=None)
@given(banks_and_blueprints(), st.integers(0, 2**32))
def test_form_follows_the_blueprint(bank_and_blueprint, seed):
    bank, blueprint = bank_and_blueprint
    form = draw_form(bank, blueprint, seed)
    questions = _by_id(bank)
    ids = [item.question_id for item in form]
    assert len(ids) == len(set(ids)) == blueprint.total
    categories = [questions[i].category for i in ids]
    assert Counter(categories) == Counter(blueprint.categories)
    # Categories appear in blueprint order, each as one run.
    assert list(dict.fromkeys(categories)) == list(blueprint.categories)
    for item in form:
        options = questions[item.question_id].options
        assert sorted(item.option_order) == list(range(len(options)))
        kept = [i for i, option in enumerate(options) if option.keep_last]
        if kept:
            assert item.option_order[-1] == kept[0]


@settings(max_examples=100, deadline=None)
@given(banks_and_blueprints(), st.integers(0, 2**32))
def test_same_seed_same_form_whatever_the_bank_order(bank_and_blueprint, seed):
    bank, blueprint = bank_and_blueprint
    form = draw_form(bank, blueprint, seed)
    assert draw_form(bank, blueprint, seed) == form
    assert draw_form(list(reversed(bank)), blueprint, seed) == form


@settings(max_examples=100, deadline=None)
@given(banks_and_blueprints(), st.integers(0, 2**32), st.integers(0, 2**32))
def test_every_form_has_the_planned_shape(bank_and_blueprint, seed, other_seed):
    bank, blueprint = bank_and_blueprint
    assume(blueprint.difficulty_mix is not None)
    shape = _shape(draw_form(bank, blueprint, seed), bank)
    assert _shape(draw_form(bank, blueprint, other_seed), bank) == shape
    supply = Counter((q.category, q.difficulty) for q in bank)
    for category, count in blueprint.categories.items():
        available = {d: supply[category, d] for d in Difficulty}
        quotas = difficulty_quotas(count, blueprint.difficulty_mix, available)
        assert {d: shape[category, d] for d in Difficulty} == quotas
        ideal = apportion(count, {d: blueprint.difficulty_mix.get(d, 0) for d in Difficulty})
        if all(available[d] >= ideal[d] for d in Difficulty):
            assert quotas == ideal


def test_different_seeds_give_different_forms():
    bank = _bank({(c, d): 8 for c in CATEGORIES for d in Difficulty})
    blueprint = Blueprint({"a": 5, "b": 4, "c": 3}, MIX_30_50_20)
    forms = {draw_form(bank, blueprint, seed) for seed in range(20)}
    assert len(forms) == 20


def test_order_within_a_category_is_not_by_difficulty():
    bank = _bank({("a", d): 10 for d in Difficulty})
    blueprint = Blueprint({"a": 10}, MIX_30_50_20)
    questions = _by_id(bank)
    orders = {
        tuple(questions[i.question_id].difficulty for i in draw_form(bank, blueprint, seed))
        for seed in range(10)
    }
    assert len(orders) > 1


@settings(max_examples=100, deadline=None)
@given(banks_and_blueprints(), st.integers(0, 2**32), st.data())
def test_least_shown_items_are_preferred(bank_and_blueprint, seed, data):
    bank, blueprint = bank_and_blueprint
    exposure = {q.id: data.draw(st.integers(0, 3)) for q in bank}
    form = draw_form(bank, blueprint, seed, exposure)
    chosen = {item.question_id for item in form}
    # Within each pool the draw takes from (category, difficulty or the whole category
    # without a mix), no unchosen item was shown less than a chosen one.
    for category in blueprint.categories:
        pools = Difficulty if blueprint.difficulty_mix is not None else [None]
        for difficulty in pools:
            pool = [
                q for q in bank if q.category == category and difficulty in (None, q.difficulty)
            ]
            taken = [exposure[q.id] for q in pool if q.id in chosen]
            left = [exposure[q.id] for q in pool if q.id not in chosen]
            if taken and left:
                assert max(taken) <= min(left)


def test_exposure_picks_unshown_items_at_random():
    bank = _bank({("a", EASY): 10})
    exposure = {q.id: 5 for q in bank}
    fresh = [q.id for q in bank[:4]]
    exposure.update(dict.fromkeys(fresh, 0))
    picks = set()
    for seed in range(30):
        form = draw_form(bank, Blueprint({"a": 2}), seed, exposure)
        ids = {item.question_id for item in form}
        assert ids <= set(fresh)
        picks |= ids
    assert picks == set(fresh)
