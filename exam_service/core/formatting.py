"""How values are written out, in one place for every domain.

Two audiences, two forms:

- Machines (JSON, feeds, CSV/XLSX exports): `decimal_text`, a dot and no
  thousands separator ("27.5").
- People (pages, messages): `number_text`, `percent_text` and `minutes_text`,
  the way Indonesians read numbers, through Babel in the app's locale (id):
  a comma before decimals and a dot between thousands ("37,5", "1.234"), no
  trailing zeros on scores ("46", never "46.000"), durations in minutes
  ("60 menit"). `views.register_template_helpers` makes them the pages'
  filters `number`, `percent` and `minutes`; times are the filter
  `local_time` (`core.clock.format_local`, in the office's zone).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

# The office's language, also outside a request (workers, mails, tests).
DEFAULT_LOCALE = Locale.parse("id_ID")
EMPTY = "-"


def decimal_text(value: Decimal | str | None) -> str:
    """`Decimal("27.500")` -> "27.5": scores as exact decimal strings."""
    if value is None:
        return "0"
    number = Decimal(str(value))
    return format(number.normalize(), "f") if number else "0"


def _locale() -> Locale:
    try:
        return get_locale() or DEFAULT_LOCALE
    except RuntimeError:  # no app context
        return DEFAULT_LOCALE


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def number_text(value: object, places: int | None = None, *, max_places: int = 3) -> str:
    """A number for people: "46", "37,5", "1.234", "0,25"; "-" for none.

    By default up to `max_places` decimals, without trailing zeros (a score of
    46.000 is "46"); with `places`, exactly that many ("0,50" for statistics).
    Rounded half up, as people round.
    """
    number = _decimal(value)
    if number is None:
        return EMPTY
    digits = max_places if places is None else places
    number = number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if number.is_zero():
        number = abs(number)  # never "-0"
    fraction = ("." + ("0" if places is not None else "#") * digits) if digits else ""
    return format_decimal(number, format="#,##0" + fraction, locale=_locale())


def percent_text(rate: object, places: int | None = None, *, max_places: int = 1) -> str:
    """A share (0.375) as a percentage for people: "37,5%"; "-" for none."""
    number = _decimal(rate)
    if number is None:
        return EMPTY
    return number_text(number * 100, places, max_places=max_places) + "%"


def minutes_text(seconds: object) -> str:
    """A duration in seconds for people: "60 menit", "1 menit 30 detik", "45 detik"."""
    number = _decimal(seconds)
    if number is None:
        return EMPTY
    total = int(number.to_integral_value(rounding=ROUND_HALF_UP))
    minutes, rest = divmod(abs(total), 60)
    sign = "-" if total < 0 else ""
    if not rest:
        return sign + _("%(n)s menit", n=number_text(minutes))
    if not minutes:
        return sign + _("%(n)s detik", n=number_text(rest))
    return sign + _("%(m)s menit %(s)s detik", m=number_text(minutes), s=number_text(rest))


def decimal_input(value: Decimal | str | None) -> str:
    """A decimal to prefill an input a person edits: "37,5", "46" (no thousands dots)."""
    return "" if value is None else decimal_text(value).replace(".", ",")


def decimal_from_input(text: str | None) -> str | None:
    """What a person typed ("37,5" or "37.5") in the service's form ("37.5"); None if empty."""
    cleaned = (text or "").strip().replace(",", ".")
    return cleaned or None
