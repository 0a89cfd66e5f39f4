"""Credentials after registration: a forgotten password, changing it, changing the address.

Like registration, a reset request answers and works the same whether or not
the account exists (ASVS 6.3.8, DESIGN section 5): both paths hash a new token
and queue one mail, to the owner with the link or to the address saying no
account uses it. Tokens are 256-bit random values; only their SHA-256 is stored,
each works once, and none is ever logged.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..core.audit import record
from ..core.clock import utcnow
from ..core.errors import Conflict, Invalid
from ..core.extensions import db
from ..core.mail import mail_link, send_mail
from .models import EmailChangeToken, PasswordResetToken, User
from .passwords import verify_password
from .service import (
    InvalidToken,
    canonical_email,
    checked_password_hash,
    claim_token,
    end_logins,
    normalize_email,
    token_hash,
)


def request_password_reset(email: str) -> None:
    """Mail a single-use, expiring reset link to the account of `email`, if any."""
    address = normalize_email(email)
    token = secrets.token_urlsafe(32)
    user = db.session.scalar(db.select(User).where(User.email == address))
    if user is None or user.disabled_at is not None:
        _mail_no_account(address)
        return
    minutes = current_app.config["PASSWORD_RESET_TOKEN_MINUTES"]
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    link = mail_link("credentials.reset_page", token=token)
    send_mail(
        user.email,
        _("Atur ulang kata sandi"),
        _(
            "Halo %(name)s,\n\nAda permintaan untuk mengatur ulang kata sandi akun Anda. "
            "Buka tautan berikut untuk membuat kata sandi baru (berlaku %(minutes)d menit, "
            "sekali pakai):\n\n%(link)s\n\nSetelah kata sandi diganti, semua sesi masuk "
            "akun Anda diakhiri.\n\nAbaikan surel ini jika Anda tidak memintanya; kata "
            "sandi Anda tidak berubah.",
            name=user.full_name,
            minutes=minutes,
            link=link,
        ),
    )


def _mail_no_account(address: str) -> None:
    send_mail(
        address,
        _("Atur ulang kata sandi"),
        _(
            "Halo,\n\nAda permintaan untuk mengatur ulang kata sandi dengan alamat surel "
            "ini, tetapi tidak ada akun aktif yang memakai alamat ini.\n\nJika Anda ingin "
            "mendaftar, buka %(link)s. Abaikan surel ini jika Anda tidak memintanya.",
            link=mail_link("accounts.register_page"),
        ),
    )


def reset_password(token: str, password: str) -> User:
    """Set a new password through a mailed token and end every login of the account.

    A used, expired or unknown token is `InvalidToken` (400); a password that
    breaks the rules is `Invalid` (422), and the request's rollback leaves the
    token usable.
    """
    row = claim_token(
        PasswordResetToken,
        token,
        _("Tautan atur ulang kata sandi tidak valid, sudah dipakai, atau kedaluwarsa."),
        _("Tautan atur ulang kata sandi sudah dipakai."),
    )
    user = db.session.get_one(User, row.user_id)
    if user.disabled_at is not None:
        raise InvalidToken(_("Akun ini dinonaktifkan."))
    user.password_hash = checked_password_hash(password)
    # Every other link mailed before this one stops working too.
    db.session.execute(
        db.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=row.used_at)
    )
    if user.activated_at is None:
        user.activated_at = row.used_at  # the link proved that the address is the person's
    end_logins(user.id)
    record(user.id, "password_reset", "user", user.id)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password of a signed-in user; every other login of theirs ends."""
    if not verify_password(user.password_hash, current_password):
        message = _("Kata sandi saat ini salah.")
        raise Invalid(message, details={"current_password": message})
    user.password_hash = checked_password_hash(new_password)
    end_logins(user.id, keep=user.login_session_id)
    record(user.id, "password_changed", "user", user.id)
    send_mail(
        user.email,
        _("Kata sandi Anda diubah"),
        _(
            "Halo %(name)s,\n\nKata sandi akun Anda baru saja diubah, dan sesi masuk "
            "lainnya diakhiri. Jika bukan Anda yang mengubahnya, segera atur ulang kata "
            "sandi di %(link)s dan hubungi panitia.",
            name=user.full_name,
            link=mail_link("credentials.forgot_page"),
        ),
    )


def request_email_change(user: User, password: str, new_email: str) -> None:
    """Mail a confirmation link to the new address; the address changes only when it
    is opened, so a typo never locks anyone out."""
    if not verify_password(user.password_hash, password):
        message = _("Kata sandi salah.")
        raise Invalid(message, details={"password": message})
    address = canonical_email(new_email)
    if address == user.email:
        message = _("Alamat baru sama dengan alamat sekarang.")
        raise Invalid(message, details={"new_email": message})
    token = secrets.token_urlsafe(32)
    hours = current_app.config["EMAIL_CHANGE_TOKEN_HOURS"]
    db.session.add(
        EmailChangeToken(
            user_id=user.id,
            new_email=address,
            token_hash=token_hash(token),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    record(user.id, "email_change_requested", "user", user.id)
    send_mail(
        address,
        _("Konfirmasi alamat surel baru"),
        _(
            "Halo %(name)s,\n\nBuka tautan berikut untuk memakai alamat ini sebagai "
            "alamat surel akun Anda (berlaku %(hours)d jam, sekali pakai):\n\n%(link)s\n\n"
            "Abaikan surel ini jika Anda tidak memintanya.",
            name=user.full_name,
            hours=hours,
            link=mail_link("credentials.confirm_email_page", token=token),
        ),
    )
    send_mail(
        user.email,
        _("Permintaan mengubah alamat surel"),
        _(
            "Halo %(name)s,\n\nAda permintaan untuk mengubah alamat surel akun Anda. "
            "Alamat baru berlaku setelah tautan yang kami kirim ke alamat baru dibuka. "
            "Jika bukan Anda yang memintanya, ganti kata sandi Anda di %(link)s.",
            name=user.full_name,
            link=mail_link("credentials.forgot_page"),
        ),
    )


def confirm_email_change(token: str) -> User:
    """Move the account to the confirmed new address (409 if another account took it)."""
    row = claim_token(
        EmailChangeToken,
        token,
        _("Tautan konfirmasi surel tidak valid, sudah dipakai, atau kedaluwarsa."),
        _("Tautan konfirmasi surel sudah dipakai."),
    )
    user = db.session.get_one(User, row.user_id)
    try:
        with db.session.begin_nested():
            user.email = row.new_email
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("Alamat surel ini sudah dipakai akun lain."), code="email_taken") from None
    record(user.id, "email_changed", "user", user.id)
    return user
