"""Test blueprints and drawing a candidate's form from the bank.

A blueprint says how many questions each category contributes and, optionally,
the share of each difficulty. `draw_form` turns a blueprint, the bank and a
per-attempt seed into a form: which questions, in which order, with which
option order. The same inputs always give the same form, so an attempt's form
can be reproduced from its seed.

How a form is drawn:

1. Each category's count is split over difficulties by largest-remainder
   apportionment of the mix (8 items at 30/50/20 -> 2/4/2). When a difficulty
   has too few items, it gives all it has and the rest is apportioned again
   over the other difficulties. The split depends only on the bank and the
   blueprint, never on the seed, so every candidate gets a form of the same
   shape.
2. Within a category and difficulty, the least shown items (by `exposure`)
   are preferred; ties are broken at random.
3. The form lists categories in blueprint order, with the questions of a
   category in random order, so a form reads topic by topic while position
   says nothing about difficulty.
4. Options are shuffled, except a `keep_last` option, which stays last.

All randomness comes from one `random.Random(seed)`; pools are sorted by
question id first, so the order in which a database returns the bank does not
matter.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeVar

from .model import MAX_NAME_CHARS, Difficulty, Question
from .problems import Problem

# Float mixes such as 0.3 + 0.5 + 0.2 are read through their decimal repr;
# thirds written as floats still need a little tolerance.
_MIX_TOLERANCE = Fraction(1, 10**9)

K = TypeVar("K")


class BlueprintError(ValueError):
    """A blueprint that cannot be used: the one home of the blueprint's rules.

    Its `problem` says which rule broke (`Problem.code`) and about what (`data`:
    a category), like every refusal of the library, so a service can say it in
    its users' language; the message is for developers.
    """

    def __init__(self, code: str, message: str, **data: str) -> None:
        super().__init__(message)
        self.problem = Problem(code, message, data)

    @property
    def code(self) -> str:
        return self.problem.code


_KEYS = frozenset({"categories", "difficulty_mix"})


@dataclass(frozen=True)
class Blueprint:
    """Questions per category (in form order) and an optional difficulty mix."""

    categories: Mapping[str, int]
    difficulty_mix: Mapping[Difficulty, Fraction | float] | None = None

    def __post_init__(self) -> None:
        categories = dict(self.categories)
        if not categories:
            raise BlueprintError("no_categories", "a blueprint needs at least one category")
        for category, count in categories.items():
            if not _is_category_name(category):
                raise BlueprintError(
                    "bad_category",
                    f"category names are non-empty text of at most {MAX_NAME_CHARS} characters"
                    " without surrounding spaces",
                    category=str(category)[:MAX_NAME_CHARS],
                )
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise BlueprintError(
                    "bad_count",
                    f"{category}: the count must be a positive whole number",
                    category=category,
                )
        object.__setattr__(self, "categories", MappingProxyType(categories))
        if self.difficulty_mix is not None:
            mix = _read_mix(self.difficulty_mix)
            object.__setattr__(self, "difficulty_mix", MappingProxyType(mix))

    @property
    def total(self) -> int:
        return sum(self.categories.values())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Blueprint:
        """Read the JSON form written by `to_dict`; raises BlueprintError."""
        if not isinstance(data, Mapping) or set(data) - _KEYS:
            raise BlueprintError(
                "unknown_keys", 'a blueprint has only "categories" and "difficulty_mix"'
            )
        if not isinstance(data.get("categories"), Mapping):
            raise BlueprintError("no_categories", 'a blueprint needs a "categories" object')
        raw_mix = data.get("difficulty_mix")
        if raw_mix is not None and not isinstance(raw_mix, Mapping):
            raise BlueprintError("bad_mix", '"difficulty_mix" must be an object or null')
        mix = None
        if raw_mix is not None:
            try:
                mix = {Difficulty(name): share for name, share in raw_mix.items()}
            except ValueError:
                raise _unknown_difficulty() from None
        return cls(dict(data["categories"]), mix)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: {"categories": {...}, "difficulty_mix": {"easy": 0.3, ...} | None}."""
        mix = self.difficulty_mix
        return {
            "categories": dict(self.categories),
            "difficulty_mix": None if mix is None else {d.value: float(mix[d]) for d in mix},
        }


def _is_category_name(name: Any) -> bool:
    return isinstance(name, str) and 0 < len(name.strip()) == len(name) <= MAX_NAME_CHARS


def _unknown_difficulty() -> BlueprintError:
    return BlueprintError("bad_mix", "difficulty_mix keys are easy, medium and hard")


def _read_mix(raw: Mapping[Difficulty, Fraction | float]) -> dict[Difficulty, Fraction]:
    if not raw:
        raise _unknown_difficulty()
    mix = {}
    for difficulty, share in raw.items():
        if not isinstance(difficulty, Difficulty):
            raise _unknown_difficulty()
        if (
            isinstance(share, bool)
            or not isinstance(share, int | float | Fraction)
            or (isinstance(share, float) and not math.isfinite(share))
        ):
            raise BlueprintError("bad_share", f"{difficulty}: the share must be a number")
        fraction = Fraction(str(share)) if isinstance(share, float) else Fraction(share)
        if fraction < 0:
            raise BlueprintError("mix_sum", f"{difficulty}: the share cannot be negative")
        mix[difficulty] = fraction
    if abs(sum(mix.values()) - 1) > _MIX_TOLERANCE:
        raise BlueprintError("mix_sum", "the difficulty shares must add up to 1")
    return mix


@dataclass(frozen=True)
class FormItem:
    """One question of a form and its options' order (indices into `options`)."""

    question_id: str
    option_order: tuple[int, ...]


class BankTooSmall(ValueError):
    """The bank lacks questions; `missing` maps each short category to how many."""

    def __init__(self, missing: Mapping[str, int]) -> None:
        self.missing = dict(missing)
        parts = [
            f"{category} needs {count} more question{'s' if count != 1 else ''}"
            for category, count in self.missing.items()
        ]
        super().__init__("the bank is too small: " + ", ".join(parts))


def available_per_category(bank: Sequence[Question]) -> dict[str, int]:
    """How many questions the bank holds per category."""
    return dict(Counter(question.category for question in bank))


def check_coverage(bank: Sequence[Question], blueprint: Blueprint) -> dict[str, int]:
    """Questions missing per category for `blueprint` (empty when the bank suffices)."""
    available = available_per_category(bank)
    return {
        category: needed - available.get(category, 0)
        for category, needed in blueprint.categories.items()
        if available.get(category, 0) < needed
    }


def apportion(total: int, weights: Mapping[K, Fraction]) -> dict[K, int]:
    """Split `total` over `weights` by largest remainder (Hamilton's method).

    Equal remainders go to the larger weight, then to the key listed first.
    Weights must not all be zero.
    """
    weight_sum = sum(weights.values())
    exact = {key: total * weight / weight_sum for key, weight in weights.items()}
    seats = {key: math.floor(share) for key, share in exact.items()}
    position = {key: i for i, key in enumerate(weights)}
    by_remainder = sorted(
        weights, key=lambda key: (seats[key] - exact[key], -weights[key], position[key])
    )
    for key in by_remainder[: total - sum(seats.values())]:
        seats[key] += 1
    return seats


def difficulty_quotas(
    count: int, mix: Mapping[Difficulty, Fraction], available: Mapping[Difficulty, int]
) -> dict[Difficulty, int]:
    """How many items of each difficulty a category contributes.

    The apportionment of `count` over `mix`, except that a difficulty never
    gives more than it has: its shortfall is apportioned again over the other
    difficulties (in proportion to their shares, or evenly when those are all
    zero). The quotas sum to `count` whenever the category has enough items.
    """
    quotas = dict.fromkeys(Difficulty, 0)
    open_shares = {difficulty: Fraction(mix.get(difficulty, 0)) for difficulty in Difficulty}
    remaining = count
    while remaining > 0 and open_shares:
        weights = open_shares
        if not any(weights.values()):
            weights = dict.fromkeys(open_shares, Fraction(1))
        seats = apportion(remaining, weights)
        short = [d for d, n in seats.items() if n > available.get(d, 0)]
        if not short:
            quotas.update(seats)
            break
        for difficulty in short:
            quotas[difficulty] = available.get(difficulty, 0)
            remaining -= quotas[difficulty]
            del open_shares[difficulty]
    return quotas


def draw_form(
    bank: Sequence[Question],
    blueprint: Blueprint,
    seed: int,
    exposure: Mapping[str, int] | None = None,
) -> tuple[FormItem, ...]:
    """Draw one candidate's form; see the module docstring for the rules.

    Every question of the bank needs a unique id. `exposure` maps question ids
    to how often they were shown (missing ids count as 0). Raises BankTooSmall
    when a category has fewer questions than the blueprint needs.
    """
    _check_ids(bank)
    missing = check_coverage(bank, blueprint)
    if missing:
        raise BankTooSmall(missing)
    rng = random.Random(seed)  # noqa: S311 (reproducible draws, not secrets)
    shown = exposure or {}
    form: list[FormItem] = []
    for category, count in blueprint.categories.items():
        pool = sorted((q for q in bank if q.category == category), key=_question_id)
        chosen = _choose(pool, count, blueprint.difficulty_mix, rng, shown)
        rng.shuffle(chosen)
        form.extend(FormItem(_question_id(q), _option_order(q, rng)) for q in chosen)
    return tuple(form)


def _check_ids(bank: Sequence[Question]) -> None:
    ids = [question.id for question in bank]
    if None in ids:
        raise ValueError("every question of the bank needs an id to be drawn")
    duplicates = sorted(str(i) for i, n in Counter(ids).items() if n > 1)
    if duplicates:
        raise ValueError(f"question ids are not unique: {', '.join(duplicates)}")


def _question_id(question: Question) -> str:
    assert question.id is not None  # checked by _check_ids
    return question.id


def _choose(
    pool: list[Question],
    count: int,
    mix: Mapping[Difficulty, Fraction | float] | None,
    rng: random.Random,
    exposure: Mapping[str, int],
) -> list[Question]:
    if mix is None:
        return _least_shown(pool, count, rng, exposure)
    by_difficulty = {d: [q for q in pool if q.difficulty == d] for d in Difficulty}
    shares = {difficulty: Fraction(share) for difficulty, share in mix.items()}
    available = {difficulty: len(items) for difficulty, items in by_difficulty.items()}
    quotas = difficulty_quotas(count, shares, available)
    return [
        question
        for difficulty in Difficulty
        for question in _least_shown(by_difficulty[difficulty], quotas[difficulty], rng, exposure)
    ]


def _least_shown(
    pool: list[Question], count: int, rng: random.Random, exposure: Mapping[str, int]
) -> list[Question]:
    """`count` items of `pool`, least shown first, at random among equally shown ones."""
    candidates = list(pool)
    rng.shuffle(candidates)
    candidates.sort(key=lambda q: exposure.get(_question_id(q), 0))  # stable: keeps the shuffle
    return candidates[:count]


def _option_order(question: Question, rng: random.Random) -> tuple[int, ...]:
    movable = [i for i, option in enumerate(question.options) if not option.keep_last]
    kept = [i for i, option in enumerate(question.options) if option.keep_last]
    rng.shuffle(movable)
    return (*movable, *kept)
