"""Page forms of the accounts module (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    Form,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..core.forms import ServiceForm
from .models import Education, Gender
from .profiles import EDUCATION_LABELS, GENDER_LABELS, ProfileInput
from .service import InvalidEmail, canonical_email


def bare_email_address(form: Form, field: Field) -> None:
    """The API's rule (schemas.EmailAddress): a bare address, no `Nama <alamat>`."""
    try:
        canonical_email(field.data or "")
    except InvalidEmail as e:
        raise ValidationError(str(e)) from None


class RegisterForm(ServiceForm):
    full_name = StringField(_l("Nama lengkap"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Surel"), validators=[DataRequired(), bare_email_address, Length(max=254)]
    )
    password = PasswordField(
        _l("Kata sandi (minimal 8 karakter)"), validators=[DataRequired(), Length(max=128)]
    )
    # The text agreed to is shown above the box (templates/accounts/_consent.html).
    consent = BooleanField(
        _l("Saya menyetujui pemrosesan data pribadi saya sebagaimana dijelaskan di atas."),
        validators=[DataRequired(_l("Persetujuan pemrosesan data pribadi wajib diberikan."))],
    )


class LoginForm(ServiceForm):
    email = EmailField(_l("Surel"), validators=[DataRequired(), bare_email_address])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired()])


class ResendForm(ServiceForm):
    email = EmailField(_l("Surel"), validators=[DataRequired(), bare_email_address])


class ProfileForm(ServiceForm):
    """The profile page; the rules (NIK, phone, birth date) are checked by the service."""

    nik = StringField(_l("NIK (16 angka, sesuai KTP)"), validators=[DataRequired(), Length(max=32)])
    full_name = StringField(
        _l("Nama lengkap (sesuai KTP)"), validators=[DataRequired(), Length(max=120)]
    )
    birth_date = DateField(_l("Tanggal lahir"), validators=[InputRequired()])
    gender = RadioField(
        _l("Jenis kelamin"),
        choices=[SelectChoice(g.value, label) for g, label in GENDER_LABELS.items()],
        validators=[InputRequired()],
    )
    address = TextAreaField(_l("Alamat"), validators=[DataRequired(), Length(max=300)])
    village = StringField(_l("Desa/kelurahan"), validators=[DataRequired(), Length(max=100)])
    district = StringField(_l("Kecamatan"), validators=[DataRequired(), Length(max=100)])
    phone = TelField(
        _l("Nomor ponsel (08... atau +628...)"), validators=[DataRequired(), Length(max=32)]
    )
    # No level is preselected: a default below an activity's minimum would be saved
    # by whoever overlooks the field. The empty first option is refused.
    education = SelectField(
        _l("Pendidikan terakhir"),
        choices=[
            SelectChoice("", _l("Pilih pendidikan")),
            *(SelectChoice(e.value, label) for e, label in EDUCATION_LABELS.items()),
        ],
        validators=[InputRequired(_l("Pilih pendidikan terakhir Anda."))],
    )

    def profile_input(self) -> ProfileInput:
        return ProfileInput(
            nik=self.nik.data,
            full_name=self.full_name.data,
            birth_date=self.birth_date.data,
            gender=Gender(self.gender.data),
            address=self.address.data,
            village=self.village.data,
            district=self.district.data,
            phone=self.phone.data,
            education=Education(self.education.data),
        )
