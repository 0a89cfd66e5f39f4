"""Aiken, Moodle's plain-text format for one-key multiple-choice questions.

    Berapa persen dari 200 adalah 50?
    A. 20%
    B. 25%
    C. 40%
    ANSWER: B

Aiken carries only the stem, the options and the key. Export writes the stem
as one line of plain text (markup is lost) and refuses weighted questions with
ExportError; id, image, keep_last, category and difficulty are not written.
Import takes category and difficulty from the caller's defaults; stem lines
before the first option are joined with line breaks, options are "A." or "A)"
with capital letters in order, and an item ends at its ANSWER line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..markup import plain_to_stem, to_plain_text
from ..model import OPTION_LETTERS, Option, Question, make_question
from ..problems import Problem, problem
from .base import Defaults, ExportError, Parsed, checked, decode_text, text_lines

_OPTION = re.compile(r"([A-Z])[.)](?:\s+(.*))?")
_ANSWER = re.compile(r"ANSWER:\s*([A-Za-z])", re.IGNORECASE)


def read(data: bytes, defaults: Defaults) -> Iterator[Parsed]:
    item: list[tuple[int, str]] = []
    for number, line in enumerate(text_lines(decode_text(data)), start=1):
        if not line.strip():
            continue
        item.append((number, line.strip()))
        # The first line of an item is its stem, even when it reads "ANSWER: A".
        if len(item) > 1 and _ANSWER.fullmatch(line.strip()):
            yield _parse(item, defaults)
            item = []
    if item:
        yield _parse(item, defaults)


def _parse(lines: list[tuple[int, str]], defaults: Defaults) -> Parsed:
    """One item: its first line is the stem whatever it looks like."""
    first_line = lines[0][0]
    stem_end = 1
    while stem_end < len(lines) and not (
        _OPTION.fullmatch(lines[stem_end][1]) or _ANSWER.fullmatch(lines[stem_end][1])
    ):
        stem_end += 1
    stem = [text for _, text in lines[:stem_end]]
    options: list[str] = []
    answer: str | None = None
    problems: list[Problem] = []
    for number, text in lines[stem_end:]:
        option = _OPTION.fullmatch(text)
        if answer_match := _ANSWER.fullmatch(text):
            answer = answer_match.group(1).upper()
        elif option and option.group(1) == chr(ord("A") + len(options)):
            options.append(option.group(2) or "")
        elif option:
            expected = chr(ord("A") + len(options))
            problems.append(
                problem(
                    "aiken_option_order",
                    f"line {number}: expected option {expected}",
                    line=number,
                    letter=expected,
                )
            )
            break
        else:
            problems.append(
                problem(
                    "aiken_unexpected_line",
                    f"line {number}: expected an option (A. ...) or ANSWER: X"
                    " (is an ANSWER line missing above?)",
                    line=number,
                )
            )
            break
    if answer is None and not problems:
        problems.append(problem("aiken_answer_missing", "the ANSWER: X line is missing"))
    key = ord(answer) - ord("A") if answer else -1
    if answer and not 0 <= key < len(options):
        problems.append(
            problem("aiken_answer_unknown", f"ANSWER: {answer} names no option", letter=answer)
        )
    return checked(
        first_line,
        problems,
        lambda: make_question(
            category=defaults.category,
            difficulty=defaults.difficulty,
            stem=plain_to_stem("\n".join(stem)),
            options=[Option(text, 1 if i == key else 0) for i, text in enumerate(options)],
        ),
    )


def write(questions: Sequence[Question]) -> bytes:
    weighted = [q.id or f"item {n}" for n, q in enumerate(questions, 1) if q.key_index is None]
    if weighted:
        named = ", ".join(weighted)
        raise ExportError(
            problem(
                "aiken_weighted",
                f"Aiken carries only questions with one key worth 1 point; weighted: {named}",
                questions=", ".join(
                    q.id or f"#{n}" for n, q in enumerate(questions, 1) if q.key_index is None
                ),
                count=len(weighted),
            )
        )
    return "".join(_item_text(question) for question in questions).encode("utf-8")


def _item_text(question: Question) -> str:
    key = question.key_index
    assert key is not None  # write() refused weighted questions
    lines = [" ".join(to_plain_text(question.stem).split())]
    lines += [
        f"{letter}. {option.text}"
        for letter, option in zip(OPTION_LETTERS, question.options, strict=False)
    ]
    lines.append(f"ANSWER: {OPTION_LETTERS[key]}")
    return "\n".join(lines) + "\n\n"
