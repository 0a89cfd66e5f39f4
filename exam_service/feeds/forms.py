"""Page forms of the feeds module (Flask-WTF: CSRF on every unsafe one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import ServiceForm
from .events import ATTEMPT_GRADED, RESULT_PUBLISHED
from .keys import MAX_NAME_LENGTH, PII_READ, RESULTS_READ


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as checkboxes (phones handle them better than a list box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApiKeyForm(ServiceForm):
    name = StringField(
        _l("Nama (misalnya: Sistem rekrutmen pusat)"),
        validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)],
    )
    scopes = CheckboxesField(
        _l("Cakupan"),
        choices=[
            SelectChoice(RESULTS_READ, _l("Membaca hasil ujian (results:read)")),
            SelectChoice(PII_READ, _l("Melihat NIK lengkap (pii:read)")),
        ],
        default=[RESULTS_READ],
        validators=[DataRequired(_l("Pilih minimal satu cakupan."))],
    )


class WebhookForm(ServiceForm):
    name = StringField(_l("Nama"), validators=[DataRequired(), Length(max=100)])
    url = StringField(
        _l("Alamat (URL) penerima"),
        validators=[DataRequired(), Length(max=500)],
        render_kw={"type": "url", "placeholder": "https://"},
    )
    events = CheckboxesField(
        _l("Kejadian"),
        choices=[
            SelectChoice(ATTEMPT_GRADED, _l("Ujian dinilai (attempt.graded)")),
            SelectChoice(RESULT_PUBLISHED, _l("Hasil akhir diumumkan (result.published)")),
        ],
        default=[ATTEMPT_GRADED, RESULT_PUBLISHED],
        validators=[DataRequired(_l("Pilih minimal satu kejadian."))],
    )
