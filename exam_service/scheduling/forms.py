"""Page forms of the scheduling module (Flask-WTF: CSRF on every unsafe one).

Times are entered in WIB in a `datetime-local` input; the service checks the
rules and its per-field messages are put back on the fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ..core.clock import parse_wib
from .schemas import MAX_CAPACITY, MAX_PLACE_LENGTH

_CAPACITY_RANGE = NumberRange(
    min=1, max=MAX_CAPACITY, message=_l("Kapasitas harus antara 1 dan %(max)d.")
)


def _wib_datetime(form: FlaskForm, field: Field) -> None:
    try:
        parse_wib(field.data or "")
    except ValueError:
        raise ValidationError(_l("Tanggal dan jam tidak valid.")) from None


class SessionForm(FlaskForm):
    starts_at = StringField(
        _l("Mulai (WIB)"),
        validators=[DataRequired(), _wib_datetime],
        render_kw={"type": "datetime-local"},
    )
    capacity = IntegerField(
        _l("Kapasitas (kursi)"), default=40, validators=[InputRequired(), _CAPACITY_RANGE]
    )
    place = StringField(_l("Tempat (boleh kosong)"), validators=[Length(max=MAX_PLACE_LENGTH)])

    def show_service_errors(self, details: dict[str, str] | None) -> None:
        for key, message in (details or {}).items():
            field = getattr(self, key, None)
            if isinstance(field, Field):
                field.errors = [*field.errors, message]


class SessionEditForm(FlaskForm):
    """The capacity and place of one row of the admin's session table."""

    capacity = IntegerField(_l("Kapasitas"), validators=[InputRequired(), _CAPACITY_RANGE])
    place = StringField(_l("Tempat"), validators=[Length(max=MAX_PLACE_LENGTH)])


class ConfirmForm(FlaskForm):
    understood = BooleanField(
        _l("Saya mengerti pilihan ini tidak dapat diubah"),
        validators=[DataRequired(_l("Centang pernyataan ini untuk melanjutkan."))],
    )
