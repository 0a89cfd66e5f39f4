"""Page forms of the scheduling module (Flask-WTF: CSRF on every unsafe one).

Times are entered in the office's zone in a `datetime-local` input whose label
names the zone; the service checks the rules and its per-field messages are put
back on the fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..core.forms import ServiceForm, ZonedLabel, datetime_field
from .schemas import MAX_CAPACITY, MAX_PLACE_LENGTH

_CAPACITY_RANGE = NumberRange(
    min=1, max=MAX_CAPACITY, message=_l("Kapasitas harus antara 1 dan %(max)d.")
)


class SessionForm(ServiceForm):
    starts_at = datetime_field(ZonedLabel(_l("Mulai")))
    capacity = IntegerField(
        _l("Kapasitas (kursi)"), default=40, validators=[InputRequired(), _CAPACITY_RANGE]
    )
    place = StringField(_l("Tempat (boleh kosong)"), validators=[Length(max=MAX_PLACE_LENGTH)])


class SessionEditForm(ServiceForm):
    """The capacity and place of one row of the admin's session table."""

    capacity = IntegerField(_l("Kapasitas"), validators=[InputRequired(), _CAPACITY_RANGE])
    place = StringField(_l("Tempat"), validators=[Length(max=MAX_PLACE_LENGTH)])


class ConfirmForm(ServiceForm):
    understood = BooleanField(
        _l("Saya mengerti pilihan ini tidak dapat diubah"),
        validators=[DataRequired(_l("Centang pernyataan ini untuk melanjutkan."))],
    )
