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


def parse_difficulty(value: str) -> Difficulty:
    """Read a difficulty as authors write it: English or Indonesian, in any case."""
    key = value.strip().lower()
    if key in _DIFFICULTY_ALIASES:
        return _DIFFICULTY_ALIASES[key]
    try:
        return Difficulty(key)
    except ValueError:
        raise ValueError(f"unknown difficulty {value!r} (use easy, medium or hard)") from None


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
    """A question breaks the rules; `problems` lists every broken rule."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
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


def validate_question(question: Question) -> list[str]:
    """Every rule `question` breaks, as short messages for authors' reports."""
    return [
        *_name_problems("category", question.category, required=True),
        *_name_problems("id", question.id, required=False),
        *_image_problems(question.image),
        *_difficulty_problems(question.difficulty),
        *_stem_problems(question.stem),
        *_option_problems(question.options),
    ]


def _name_problems(label: str, value: str | None, *, required: bool) -> list[str]:
    if value is None or not value.strip():
        return [f"{label} is empty"] if required else []
    problems = []
    if len(value) > MAX_NAME_CHARS:
        problems.append(f"{label} is longer than {MAX_NAME_CHARS} characters")
    if _has_unstorable(value, allowed=""):
        problems.append(f"{label} contains control characters")
    return problems


def _image_problems(image: str | None) -> list[str]:
    problems = _name_problems("image", image, required=False)
    if image and ("/" in image or "\\" in image or image.startswith(".")):
        problems.append("image must be a plain file name")
    return problems


def _difficulty_problems(difficulty: object) -> list[str]:
    if isinstance(difficulty, Difficulty):
        return []
    return ["difficulty must be easy, medium or hard"]


def _stem_problems(stem: str) -> list[str]:
    if len(stem) > MAX_STEM_CHARS:  # checked first: no need to parse a huge stem
        return [f"stem is longer than {MAX_STEM_CHARS} characters"]
    if not to_plain_text(stem):
        return ["stem is empty"]
    problems = []
    if _has_unstorable(stem, allowed="\n\t"):
        problems.append("stem contains control characters")
    return problems


def _option_problems(options: tuple[Option, ...]) -> list[str]:
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return [f"a question needs {MIN_OPTIONS} to {MAX_OPTIONS} options, not {len(options)}"]
    problems = []
    seen: set[str] = set()
    for letter, option in zip(OPTION_LETTERS, options, strict=False):
        text = " ".join(option.text.split())
        if not text:
            problems.append(f"option {letter} is empty")
        elif text in seen:
            problems.append(f"option {letter} repeats an earlier option")
        seen.add(text)
        if len(option.text) > MAX_OPTION_CHARS:
            problems.append(f"option {letter} is longer than {MAX_OPTION_CHARS} characters")
        if _has_unstorable(option.text, allowed="\n\t"):
            problems.append(f"option {letter} contains control characters")
        problems.extend(_points_problems(letter, option.points))
    points = [option.points for option in options]
    if all(p <= 0 for p in points):
        problems.append("no option earns points")
    elif min(points) == max(points):
        problems.append("every option earns the same points")
    kept = [i for i, option in enumerate(options) if option.keep_last]
    if len(kept) > 1:
        problems.append("only one option can be kept last")
    elif kept and kept[0] != len(options) - 1:
        problems.append("the option kept last must be the last option")
    return problems


def _points_problems(letter: str, points: Decimal) -> list[str]:
    if points < 0:
        return [f"option {letter} has negative points"]
    if points > MAX_POINTS:
        return [f"option {letter} has more than {MAX_POINTS} points"]
    exponent = points.as_tuple().exponent
    if isinstance(exponent, int) and exponent < POINTS_EXPONENT:
        return [f"option {letter} has more than {-POINTS_EXPONENT} decimal places"]
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
