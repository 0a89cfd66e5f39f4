"""Views for a forgotten password, changing the password and changing the address.

The paths of the reset API are fixed by the public contract (docs/design.md):
POST /api/v1/auth/password-reset and POST /api/v1/auth/password-reset/confirm.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.api import (
    SESSION_AUTH,
    MessageOut,
    api_blueprint,
    json_response,
    responses,
    validate_request,
)
from ..core.errors import ServiceError
from ..core.extensions import csrf
from . import credentials
from .credential_forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
)
from .credential_schemas import (
    EmailChangeConfirmIn,
    EmailChangeIn,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
)
from .routes import account_key, action_limit
from .schemas import UserOut
from .service import InvalidToken

api = api_blueprint("credentials_api", __name__, "auth")
pages = Blueprint("credentials", __name__)

RESET_REQUESTED = (
    "Jika alamat itu terdaftar, tautan untuk membuat kata sandi baru telah dikirim ke sana."
)
RESET_DONE = "Kata sandi baru tersimpan. Semua sesi masuk akun Anda telah diakhiri; silakan masuk."
EMAIL_CHANGE_REQUESTED = (
    "Tautan konfirmasi telah dikirim ke alamat baru. Alamat berubah setelah tautan itu dibuka."
)

# Each request mails an address: limited per address asked for and per client.
reset_address_limit = action_limit("PASSWORD_RESET_RATE_LIMIT", "password-reset-address")
reset_account_limit = action_limit(
    "PASSWORD_RESET_RATE_LIMIT", "password-reset-account", key_func=account_key
)


# --- JSON API ---------------------------------------------------------------


@api.post("/auth/password-reset", responses=responses(202, MessageOut))
@reset_address_limit
@reset_account_limit
def api_password_reset(body: PasswordResetIn) -> Response:
    """Mail a single-use, expiring link; the same answer whether or not the account exists."""
    credentials.request_password_reset(body.email)
    return json_response(MessageOut(message=_(RESET_REQUESTED)), 202)


@api.post("/auth/password-reset/confirm", responses=responses(200, MessageOut))
def api_password_reset_confirm(body: PasswordResetConfirmIn) -> Response:
    """Set the new password and end every login of the account; a used or expired token is 400."""
    credentials.reset_password(body.token, body.password)
    return json_response(MessageOut(message=_(RESET_DONE)))


@api.post("/auth/email-change/confirm", responses=responses(200, UserOut))
def api_email_change_confirm(body: EmailChangeConfirmIn) -> Response:
    return json_response(UserOut.model_validate(credentials.confirm_email_change(body.token)))


for _view in (api_password_reset, api_password_reset_confirm, api_email_change_confirm):
    csrf.exempt(_view)


@api.post("/me/password", responses=responses(200, MessageOut), security=SESSION_AUTH)
@login_required
@validate_request()
def api_change_password(body: PasswordChangeIn) -> Response:
    """Change the password; every other login of the account ends, this one stays."""
    credentials.change_password(current_user, body.current_password, body.new_password)
    return json_response(MessageOut(message=_("Kata sandi diubah.")))


@api.post("/me/email", responses=responses(202, MessageOut), security=SESSION_AUTH)
@login_required
@validate_request()
def api_change_email(body: EmailChangeIn) -> Response:
    """Mail a confirmation link to the new address; the address changes when it is opened."""
    credentials.request_email_change(current_user, body.password, body.new_email)
    return json_response(MessageOut(message=_(EMAIL_CHANGE_REQUESTED)), 202)


# --- pages ------------------------------------------------------------------


@pages.route("/lupa-sandi", methods=["GET", "POST"])
@reset_address_limit
@reset_account_limit
def forgot_page() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        credentials.request_password_reset(form.email.data)
        flash(_(RESET_REQUESTED), "success")
        return redirect(url_for("accounts.login_page"))
    status = 422 if request.method == "POST" else 200
    minutes = current_app.config["PASSWORD_RESET_TOKEN_MINUTES"]
    return render_template("accounts/forgot.html", form=form, minutes=minutes), status


@pages.route("/atur-ulang-sandi/<token>", methods=["GET", "POST"])
def reset_page(token: str) -> Any:
    """The mailed link: a form for the new password (GET never uses up the token)."""
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            credentials.reset_password(token, form.password.data)
        except InvalidToken as e:
            return render_template("accounts/reset.html", form=None, error=e.message), e.status
        except ServiceError as e:
            form.show_service_error(e, default_field="password")
            return render_template("accounts/reset.html", form=form, error=None), e.status
        flash(_(RESET_DONE), "success")
        return redirect(url_for("accounts.login_page"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset.html", form=form, error=None), status


@pages.route("/akun")
@login_required
def account_page() -> Any:
    return _account_page(ChangePasswordForm(), ChangeEmailForm())


@pages.route("/akun/sandi", methods=["POST"])
@login_required
def change_password_page() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            credentials.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ServiceError as e:
            form.show_service_error(e, default_field="new_password")
            return _account_page(form, ChangeEmailForm(formdata=None), e.status)
        flash(_("Kata sandi diubah. Sesi masuk di perangkat lain telah diakhiri."), "success")
        return redirect(url_for("credentials.account_page"), 303)
    return _account_page(form, ChangeEmailForm(formdata=None), 422)


@pages.route("/akun/surel", methods=["POST"])
@login_required
def change_email_page() -> Any:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            credentials.request_email_change(current_user, form.password.data, form.new_email.data)
        except ServiceError as e:
            form.show_service_error(e, default_field="new_email")
            return _account_page(ChangePasswordForm(formdata=None), form, e.status)
        flash(_(EMAIL_CHANGE_REQUESTED), "success")
        return redirect(url_for("credentials.account_page"), 303)
    return _account_page(ChangePasswordForm(formdata=None), form, 422)


def _account_page(
    password_form: ChangePasswordForm, email_form: ChangeEmailForm, status: int = 200
) -> Any:
    page = render_template(
        "accounts/account.html", password_form=password_form, email_form=email_form
    )
    return page, status


@pages.route("/surel/konfirmasi/<token>", methods=["GET", "POST"])
def confirm_email_page(token: str) -> Any:
    """GET shows a button; the POST confirms, so mail scanners do not use the token up."""
    if request.method == "POST":
        try:
            credentials.confirm_email_change(token)
        except ServiceError as e:
            return render_template("accounts/confirm_email.html", error=e.message), e.status
        flash(_("Alamat surel Anda telah diubah."), "success")
        return redirect(url_for("main.home"))
    return render_template("accounts/confirm_email.html", error=None)
