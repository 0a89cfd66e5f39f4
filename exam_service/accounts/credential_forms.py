"""Page forms for a forgotten password, a new password and a new address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..core.forms import ServiceForm
from .forms import bare_email_address


class ForgotPasswordForm(ServiceForm):
    email = EmailField(_l("Surel"), validators=[DataRequired(), bare_email_address])


class NewPasswordForm(ServiceForm):
    password = PasswordField(
        _l("Kata sandi baru (minimal 8 karakter)"), validators=[DataRequired(), Length(max=128)]
    )
    repeat = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(), EqualTo("password", _l("Kedua kata sandi tidak sama."))],
    )


class ChangePasswordForm(ServiceForm):
    current_password = PasswordField(_l("Kata sandi saat ini"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("Kata sandi baru (minimal 8 karakter)"), validators=[DataRequired(), Length(max=128)]
    )
    repeat = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(), EqualTo("new_password", _l("Kedua kata sandi tidak sama."))],
    )


class ChangeEmailForm(ServiceForm):
    new_email = EmailField(
        _l("Alamat surel baru"), validators=[DataRequired(), bare_email_address, Length(max=254)]
    )
    password = PasswordField(
        _l("Kata sandi (untuk memastikan ini Anda)"), validators=[DataRequired()]
    )
