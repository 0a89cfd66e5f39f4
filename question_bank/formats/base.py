"""What the formats share: the import report, limits, and the pieces readers use.

A reader turns a file's bytes into a stream of `Parsed` items (a question or
the problems that stop it) and raises `FileRefused` when the file as a whole
cannot be read. `import_questions` (in the package) numbers the items and
builds the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..model import Difficulty, Question, QuestionError
from ..problems import Problem, messages, problem

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_ITEMS = 5_000


@dataclass
class ImportIssue:
    """Why an item was refused.

    `item` is the item's 1-based number in the file, or 0 for a problem of the
    file as a whole; `line` is the item's first line (CSV, Aiken, GIFT) or row
    (XLSX), None where the format has no lines (QTI, except XML syntax errors).
    `problems` are the broken rules, for a service to say in its users'
    language; `message` joins their English messages by "; " (so comparing
    issues compares their messages, not the problems again).
    """

    item: int
    line: int | None
    message: str
    problems: tuple[Problem, ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, item: int, line: int | None, problems: Sequence[Problem]) -> ImportIssue:
        return cls(item, line, messages(problems), tuple(problems))


@dataclass
class ImportReport:
    imported: list[Question] = field(default_factory=list)
    refused: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused


class UnknownFormat(ValueError):
    """A format name that is not in FORMATS."""


class ExportError(ValueError):
    """Questions that the chosen format cannot express (e.g. weighted ones in Aiken);
    `problem` names them."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class FileRefused(Exception):
    """The file as a whole cannot be read; reported as one issue for item 0."""

    def __init__(self, problem: Problem, line: int | None = None) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.line = line


@dataclass(frozen=True)
class Defaults:
    """Values for what a file does not say (Aiken has neither category nor difficulty)."""

    category: str
    difficulty: Difficulty


@dataclass(frozen=True)
class Parsed:
    """One item as a reader found it: a valid question, or the problems that stop it."""

    line: int | None
    question: Question | None
    problems: tuple[Problem, ...] = ()


def checked(line: int | None, problems: Sequence[Problem], build: Callable[[], Question]) -> Parsed:
    """The reader's own `problems` if any, else the question `build` makes (it validates)."""
    if problems:
        return Parsed(line, None, tuple(problems))
    try:
        return Parsed(line, build())
    except QuestionError as error:
        return Parsed(line, None, tuple(error.problems))


def decode_text(data: bytes) -> str:
    """UTF-8 text (a byte order mark is allowed); anything else refuses the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            problem(
                "file_not_utf8",
                f"the file is not UTF-8 text (invalid byte on line {line}); save it as UTF-8",
                line=line,
            ),
            line,
        ) from None


def text_lines(text: str) -> list[str]:
    """Lines split on \\n, \\r\\n or \\r only (str.splitlines also splits on form feeds)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
