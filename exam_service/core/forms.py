"""The base of every page form: a service's refusal shown where the person looks.

Services refuse with `ServiceError`; an `Invalid` maps field names to messages.
`show_service_error` puts each message on the field it names, so pages never
copy that loop (cookiecutter-flask's `flash_errors` is the same idea).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import Field, Form, StringField, ValidationError
from wtforms.validators import DataRequired, Optional

from .clock import current_zone, to_local, zone_name
from .errors import ServiceError


class _WTFormsIndonesian:
    """WTForms' own messages in Indonesian (WTForms ships no Indonesian catalogue).

    WTForms asks `Meta.get_translations(form)` for an object with gettext/ngettext
    and passes its English message ids; an id missing here stays as it is.
    """

    _SINGULAR: Mapping[str, Any] = {
        "This field is required.": _l("Wajib diisi."),
        "Invalid input.": _l("Isian tidak valid."),
        "Invalid email address.": _l("Alamat surel tidak valid."),
        "Invalid URL.": _l("Alamat URL tidak valid."),
        "Not a valid choice.": _l("Pilihan tidak valid."),
        "Invalid Choice: could not coerce.": _l("Pilihan tidak valid."),
        "'%(value)s' is not a valid choice for this field.": _l("Pilihan tidak valid."),
        "Not a valid integer value.": _l("Harus bilangan bulat."),
        "Not a valid decimal value.": _l("Harus angka."),
        "Not a valid float value.": _l("Harus angka."),
        "Not a valid date value.": _l("Tanggal tidak valid."),
        "Not a valid datetime value.": _l("Tanggal dan jam tidak valid."),
        "Not a valid time value.": _l("Jam tidak valid."),
        "Number must be at least %(min)s.": _l("Paling kecil %(min)s."),
        "Number must be at most %(max)s.": _l("Paling besar %(max)s."),
        "Number must be between %(min)s and %(max)s.": _l("Harus antara %(min)s dan %(max)s."),
        "Field must be equal to %(other_name)s.": _l("Harus sama dengan %(other_name)s."),
        "Field must be between %(min)d and %(max)d characters long.": _l(
            "Harus %(min)d sampai %(max)d karakter."
        ),
    }
    _PLURAL: Mapping[str, Any] = {
        "Field must be at least %(min)d character long.": _l("Paling sedikit %(min)d karakter."),
        "Field cannot be longer than %(max)d character.": _l("Paling banyak %(max)d karakter."),
        "Field must be exactly %(max)d character long.": _l("Harus tepat %(max)d karakter."),
        "'%(value)s' is not a valid choice for this field.": _l("Pilihan tidak valid."),
    }

    def gettext(self, message: str) -> str:
        return str(self._SINGULAR.get(message, message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self._PLURAL.get(singular)
        return str(found) if found is not None else (singular if n == 1 else plural)


_INDONESIAN = _WTFormsIndonesian()


class SubForm(Form):
    """A row inside a page form (a FormField/FieldList entry), in Indonesian too."""

    class Meta:
        def get_translations(self, form: Form) -> _WTFormsIndonesian:
            return _INDONESIAN


class ServiceForm(FlaskForm):
    """A FlaskForm that can show a service's refusal on its fields, and speaks
    Indonesian also in WTForms' own messages."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Form) -> _WTFormsIndonesian:
            return _INDONESIAN

    # Service detail keys that this form names differently, e.g. a service's
    # "blueprint" shown on the form's "blueprint_categories".
    SERVICE_FIELDS: ClassVar[Mapping[str, str]] = {}

    def show_service_error(self, error: ServiceError, default_field: str | None = None) -> None:
        """Put each of the error's messages on its field.

        A message whose key names no field of this form, and the message of an
        error without per-field details, go on `default_field`; without one they
        are flashed, so no refusal is ever silent.
        """
        details = error.details if isinstance(error.details, Mapping) and error.details else None
        for key, message in (details or {None: error.message}).items():
            field = self.field_for(key) if key is not None else None
            if field is None and default_field is not None:
                field = self[default_field]
            if field is None:
                flash(str(message), "error")
            else:
                field.errors = [*field.errors, message]

    def field_for(self, key: str) -> Field | None:
        """The field that shows a service message about `key` (None: no such field)."""
        field = getattr(self, self.SERVICE_FIELDS.get(key, key), None)
        return field if isinstance(field, Field) else None


# --- date and time inputs ---------------------------------------------------------

# What <input type="datetime-local"> sends and shows: a local time, no zone.
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class ZonedLabel:
    """A field label that names the page's zone when rendered: "Mulai (WITA)".

    Forms are classes built once, their pages are shown in different offices'
    zones: the zone is read when the label is rendered, within the request.
    """

    def __init__(self, label: Any, hint: Any = None) -> None:
        self.label = label
        self.hint = hint

    def __str__(self) -> str:
        zone = zone_name(current_zone())
        return f"{self.label} ({zone}, {self.hint})" if self.hint else f"{self.label} ({zone})"

    def __html__(self) -> str:
        return str(escape(str(self)))


def datetime_field(label: Any, required: bool = True) -> StringField:
    """A date-and-time input; the view reads it in the office's zone (`clock.parse_local`).

    Give it a `ZonedLabel`, so the person sees which zone they type in.
    """
    return StringField(
        label,
        validators=[DataRequired() if required else Optional(), _valid_local_datetime],
        render_kw={"type": "datetime-local"},
    )


def local_input(value: datetime | None, zone: ZoneInfo) -> str:
    """A stored UTC time as a `datetime_field` shows it in `zone`."""
    return to_local(value, zone).strftime(LOCAL_INPUT_FORMAT) if value else ""


def _valid_local_datetime(form: Form, field: Field) -> None:
    if field.data:
        try:
            datetime.fromisoformat(field.data)
        except ValueError:
            raise ValidationError(_l("Tanggal dan jam tidak valid.")) from None
