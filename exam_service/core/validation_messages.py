"""pydantic's validation errors said in Bahasa Indonesia, for the API's 422 answers.

pydantic writes its messages in English ("Field required", "Input should be a
valid integer"). The API answers a request that does not fit its schema with
`{"error": {"code": "validation_error", "message", "details": {field: text}}}`
(`errors.validation_error_response`); each text comes from here: a map from
pydantic's error `type` (https://docs.pydantic.dev/latest/errors/validation_errors/)
to an Indonesian sentence filled with the error's `ctx` (a limit, the allowed
values). Every type pydantic-core knows has a text; should a new version add
one, the answer is a generic Indonesian sentence (and a warning in the log),
never pydantic's English.

An error raised by the service's own validators (`PydanticCustomError` with a
type of its own, e.g. `email_invalid`, `consent_required`) already carries an
Indonesian message, and keeps it.
"""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

from .formatting import number_text

log = logging.getLogger(__name__)

# The error types of pydantic-core itself; any other type is the service's own.
PYDANTIC_TYPES: frozenset[str] = frozenset(typing.get_args(ErrorType))

Context = Mapping[str, Any]


def _n(ctx: Context, key: str) -> str:
    """A limit from the context, written the Indonesian way ("1.000", "0,5")."""
    value = ctx[key]
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    return number_text(value)


def _choices(ctx: Context, key: str) -> str:
    """pydantic's list of allowed values ("'a', 'b' or 'c'") as codes in Indonesian:
    "`a`, `b` atau `c`"."""
    head, sep, last = str(ctx[key]).rpartition(" or ")
    text = f"{head} {_('atau')} {last}" if sep else last
    return re.sub(r"'([^']*)'", r"`\1`", text)


def _json_position(ctx: Context) -> str:
    """Where JSON broke: "baris 1, kolom 2" from pydantic's "... at line 1 column 2"."""
    match = re.search(r"line (\d+) column (\d+)", str(ctx["error"]))
    if not match:
        raise KeyError("error")
    return _("baris %(line)s, kolom %(column)s", line=match[1], column=match[2])


# Texts that need nothing from the error's context.
_OBJECT = _l("Harus berupa objek JSON ({...}).")
_LIST = _l("Harus berupa daftar (larik JSON [...]).")
_DATE = _l("Harus berupa tanggal dengan format TTTT-BB-HH, misalnya 2026-11-06.")
_DATETIME = _l(
    "Harus berupa tanggal dan jam ISO 8601 dengan zona waktu, misalnya 2026-11-06T08:00:00+07:00."
)
_TIME = _l("Harus berupa jam dengan format JJ:MM, misalnya 08:30.")
_URL = _l("Harus berupa alamat URL yang sah.")
_INVALID = _l("Nilai tidak valid.")
_REQUIRED = _l("Wajib diisi.")
_UNKNOWN_FIELD = _l("Isian ini tidak dikenal; hapus dari permintaan.")
_WRONG_KIND = _l("Jenis datanya tidak sesuai.")
_BOOLEAN = _l("Harus `true` atau `false`.")
_INTEGER = _l("Harus berupa bilangan bulat.")
_NUMBER = _l("Harus berupa angka.")
_DECIMAL = _l("Harus berupa angka (pemisah desimalnya titik).")
_FROZEN = _l("Tidak boleh diubah.")
_DURATION = _l("Harus berupa lama waktu.")
_UUID = _l("Harus berupa UUID.")
_FRACTION = _l("Harus berupa pecahan.")
_COMPLEX = _l("Harus berupa bilangan kompleks.")
_CHOICE = _l("Bukan salah satu pilihan yang dikenal.")
_TOO_SMALL = _l("Terlalu kecil.")
_TOO_LARGE = _l("Terlalu besar.")
_TOO_SHORT = _l("Terlalu pendek.")
_TOO_LONG = _l("Terlalu panjang.")

_PLAIN: dict[str, LazyString] = {
    # presence and shape
    "missing": _REQUIRED,
    "missing_argument": _REQUIRED,
    "missing_keyword_only_argument": _REQUIRED,
    "missing_positional_only_argument": _REQUIRED,
    "extra_forbidden": _UNKNOWN_FIELD,
    "unexpected_keyword_argument": _UNKNOWN_FIELD,
    "unexpected_positional_argument": _UNKNOWN_FIELD,
    "no_such_attribute": _UNKNOWN_FIELD,
    "multiple_argument_values": _l("Diisi lebih dari sekali."),
    "arguments_type": _OBJECT,
    "none_required": _l("Harus kosong (`null`)."),
    "frozen_field": _FROZEN,
    "frozen_instance": _FROZEN,
    "default_factory_not_called": _l("Belum dapat diperiksa karena isian lain masih salah."),
    "get_attribute_error": _INVALID,
    "needs_python_object": _INVALID,
    "missing_sentinel_error": _INVALID,
    "ellipsis_error": _INVALID,
    "is_instance_of": _WRONG_KIND,
    "is_subclass_of": _WRONG_KIND,
    "callable_type": _WRONG_KIND,
    # JSON as a whole
    "json_invalid": _l("Bukan JSON yang sah."),
    "json_type": _l("Harus berupa teks JSON."),
    "recursion_loop": _l("Data merujuk dirinya sendiri."),
    "recursion_depth_exceeded": _l("Data bersarang terlalu dalam."),
    # objects
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "dataclass_type": _OBJECT,
    "dataclass_exact_type": _OBJECT,
    "named_tuple_type": _OBJECT,
    "dict_type": _OBJECT,
    "frozen_dict_type": _OBJECT,
    "ordered_dict_type": _OBJECT,
    "counter_type": _OBJECT,
    "mapping_type": _OBJECT,
    "invalid_key": _l("Setiap kunci harus berupa teks."),
    "union_tag_invalid": _INVALID,
    "union_tag_not_found": _REQUIRED,
    # lists
    "list_type": _LIST,
    "tuple_type": _LIST,
    "set_type": _LIST,
    "frozen_set_type": _LIST,
    "deque_type": _LIST,
    "iterable_type": _LIST,
    "iteration_error": _LIST,
    "set_item_not_hashable": _l("Isi daftar ini tidak dapat dibandingkan."),
    "too_short": _l("Butirnya terlalu sedikit."),
    "too_long": _l("Butirnya terlalu banyak."),
    # text and bytes
    "string_type": _l("Harus berupa teks."),
    "string_unicode": _l("Harus berupa teks Unicode yang sah."),
    "string_too_short": _TOO_SHORT,
    "string_too_long": _TOO_LONG,
    "string_pattern_mismatch": _l("Bentuknya tidak sesuai."),
    "string_not_ascii": _l("Hanya boleh berisi huruf, angka dan tanda baca ASCII."),
    "bytes_type": _l("Harus berupa data biner."),
    "bytes_too_short": _TOO_SHORT,
    "bytes_too_long": _TOO_LONG,
    "bytes_invalid_encoding": _INVALID,
    # choices
    "enum": _CHOICE,
    "literal_error": _CHOICE,
    # booleans and numbers
    "bool_type": _BOOLEAN,
    "bool_parsing": _BOOLEAN,
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_parsing_size": _l("Bilangannya terlalu besar."),
    "int_from_float": _l("Harus berupa bilangan bulat, tanpa pecahan."),
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "finite_number": _l("Harus berupa angka yang terhingga."),
    "decimal_type": _DECIMAL,
    "decimal_parsing": _DECIMAL,
    "decimal_max_digits": _l("Digitnya terlalu banyak."),
    "decimal_max_places": _l("Angka di belakang komanya terlalu banyak."),
    "decimal_whole_digits": _l("Digitnya terlalu banyak."),
    "fraction_type": _FRACTION,
    "fraction_parsing": _FRACTION,
    "complex_type": _COMPLEX,
    "complex_str_parsing": _COMPLEX,
    "greater_than": _TOO_SMALL,
    "greater_than_equal": _TOO_SMALL,
    "less_than": _TOO_LARGE,
    "less_than_equal": _TOO_LARGE,
    "multiple_of": _INVALID,
    # dates and times
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _l("Harus berupa tanggal saja, tanpa jam."),
    "date_past": _l("Harus tanggal yang sudah lewat."),
    "date_future": _l("Harus tanggal yang akan datang."),
    "time_type": _TIME,
    "time_parsing": _TIME,
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "datetime_past": _l("Harus waktu yang sudah lewat."),
    "datetime_future": _l("Harus waktu yang akan datang."),
    "timezone_naive": _l("Tidak boleh memuat zona waktu."),
    "timezone_aware": _l("Harus memuat zona waktu, misalnya +07:00 untuk WIB."),
    "timezone_offset": _l("Zona waktunya tidak sesuai."),
    "time_delta_type": _DURATION,
    "time_delta_parsing": _DURATION,
    # addresses and identifiers
    "url_type": _URL,
    "url_parsing": _URL,
    "url_syntax_violation": _URL,
    "url_too_long": _l("Alamat URL terlalu panjang."),
    "url_scheme": _URL,
    "uuid_type": _UUID,
    "uuid_parsing": _UUID,
    "uuid_version": _UUID,
    # the service's validators written as plain exceptions: their text may be anyone's
    "value_error": _INVALID,
    "assertion_error": _INVALID,
}

# Texts filled from the error's context (a limit, the allowed values); when the
# context lacks what a text needs, the type's plain text above is used.
# fmt: off
_WITH_CONTEXT: dict[str, Callable[[Context], str]] = {
    "no_such_attribute": lambda c: _("Isian %(name)s tidak dikenal.", name=c["attribute"]),
    "json_invalid": lambda c: _("Bukan JSON yang sah (%(where)s).", where=_json_position(c)),
    "union_tag_invalid": lambda c: _(
        "Jenis %(tag)s tidak dikenal; gunakan %(tags)s.",
        tag=c["tag"], tags=_choices(c, "expected_tags")),
    "union_tag_not_found": lambda c: _("Isian %(name)s wajib ada.", name=c["discriminator"]),
    "too_short": lambda c: _("Paling sedikit %(n)s butir.", n=_n(c, "min_length")),
    "too_long": lambda c: _("Paling banyak %(n)s butir.", n=_n(c, "max_length")),
    "string_too_short": lambda c: str(_REQUIRED) if c["min_length"] == 1 else _(
        "Paling sedikit %(n)s karakter.", n=_n(c, "min_length")),
    "string_too_long": lambda c: _("Paling banyak %(n)s karakter.", n=_n(c, "max_length")),
    "string_pattern_mismatch": lambda c: _(
        "Bentuknya tidak sesuai (pola `%(pattern)s`).", pattern=c["pattern"]),
    "bytes_too_short": lambda c: _("Paling sedikit %(n)s bita.", n=_n(c, "min_length")),
    "bytes_too_long": lambda c: _("Paling banyak %(n)s bita.", n=_n(c, "max_length")),
    "bytes_invalid_encoding": lambda c: _(
        "Bukan data %(encoding)s yang sah.", encoding=c["encoding"]),
    "enum": lambda c: _("Harus salah satu dari: %(choices)s.", choices=_choices(c, "expected")),
    "literal_error": lambda c: _(
        "Harus salah satu dari: %(choices)s.", choices=_choices(c, "expected")),
    "decimal_max_digits": lambda c: _("Paling banyak %(n)s digit.", n=_n(c, "max_digits")),
    "decimal_max_places": lambda c: _(
        "Paling banyak %(n)s angka di belakang koma.", n=_n(c, "decimal_places")),
    "decimal_whole_digits": lambda c: _(
        "Paling banyak %(n)s digit sebelum koma.", n=_n(c, "whole_digits")),
    "greater_than": lambda c: _("Harus lebih dari %(n)s.", n=_n(c, "gt")),
    "greater_than_equal": lambda c: _("Paling kecil %(n)s.", n=_n(c, "ge")),
    "less_than": lambda c: _("Harus kurang dari %(n)s.", n=_n(c, "lt")),
    "less_than_equal": lambda c: _("Paling besar %(n)s.", n=_n(c, "le")),
    "multiple_of": lambda c: _("Harus kelipatan %(n)s.", n=_n(c, "multiple_of")),
    "timezone_offset": lambda c: _(
        "Selisih zona waktunya harus %(n)s detik.", n=_n(c, "tz_expected")),
    "url_too_long": lambda c: _(
        "Alamat URL paling banyak %(n)s karakter.", n=_n(c, "max_length")),
    "url_scheme": lambda c: _(
        "Alamat URL harus diawali %(schemes)s.", schemes=_choices(c, "expected_schemes")),
    "uuid_version": lambda c: _("Harus UUID versi %(n)s.", n=_n(c, "expected_version")),
}
# fmt: on


def message(error: ErrorDetails) -> str:
    """One pydantic error as an Indonesian sentence."""
    kind = error["type"]
    if kind not in PYDANTIC_TYPES:
        return error["msg"]  # the service's own error type: its message is Indonesian
    plain = _PLAIN.get(kind)
    if plain is None:
        log.warning("no Indonesian text for pydantic error type %s", kind)
        return str(_INVALID)
    with_context = _WITH_CONTEXT.get(kind)
    if with_context is not None:
        try:
            return with_context(error.get("ctx") or {})
        except (KeyError, TypeError, ValueError):
            pass  # e.g. a custom error that kept pydantic's type but not its context
    return str(plain)


def field_messages(error: ValidationError) -> dict[str, str]:
    """`{field: message}` for the 422 body: the field's dotted path ("body" for the
    whole request), the first problem of each field."""
    details: dict[str, str] = {}
    for e in error.errors(include_url=False):
        where = ".".join(str(part) for part in e["loc"]) or "body"
        details.setdefault(where, message(e))
    return details


def known_types() -> frozenset[str]:
    """The pydantic error types with an Indonesian text (tests check pydantic's against it)."""
    return frozenset(_PLAIN)
