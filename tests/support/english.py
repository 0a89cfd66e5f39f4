"""What counts as English in text people read (the crawls of pages, API errors and
the browser's rendered pages)."""

from __future__ import annotations

import re

# Words (and two-word phrases) that are not Indonesian: the vocabulary of the
# libraries' own messages (pydantic, WTForms, Werkzeug, Flask-Login) and of
# untranslated labels. Matched case-insensitively as whole words.
ENGLISH = (
    "required", "invalid", "field", "fields", "must", "error", "errors", "not found",
    "forbidden", "value", "values", "should", "input", "please", "submit", "this",
    "that", "the", "is", "are", "and", "of", "to", "for", "not", "with", "without",
    "between", "least", "at most", "character", "characters", "allowed", "permitted",
    "expected", "missing", "unable", "parse", "string", "integer", "number",
    "empty", "unknown", "greater", "less", "than", "equal", "choice", "select",
    "enter", "password", "username", "log in", "sign in", "none", "true", "false",
    "null", "yes", "cancel", "save", "delete", "back", "next", "previous", "page",
    "score", "rank", "passed", "failed", "timeout", "connection", "address",
    "dictionary", "instance", "decode", "extra", "inputs", "date", "time",
)  # fmt: skip
ENGLISH_PATTERN = re.compile(
    r"(?<![\w@./-])(?:" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w@/-])", re.I
)

# Numbers written the English way on pages, where Indonesians write "37,5":
# - a decimal point before one or two digits ("37.5", "0.25"); a token with two
#   dots is an address or a version ("127.0.0.1"), and "QTI 2.1" is a name;
# - a point before three digits ("46.000", "3.750"): Indonesian for thousands,
#   but the seeded world has no count or score of a thousand or more, so here
#   it can only be a score's three decimal places.
ENGLISH_NUMBER = re.compile(
    r"(?<![\w.,])(?!2\.1\b)\d+\.\d{1,2}(?![\w.])|(?<![\w.,])\d{1,3}\.\d{3}(?!\w|[.,]\d)"
)
