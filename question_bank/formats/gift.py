r"""GIFT, Moodle's text format; multiple-choice questions only.

What we write:

    $CATEGORY: sikap_kerja

    // difficulty: medium
    // points-max: 5
    ::DEMO-SK-001::[html]Rekan kerja Anda terlambat\: apa yang Anda lakukan? {
    ~%20%Membiarkannya
    ~%40%Menegurnya di depan umum
    =Mengajaknya bicara
    }

- `::id::` carries the id and `$CATEGORY:` the category (Moodle category
  paths such as `$course$/top/Name` keep their last segment on import).
- Stems are HTML (`[html]`); `[plain]` and `[markdown]` stems import as plain
  text. Option texts are plain text, HTML-escaped inside the file.
- Points: `=` earns 100% and `~` 0% of the question's maximum unless a
  `%percent%` weight is given. The maximum is 1 unless a `// points-max: N`
  comment precedes the question, so weighted items (1-5 points) round-trip;
  imported points are rounded to 2 decimals. Moodle accepts only its own list
  of percentages (20, 25, 33.33333, 50, ...), so files with other weights
  import here but not into Moodle.
- `// difficulty: hard` and `// keep-last: true` carry what GIFT has no
  syntax for; without them the caller's default difficulty applies.
- Special characters ~ = # { } : and the backslash are escaped with a
  backslash, a line break inside a text as \n. Answer feedback (#...) is
  dropped. Images are not carried.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

from ..markup import plain_to_stem, to_plain_text
from ..model import (
    MAX_POINTS,
    Difficulty,
    DifficultyError,
    Option,
    Question,
    make_question,
    parse_difficulty,
    to_points,
)
from ..problems import Problem, problem
from .base import Defaults, Parsed, checked, decode_text, text_lines

_SPECIALS = "\\~=#{}:"
_DIRECTIVE = re.compile(r"//\s*(difficulty|points-max|keep-last)\s*:\s*(.*?)\s*", re.IGNORECASE)
_CATEGORY = re.compile(r"\$CATEGORY:\s*(.*?)\s*", re.IGNORECASE)
_TEXT_FORMAT = re.compile(r"\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_PERCENT_PLACES = Decimal("0.00001")
_POINTS_PLACES = Decimal("0.01")
_MC_ONLY = problem(
    "gift_not_multiple_choice", "only multiple-choice questions ({=right ~wrong}) are supported"
)


def escape(text: str) -> str:
    return "".join("\\" + ch if ch in _SPECIALS else "\\n" if ch == "\n" else ch for ch in text)


def unescape(text: str) -> str:
    """Undo `escape`; an unknown escape such as \\q stays as written, as in Moodle."""
    out = []
    chars = iter(text)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        following = next(chars, "")
        out.append(
            "\n" if following == "n" else following if following in _SPECIALS else ch + following
        )
    return "".join(out)


def _find(text: str, targets: str, start: int = 0) -> int:
    """Index of the first unescaped character of `targets` at or after `start`, or -1."""
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] in targets:
            return index
        index += 1
    return -1


# ---------------------------------------------------------------- reading


def read(data: bytes, defaults: Defaults) -> Iterator[Parsed]:
    category = defaults.category
    for block in _blocks(text_lines(decode_text(data))):
        directives: dict[str, str] = {}
        question_lines: list[tuple[int, str]] = []
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("//"):
                if directive := _DIRECTIVE.fullmatch(stripped):
                    directives[directive.group(1).lower()] = directive.group(2)
            elif category_line := _CATEGORY.fullmatch(stripped):
                category = category_line.group(1).rstrip("/").rpartition("/")[2].strip()
            else:
                question_lines.append((number, line))
        if question_lines:
            text = "\n".join(line for _, line in question_lines)
            yield _parse(question_lines[0][0], text, category, directives, defaults)


def _blocks(lines: list[str]) -> Iterator[list[tuple[int, str]]]:
    """Groups of numbered lines separated by blank lines."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def _parse(
    line: int, text: str, category: str, directives: dict[str, str], defaults: Defaults
) -> Parsed:
    problems: list[Problem] = []
    title, body = _split_title(text.strip())
    opening = _find(body, "{")
    closing = _find(body, "}", opening + 1) if opening >= 0 else -1
    if closing < 0:
        return Parsed(line, None, (problem("gift_no_answers", "no answer block {...} found"),))
    if body[closing + 1 :].strip():
        problems.append(
            problem("gift_text_after_answers", "text after the answer block is not supported")
        )
    stem, is_html = _split_text_format(body[:opening].strip())
    answers = _answers(body[opening + 1 : closing], problems)
    maximum = _directive_points(directives, problems)
    difficulty = _directive_difficulty(directives, defaults.difficulty, problems)
    keep_last = directives.get("keep-last", "").lower() in ("true", "yes")
    return checked(
        line,
        problems,
        lambda: make_question(
            category=category,
            difficulty=difficulty,
            stem=unescape(stem) if is_html else plain_to_stem(unescape(stem)),
            options=[
                Option(
                    to_plain_text(answer) if is_html else answer,
                    (percent * maximum / 100).quantize(_POINTS_PLACES),
                    keep_last=keep_last and i == len(answers) - 1,
                )
                for i, (percent, answer) in enumerate(answers)
            ],
            id=title,
        ),
    )


def _split_title(text: str) -> tuple[str | None, str]:
    if not text.startswith("::"):
        return None, text
    index = 2
    while (index := _find(text, ":", index)) >= 0:
        if text.startswith("::", index):
            return unescape(text[2:index]).strip(), text[index + 2 :].strip()
        index += 1
    return None, text


def _split_text_format(text: str) -> tuple[str, bool]:
    """The text without its [format] marker, and whether it is HTML (Moodle's default)."""
    marker = _TEXT_FORMAT.match(text)
    if marker is None:
        return text, True
    return text[marker.end() :], marker.group(1).lower() in ("html", "moodle")


def _answers(section: str, problems: list[Problem]) -> list[tuple[Decimal, str]]:
    """(percent, unescaped text) of each answer of a {=right ~wrong} block."""
    starts = []
    index = _find(section, "=~")
    while index >= 0:
        starts.append(index)
        index = _find(section, "=~", index + 1)
    if not starts or section[: starts[0]].strip() or "~" not in {section[i] for i in starts}:
        problems.append(_MC_ONLY)
        return []
    answers = []
    for start, end in zip(starts, [*starts[1:], len(section)], strict=True):
        body = section[start + 1 : end]
        weight = _WEIGHT.match(body)
        percent = Decimal(100 if section[start] == "=" else 0)
        if weight:
            percent = Decimal(weight.group(1))
            body = body[weight.end() :]
        if not 0 <= percent <= 100:
            problems.append(
                problem("gift_weight_range", "answer weights must be between 0% and 100%")
            )
        feedback = _find(body, "#")
        answers.append((percent, unescape(body if feedback < 0 else body[:feedback]).strip()))
    return answers


def _directive_points(directives: dict[str, str], problems: list[Problem]) -> Decimal:
    if "points-max" not in directives:
        return Decimal(1)
    try:
        maximum = to_points(directives["points-max"])
    except ValueError:
        maximum = Decimal(-1)
    if not 0 < maximum <= MAX_POINTS:
        problems.append(
            problem(
                "gift_points_max",
                f"points-max must be a number above 0 and at most {MAX_POINTS}",
                max=int(MAX_POINTS),
            )
        )
        return Decimal(1)
    return maximum


def _directive_difficulty(
    directives: dict[str, str], default: Difficulty, problems: list[Problem]
) -> Difficulty:
    if "difficulty" not in directives:
        return default
    try:
        return parse_difficulty(directives["difficulty"])
    except DifficultyError as error:
        problems.append(error.problem)
        return default


# ---------------------------------------------------------------- writing


def write(questions: Sequence[Question]) -> bytes:
    parts = []
    category = None
    for question in questions:
        if question.category != category:
            category = question.category
            parts.append(f"$CATEGORY: {category}\n")
        parts.append(_question_text(question))
    return "\n".join(parts).encode("utf-8")


def _question_text(question: Question) -> str:
    maximum = question.max_points
    lines = [f"// difficulty: {question.difficulty.value}"]
    if maximum != 1:
        lines.append(f"// points-max: {maximum}")
    if question.options and question.options[-1].keep_last:
        lines.append("// keep-last: true")
    title = f"::{escape(question.id)}::" if question.id else ""
    lines.append(f"{title}[html]{escape(question.stem)} {{")
    lines += [_answer_line(option, maximum) for option in question.options]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _answer_line(option: Option, maximum: Decimal) -> str:
    text = escape(html.escape(option.text, quote=False))
    marker = "=" if option.points == maximum else "~"
    percent = (option.points * 100 / maximum).quantize(_PERCENT_PLACES).normalize()
    implied = percent == (100 if marker == "=" else 0)
    # A text that starts with %n% would read as a weight: then write the weight anyway.
    if implied and not text.startswith("%"):
        return marker + text
    return f"{marker}%{percent:f}%{text}"
