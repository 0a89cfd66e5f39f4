"""Questions, their options and the rules a question must satisfy.

Points live on the options as `Decimal`, so sums of scores are exact. A
question earns the points of the option the candidate chose: 1 for the key and
0 otherwise in ordinary items, or any points per option in weighted items
(attitude items where every option earns 1-5 points).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, getcontext
from enum import StrEnum
from typing import Any

from .markup import sanitize_stem, to_plain_text
from .problems import Problem, messages, problem

MIN_OPTIONS = 2
MAX_OPTIONS = 6
OPTION_LETTERS = "ABCDEF"
MAX_POINTS = Decimal(100)
# Two decimal places keep points exact in every format (GIFT carries percentages).
POINTS_EXPONENT = -2
MAX_STEM_CHARS = 20_000  # below a spreadsheet cell's 32,767
MAX_OPTION_CHARS = 1_000
# Category slugs, ids and image names are stored as String(64) by the service.
MAX_NAME_CHARS = 64


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


_DIFFICULTY_ALIASES = {
    "mudah": Difficulty.EASY,
    "sedang": Difficulty.MEDIUM,
    "sulit": Difficulty.HARD,
    "sukar": Difficulty.HARD,
}


class DifficultyError(ValueError):
    """A difficulty nobody knows; `problem` says which (code `difficulty_unknown`)."""

    def __init__(self, value: str) -> None:
        self.problem = problem(
            "difficulty_unknown",
            f"unknown difficulty {value!r} (use easy, medium or hard)",
            value=value,
        )
        super().__init__(self.problem.message)


def parse_difficulty(value: str) -> Difficulty:
    """Read a difficulty as authors write it: English or Indonesian, in any case.

    Raises DifficultyError (a ValueError) for anything else."""
    key = value.strip().lower()
    if key in _DIFFICULTY_ALIASES:
        return _DIFFICULTY_ALIASES[key]
    try:
        return Difficulty(key)
    except ValueError:
        raise DifficultyError(value) from None


def to_points(value: Decimal | int | float | str) -> Decimal:
    """Points as an exact, canonical Decimal (1.50 -> 1.5, 1E+1 -> 10, -0 -> 0).

    Floats are read through their shortest repr, so 0.1 becomes Decimal("0.1").
    Raises ValueError for anything that is not a finite number.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        points = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not points.is_finite():
        raise ValueError(f"{value!r} is not a number")
    if points == 0:
        return Decimal(0)
    normalized = points.normalize()
    # normalize() writes 10 as 1E+1: give whole numbers their plain form back (as far
    # as the context's precision allows; such huge points fail validation anyway).
    if normalized == normalized.to_integral_value() and normalized.adjusted() < getcontext().prec:
        return normalized.quantize(Decimal(1))
    return normalized


@dataclass(frozen=True)
class Option:
    """One answer option. `keep_last` marks "all of the above" style options that
    are never shuffled and stay last. `points` also accepts ints and numeric strings."""

    text: str
    points: Decimal = Decimal(0)
    keep_last: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", to_points(self.points))


@dataclass(frozen=True)
class Question:
    """A question as the bank holds it; `id` is the bank's (external) id."""

    category: str
    difficulty: Difficulty
    stem: str
    options: tuple[Option, ...]
    image: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))

    @property
    def max_points(self) -> Decimal:
        return max((option.points for option in self.options), default=Decimal(0))

    @property
    def is_weighted(self) -> bool:
        """True unless exactly the usual shape: points are 0 or 1, one option earns 1."""
        earning = [option for option in self.options if option.points != 0]
        return len(earning) > 1 or any(option.points not in (0, 1) for option in self.options)

    @property
    def key_index(self) -> int | None:
        """Index of the single 1-point option of a non-weighted question."""
        if self.is_weighted:
            return None
        return next((i for i, option in enumerate(self.options) if option.points == 1), None)


class QuestionError(ValueError):
    """A question breaks the rules; `problems` lists every broken rule (`Problem`s).

    `str(error)` joins their English messages, for developers and logs.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(messages(problems))
        self.problems = problems


def make_question(
    *,
    category: str,
    difficulty: Difficulty,
    stem: str,
    options: Iterable[Option],
    image: str | None = None,
    id: str | None = None,
) -> Question:
    """Build a normalized question or raise QuestionError listing every problem.

    Normalization: the stem is sanitized, option texts are collapsed to single
    spaces on one line, names are stripped, line endings become "\\n" and empty
    image or id become None.
    """
    question = Question(
        category=category.strip(),
        difficulty=difficulty,
        stem=sanitize_stem(_unix_newlines(stem)),
        options=tuple(
            Option(" ".join(option.text.split()), option.points, option.keep_last)
            for option in options
        ),
        image=(image or "").strip() or None,
        id=(id or "").strip() or None,
    )
    problems = validate_question(question)
    if problems:
        raise QuestionError(problems)
    return question


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def validate_question(question: Question) -> list[Problem]:
    """Every rule `question` breaks, as `Problem`s (their codes: `problems.CODES`)."""
    return [
        *_name_problems("category", question.category, required=True),
        *_name_problems("id", question.id, required=False),
        *_image_problems(question.image),
        *_difficulty_problems(question.difficulty),
        *_stem_problems(question.stem),
        *_option_problems(question.options),
    ]


def _name_problems(label: str, value: str | None, *, required: bool) -> list[Problem]:
    """Problems of a short name; codes `{label}_empty`, `_too_long`, `_control_chars`."""
    if value is None or not value.strip():
        return [problem(f"{label}_empty", f"{label} is empty")] if required else []
    problems = []
    if len(value) > MAX_NAME_CHARS:
        problems.append(
            problem(
                f"{label}_too_long",
                f"{label} is longer than {MAX_NAME_CHARS} characters",
                max=MAX_NAME_CHARS,
            )
        )
    if _has_unstorable(value, allowed=""):
        problems.append(problem(f"{label}_control_chars", f"{label} contains control characters"))
    return problems


def _image_problems(image: str | None) -> list[Problem]:
    problems = _name_problems("image", image, required=False)
    if image and ("/" in image or "\\" in image or image.startswith(".")):
        problems.append(problem("image_not_plain_name", "image must be a plain file name"))
    return problems


def _difficulty_problems(difficulty: object) -> list[Problem]:
    if isinstance(difficulty, Difficulty):
        return []
    return [problem("difficulty_invalid", "difficulty must be easy, medium or hard")]


def _stem_problems(stem: str) -> list[Problem]:
    if len(stem) > MAX_STEM_CHARS:  # checked first: no need to parse a huge stem
        return [
            problem(
                "stem_too_long",
                f"stem is longer than {MAX_STEM_CHARS} characters",
                max=MAX_STEM_CHARS,
            )
        ]
    if not to_plain_text(stem):
        return [problem("stem_empty", "stem is empty")]
    problems = []
    if _has_unstorable(stem, allowed="\n\t"):
        problems.append(problem("stem_control_chars", "stem contains control characters"))
    return problems


def _option_problems(options: tuple[Option, ...]) -> list[Problem]:
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return [
            problem(
                "option_count",
                f"a question needs {MIN_OPTIONS} to {MAX_OPTIONS} options, not {len(options)}",
                min=MIN_OPTIONS,
                max=MAX_OPTIONS,
                count=len(options),
            )
        ]
    problems = []
    seen: set[str] = set()
    for letter, option in zip(OPTION_LETTERS, options, strict=False):
        text = " ".join(option.text.split())
        if not text:
            problems.append(problem("option_empty", f"option {letter} is empty", letter=letter))
        elif text in seen:
            problems.append(
                problem(
                    "option_repeated", f"option {letter} repeats an earlier option", letter=letter
                )
            )
        seen.add(text)
        if len(option.text) > MAX_OPTION_CHARS:
            problems.append(
                problem(
                    "option_too_long",
                    f"option {letter} is longer than {MAX_OPTION_CHARS} characters",
                    letter=letter,
                    max=MAX_OPTION_CHARS,
                )
            )
        if _has_unstorable(option.text, allowed="\n\t"):
            problems.append(
                problem(
                    "option_control_chars",
                    f"option {letter} contains control characters",
                    letter=letter,
                )
            )
        problems.extend(_points_problems(letter, option.points))
    points = [option.points for option in options]
    if all(p <= 0 for p in points):
        problems.append(problem("no_points", "no option earns points"))
    elif min(points) == max(points):
        problems.append(problem("same_points", "every option earns the same points"))
    kept = [i for i, option in enumerate(options) if option.keep_last]
    if len(kept) > 1:
        problems.append(problem("keep_last_many", "only one option can be kept last"))
    elif kept and kept[0] != len(options) - 1:
        problems.append(
            problem("keep_last_not_last", "the option kept last must be the last option")
        )
    return problems


def _points_problems(letter: str, points: Decimal) -> list[Problem]:
    if points < 0:
        return [problem("points_negative", f"option {letter} has negative points", letter=letter)]
    if points > MAX_POINTS:
        return [
            problem(
                "points_too_high",
                f"option {letter} has more than {MAX_POINTS} points",
                letter=letter,
                max=int(MAX_POINTS),
            )
        ]
    exponent = points.as_tuple().exponent
    if isinstance(exponent, int) and exponent < POINTS_EXPONENT:
        return [
            problem(
                "points_too_precise",
                f"option {letter} has more than {-POINTS_EXPONENT} decimal places",
                letter=letter,
                places=-POINTS_EXPONENT,
            )
        ]
    return []


def _has_unstorable(text: str, *, allowed: str) -> bool:
    """Control characters and surrogates break XML, spreadsheets and terminals."""
    return any(
        (unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed) or ch in "\ufffe\uffff"
        for ch in text
    )


def question_from_dict(data: Mapping[str, Any]) -> Question:
    """Build a question from its JSON form (see `question_to_dict`); validated."""
    return make_question(
        category=data["category"],
        difficulty=parse_difficulty(data["difficulty"]),
        stem=data["stem"],
        options=[
            Option(option["text"], option.get("points", 0), bool(option.get("keep_last")))
            for option in data["options"]
        ],
        image=data.get("image"),
        id=data.get("id"),
    )


def question_to_dict(question: Question) -> dict[str, Any]:
    """JSON form of a question; points are decimal strings so they stay exact."""
    return {
        "id": question.id,
        "category": question.category,
        "difficulty": question.difficulty.value,
        "stem": question.stem,
        "image": question.image,
        "options": [
            {"text": option.text, "points": str(option.points), "keep_last": option.keep_last}
            for option in question.options
        ],
    }
