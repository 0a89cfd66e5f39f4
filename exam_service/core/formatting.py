"""How values are written out, in one place for every domain.

`decimal_text` is the machine form used in JSON, feeds and exports (a dot, no
thousands separator); the pages' display of numbers and times for people is the
job of the template filters registered in `views`.
"""

from __future__ import annotations

from decimal import Decimal


def decimal_text(value: Decimal | str | None) -> str:
    """`Decimal("27.500")` -> "27.5": scores as exact decimal strings."""
    if value is None:
        return "0"
    number = Decimal(str(value))
    return format(number.normalize(), "f") if number else "0"
