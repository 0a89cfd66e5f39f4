"""What is wrong with a question or a file, said so that a service can translate it.

Every rule of the bank that refuses something (a question's rules in `model`,
the readers in `formats`) reports a `Problem`: `code` names the broken rule,
`data` its subject (an option's letter, a limit, a line, a column) and
`message` says it in English for developers, logs and tests. The library knows
no user's language: a service renders `code` and `data` in its own (the exam
service's `core/bank_problems.py`) and never shows `message` to a user.

`CODES` is the whole vocabulary, with the data keys of each code; a Problem
with another code is refused, so a service that has a text for every code in
`CODES` can say every problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

ProblemData = Mapping[str, str | int]

# code -> its data keys. Numbers (int): max, min, count, places, megabytes, line,
# item, position; everything else is text. "line" of the qti_xml_* codes is
# there only when the parser knows it; `load_demo_bank` adds the "question" id.
CODES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # A question's rules (model.validate_question).
        "category_empty": (),
        "category_too_long": ("max",),
        "category_control_chars": (),
        "id_too_long": ("max",),
        "id_control_chars": (),
        "image_too_long": ("max",),
        "image_control_chars": (),
        "image_not_plain_name": (),
        "difficulty_invalid": (),
        "stem_too_long": ("max",),
        "stem_empty": (),
        "stem_control_chars": (),
        "option_count": ("min", "max", "count"),
        "option_empty": ("letter",),
        "option_repeated": ("letter",),
        "option_too_long": ("letter", "max"),
        "option_control_chars": ("letter",),
        "points_negative": ("letter",),
        "points_too_high": ("letter", "max"),
        "points_too_precise": ("letter", "places"),
        "no_points": (),
        "same_points": (),
        "keep_last_many": (),
        "keep_last_not_last": (),
        # A difficulty as written in a file (model.parse_difficulty).
        "difficulty_unknown": ("value",),
        # A file as a whole (formats: one issue for item 0).
        "file_too_large": ("megabytes",),
        "too_many_items": ("max",),
        "file_unreadable": ("format",),
        "file_not_utf8": ("line",),
        "file_empty": (),
        "csv_unreadable": ("line", "detail"),
        "unknown_columns": ("columns",),
        "repeated_columns": ("columns",),
        "missing_columns": ("columns",),
        "xlsx_no_sheet": (),
        "xlsx_sheet_empty": (),
        "not_zip": (),
        "zip_too_many_files": ("max",),
        "zip_member_too_large": ("name",),
        "zip_too_large": (),
        "zip_member_damaged": ("name",),
        "qti_manifest_missing": ("name",),
        # One item of a file.
        "id_repeated": ("id", "item"),
        "column_without_header": ("position",),
        "option_gap": ("column", "letter"),
        "keep_last_letter": (),
        "key_and_points": (),
        "key_letter": (),
        "points_without_option": ("column",),
        "points_not_number": ("column",),
        "aiken_option_order": ("line", "letter"),
        "aiken_unexpected_line": ("line",),
        "aiken_answer_missing": (),
        "aiken_answer_unknown": ("letter",),
        "gift_no_answers": (),
        "gift_text_after_answers": (),
        "gift_not_multiple_choice": (),
        "gift_weight_range": (),
        "gift_points_max": ("max",),
        "qti_unsafe_href": ("href",),
        "qti_file_repeated": ("name", "item"),
        "qti_file_missing": ("name",),
        "qti_xml_dtd": ("name", "line"),
        "qti_xml_malformed": ("name", "line"),
        "qti_not_one_choice_interaction": (),
        "qti_multiple_answers": (),
        "qti_no_response_declaration": ("response",),
        "qti_points_not_number": ("choice",),
        # A blueprint (blueprint.Blueprint.from_dict).
        "unknown_keys": (),
        "no_categories": (),
        "bad_category": ("category",),
        "bad_count": ("category",),
        "bad_mix": (),
        "bad_share": (),
        "mix_sum": (),
        # Exporting (formats.ExportError).
        "aiken_weighted": ("questions", "count"),
    }
)


@dataclass(frozen=True)
class Problem:
    """One broken rule: a `code` of CODES, its subject in `data`, an English `message`."""

    code: str
    message: str
    # Not part of the hash (a mapping has none); still part of equality.
    data: ProblemData = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code!r}")
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def __str__(self) -> str:
        return self.message


def problem(code: str, message: str, **data: str | int) -> Problem:
    """A Problem with its data as keyword arguments."""
    return Problem(code, message, data)


def messages(problems: Iterable[Problem]) -> str:
    """The problems' English messages joined by "; " (for developers and logs)."""
    return "; ".join(p.message for p in problems)
