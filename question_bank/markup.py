"""Light markup for question stems: what authors may use and how it reads as text.

Stems are stored as sanitized HTML fragments. The allow-list is what a
statistics test needs (emphasis, lists, small tables, sub/superscripts);
everything else, attributes included, is stripped, so a stem can be rendered
as-is in a candidate's page without running anything.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ul", "ol", "li", "table", "thead", "tbody",
        "tr", "th", "td", "sub", "sup", "br", "p", "span",
    }
)  # fmt: skip
_SPAN_ATTRIBUTES = frozenset({"colspan", "rowspan"})
_ALLOWED_ATTRIBUTES = {"td": set(_SPAN_ATTRIBUTES), "th": set(_SPAN_ATTRIBUTES)}
_MAX_SPAN = 20

# Tags that start a new line when a stem is read as plain text.
_LINE_TAGS = frozenset({"p", "ul", "ol", "li", "table", "thead", "tbody", "tr"})
_CELL_TAGS = frozenset({"td", "th"})
_CELL_SEPARATOR = " | "
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_SPACES = re.compile(" {2,}")


def sanitize_stem(markup: str) -> str:
    """Return `markup` reduced to the allow-list, with comments and scripts removed."""
    return nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_small_span_only,
        link_rel=None,
        strip_comments=True,
    ).strip()


def _small_span_only(tag: str, attribute: str, value: str) -> str | None:
    """Keep colspan/rowspan only as small positive numbers."""
    if attribute in _SPAN_ATTRIBUTES and value.isdigit() and 1 <= int(value) <= _MAX_SPAN:
        return value
    return None


def plain_to_stem(text: str) -> str:
    """Turn plain text (from a text-only format) into a stem; line breaks become <br>."""
    escaped = html.escape(text, quote=False)
    return sanitize_stem("<br>".join(escaped.split("\n")))


def to_plain_text(markup: str) -> str:
    """Read a stem as a person sees it: tags removed, entities decoded, one line per
    paragraph, list item, table row or <br>, table cells joined with " | ".

    For any normalized plain text `t` (stripped lines, single spaces, no blank
    lines), ``to_plain_text(plain_to_stem(t)) == t``.
    """
    reader = _TextReader()
    reader.feed(sanitize_stem(markup))
    reader.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(reader.parts).split("\n"))
    return "\n".join(line for line in lines if line)


class _TextReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag in _LINE_TAGS:
            self.parts.append("\n")
        if tag == "tr":
            self._cells_in_row = 0
        elif tag in _CELL_TAGS:
            if self._cells_in_row:
                self.parts.append(_CELL_SEPARATOR)
            self._cells_in_row += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _LINE_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # Source line breaks are only spaces in HTML; real breaks come from tags.
        self.parts.append(_HTML_WHITESPACE.sub(" ", data))
