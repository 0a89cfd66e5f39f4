"""The column template shared by CSV and XLSX (documented in README.md).

One question per row, after a header row naming the columns:

    id, category, difficulty, stem, option_a .. option_f, points_a .. points_f,
    keep_last, image

Exports write every column in this order. Imports read columns by name, in
any order and any case; `stem`, `option_a` and `option_b` are required, and
a `key` column (a letter) may replace the points columns.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from ..model import (
    MAX_OPTIONS,
    DifficultyError,
    Option,
    Question,
    make_question,
    parse_difficulty,
    to_points,
)
from ..problems import Problem, problem
from .base import Defaults, FileRefused, Parsed, checked

LETTERS = "abcdef"[:MAX_OPTIONS]
OPTION_COLUMNS = tuple(f"option_{letter}" for letter in LETTERS)
POINTS_COLUMNS = tuple(f"points_{letter}" for letter in LETTERS)
COLUMNS = (
    "id", "category", "difficulty", "stem", *OPTION_COLUMNS, *POINTS_COLUMNS, "keep_last", "image"
)  # fmt: skip
KEY_COLUMN = "key"
REQUIRED_COLUMNS = ("stem", "option_a", "option_b")

# A cell a spreadsheet would run as a formula, possibly behind our own apostrophes.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def protect(cell: str) -> str:
    """Defuse formula injection: prefix an apostrophe to cells starting with = + - @
    tab or CR. Cells that already start with apostrophes before such a character get
    one more, so that `unprotect` restores every cell exactly."""
    return "'" + cell if _FORMULA_START.match(cell) else cell


def unprotect(cell: str) -> str:
    """Undo `protect`: drop one apostrophe in front of a formula-like start."""
    return cell[1:] if cell.startswith("'") and _FORMULA_START.match(cell[1:]) else cell


def question_row(question: Question) -> list[str | Decimal]:
    """A question as template cells; points stay numbers, text cells are protected."""
    padding = MAX_OPTIONS - len(question.options)
    texts = [option.text for option in question.options] + [""] * padding
    points: list[str | Decimal] = [option.points for option in question.options]
    kept = [letter for letter, o in zip(LETTERS, question.options, strict=False) if o.keep_last]
    cells: list[str | Decimal] = [
        question.id or "",
        question.category,
        question.difficulty.value,
        question.stem,
        *texts,
        *points,
        *[""] * padding,
        kept[0] if kept else "",
        question.image or "",
    ]
    return [protect(cell) if isinstance(cell, str) else cell for cell in cells]


def read_header(cells: Sequence[str]) -> list[str]:
    """Column names of the header row ("" for blank cells); raises FileRefused."""
    names = [unprotect(cell).strip().lower() for cell in cells]
    known = {*COLUMNS, KEY_COLUMN}
    unknown = [name for name in names if name and name not in known]
    if unknown:
        raise FileRefused(_columns_problem("unknown_columns", "unknown", unknown), line=1)
    repeated = sorted(name for name, n in Counter(names).items() if name and n > 1)
    if repeated:
        raise FileRefused(_columns_problem("repeated_columns", "repeated", repeated), line=1)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise FileRefused(_columns_problem("missing_columns", "missing", missing), line=1)
    return names


def _columns_problem(code: str, adjective: str, columns: Sequence[str]) -> Problem:
    listed = ", ".join(columns)
    return problem(code, f"{adjective} columns: {listed}", columns=listed)


def read_row(
    line: int, names: Sequence[str], cells: Sequence[str], defaults: Defaults
) -> Parsed | None:
    """The question of one data row; None for a blank row."""
    if not any(cell.strip() for cell in cells):
        return None
    problems: list[Problem] = []
    values: dict[str, str] = {}
    for position, cell in enumerate(cells):
        name = names[position] if position < len(names) else ""
        if name:
            values[name] = unprotect(cell).strip()
        elif cell.strip():
            problems.append(
                problem(
                    "column_without_header",
                    f"column {position + 1} has no header",
                    position=position + 1,
                )
            )

    texts = [values.get(column, "") for column in OPTION_COLUMNS]
    used = max((i + 1 for i, text in enumerate(texts) if text), default=0)
    problems += [
        problem(
            "option_gap",
            f"{OPTION_COLUMNS[i]} is empty but a later option is filled",
            column=OPTION_COLUMNS[i],
            letter=LETTERS[i].upper(),
        )
        for i in range(used)
        if not texts[i]
    ]
    points = _row_points(values, used, problems)
    kept = values.get("keep_last", "").lower()
    if kept and kept not in LETTERS[:used]:
        problems.append(
            problem("keep_last_letter", "keep_last must be the letter of a filled option")
        )
    difficulty = defaults.difficulty
    if values.get("difficulty"):
        try:
            difficulty = parse_difficulty(values["difficulty"])
        except DifficultyError as error:
            problems.append(error.problem)
    return checked(
        line,
        problems,
        lambda: make_question(
            category=values.get("category") or defaults.category,
            difficulty=difficulty,
            stem=values.get("stem", ""),
            options=[
                Option(texts[i], points[i], keep_last=LETTERS[i] == kept) for i in range(used)
            ],
            image=values.get("image"),
            id=values.get("id"),
        ),
    )


def _row_points(values: dict[str, str], used: int, problems: list[Problem]) -> list[Decimal]:
    """Points of the first `used` options, from the `key` letter or the points columns."""
    key = values.get(KEY_COLUMN, "").lower()
    filled = [column for column in POINTS_COLUMNS if values.get(column)]
    if key:
        if filled:
            problems.append(
                problem(
                    "key_and_points",
                    "use either the key column or the points columns, not both",
                )
            )
        if key not in LETTERS[:used]:
            problems.append(problem("key_letter", "key must be the letter of a filled option"))
        return [Decimal(1) if LETTERS[i] == key else Decimal(0) for i in range(used)]
    problems += [
        problem("points_without_option", f"{column} has no option", column=column)
        for column in filled
        if column not in POINTS_COLUMNS[:used]
    ]
    points = []
    for column in POINTS_COLUMNS[:used]:
        try:
            points.append(to_points(values.get(column) or 0))
        except ValueError:
            problems.append(
                problem("points_not_number", f"{column} is not a number", column=column)
            )
            points.append(Decimal(0))
    return points
