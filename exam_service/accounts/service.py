"""Accounts: registration, activation, login sessions.

Register, resend and login answer the same way whether or not an account
exists (ASVS 6.3.8). Tokens are 256-bit random values mailed to the user; only
their SHA-256 is stored, and none is ever logged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..core.clock import utcnow
from ..core.errors import Invalid, ServiceError
from ..core.extensions import db
from ..core.mail import mail_link, send_mail
from .auth import forget_logins
from .models import ActivationToken, ConsentRecord, LoginSession, MailedToken, Role, User
from .passwords import hash_password, needs_rehash, password_problem, verify_password

log = logging.getLogger(__name__)

# The version of the consent text (templates/accounts/_consent.html): change it
# with every change of that text, so each record tells which text was accepted.
CONSENT_VERSION = "2026-11-v2"


class LoginFailed(ServiceError):
    status, code = 401, "invalid_credentials"


class InvalidToken(ServiceError):
    status, code = 400, "invalid_token"


Token = TypeVar("Token", bound=MailedToken)


def consent_required_message() -> str:
    """Why a registration without `consent: true` is refused (API clients)."""
    return _(
        "Persetujuan pemrosesan data pribadi (UU 27/2022) wajib diberikan: "
        "kirim `consent` bernilai `true`."
    )


class InvalidEmail(ValueError):
    """Not a bare e-mail address; the message (Bahasa Indonesia) says why."""


def canonical_email(raw: str) -> str:
    """The one form of an address under which an account is stored, found and
    rate-limited; raises InvalidEmail for anything but a bare address.

    A display-name form (`Nama <alamat>`) is refused, not unwrapped: a second
    spelling of one mailbox would be a second rate-limit budget. Otherwise the
    address is email-validator's normalised form (NFC local part, IDNA-mapped
    domain, so `bücher` and `xn--bcher-kva`, or a full-width domain, are one),
    lower-cased like every stored address.
    """
    text = raw.strip()
    if "<" in text or ">" in text:
        raise InvalidEmail(_("Tulis alamat surel saja, tanpa nama dan tanpa tanda < >."))
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidEmail(_("Alamat surel tidak valid.")) from None
    return checked.normalized.lower()


def normalize_email(email: str) -> str:
    """`canonical_email`, or for input that is not an address at all (which the
    schemas and forms refuse before any lookup) its trimmed lower case."""
    try:
        return canonical_email(email)
    except InvalidEmail:
        return email.strip().lower()


def checked_password_hash(password: str) -> str:
    """The argon2 hash of a password that meets the rules; raises Invalid otherwise."""
    problem = password_problem(password)
    if problem:
        raise Invalid(problem, details={"password": problem})
    return hash_password(password)


def token_hash(token: str) -> str:
    """What is stored of a mailed token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    email: str,
    password: str,
    full_name: str,
    role: Role = Role.CANDIDATE,
    *,
    office_id: int | None = None,
    activated: bool = False,
    consent: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create an account; raises Invalid for a bad password, IntegrityError for a taken e-mail.

    `password_hash`, when given, is `checked_password_hash(password)` made already.
    """
    now = utcnow()
    user = User(
        email=normalize_email(email),
        password_hash=password_hash or checked_password_hash(password),
        full_name=full_name.strip(),
        role=role,
        office_id=office_id,
        activated_at=now if activated else None,
    )
    db.session.add(user)
    db.session.flush()
    if consent:
        record_consent(user, now)
    return user


def record_consent(user: User, now: datetime) -> ConsentRecord:
    """Record that `user` accepted the current consent text (version and time only)."""
    consent = ConsentRecord(user_id=user.id, version=CONSENT_VERSION, consented_at=now)
    db.session.add(consent)
    user.consent_version = CONSENT_VERSION
    user.consent_at = now
    return consent


def consent_records(user_id: int) -> list[ConsentRecord]:
    return list(
        db.session.scalars(
            db.select(ConsentRecord)
            .where(ConsentRecord.user_id == user_id)
            .order_by(ConsentRecord.consented_at, ConsentRecord.id)
        )
    )


def register_candidate(email: str, password: str, full_name: str, consent: bool) -> None:
    """Register a candidate and mail the activation link.

    A taken e-mail gets the same answer; its owner is told by mail instead, so
    the response never reveals whether an account exists. Neither does its time:
    the password is checked and hashed (argon2, the costly part) before the
    address is looked up, and each path then sends one mail.
    """
    if not consent:
        message = consent_required_message()
        raise Invalid(message, details={"consent": message})
    password_hash = checked_password_hash(password)
    email = normalize_email(email)
    existing = db.session.scalar(db.select(User).where(User.email == email))
    if existing is not None:
        _mail_already_registered(existing)
        return
    try:
        with db.session.begin_nested():
            user = create_user(
                email, password, full_name, consent=True, password_hash=password_hash
            )
    except IntegrityError:
        # A concurrent registration took the e-mail between the check and the insert.
        return
    _mail_activation(user)


def resend_activation(email: str) -> None:
    user = db.session.scalar(db.select(User).where(User.email == normalize_email(email)))
    if user is not None and user.activated_at is None and user.disabled_at is None:
        _mail_activation(user)


def _mail_activation(user: User) -> None:
    token = secrets.token_urlsafe(32)
    hours = current_app.config["ACTIVATION_TOKEN_HOURS"]
    db.session.add(
        ActivationToken(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    link = mail_link("accounts.activate_page", token=token)
    send_mail(
        user.email,
        _("Aktivasi akun Seleksi Mitra Statistik"),
        _(
            "Halo %(name)s,\n\nBuka tautan berikut untuk mengaktifkan akun Anda "
            "(berlaku %(hours)d jam, sekali pakai):\n\n%(link)s\n\n"
            "Abaikan surel ini jika Anda tidak mendaftar.",
            name=user.full_name,
            hours=hours,
            link=link,
        ),
    )


def _mail_already_registered(user: User) -> None:
    link = mail_link("accounts.login_page")
    send_mail(
        user.email,
        _("Percobaan pendaftaran dengan surel Anda"),
        _(
            "Halo %(name)s,\n\nAda yang mencoba mendaftar dengan alamat surel ini, "
            "padahal akun Anda sudah ada. Silakan masuk di %(link)s.",
            name=user.full_name,
            link=link,
        ),
    )


def activate(token: str) -> User:
    """Activate the account of a valid token; each token works once."""
    row = claim_token(
        ActivationToken,
        token,
        _("Tautan aktivasi tidak valid, sudah dipakai, atau kedaluwarsa."),
        _("Tautan aktivasi sudah dipakai."),
    )
    user = db.session.get_one(User, row.user_id)
    if user.activated_at is None:
        user.activated_at = row.used_at
    return user


def claim_token(model: type[Token], token: str, invalid: str, used: str) -> Token:
    """Use up a mailed token: the row of a known, unused, unexpired one, now marked used.

    Raises InvalidToken (400) with `invalid`, or with `used` when a concurrent
    request took it first: the conditional update lets one of two racing clicks win.
    """
    now = utcnow()
    row = db.session.scalar(db.select(model).where(model.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at < now:
        raise InvalidToken(invalid)
    claimed = db.session.execute(
        db.update(model).where(model.id == row.id, model.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise InvalidToken(used)
    row.used_at = now
    return row


def authenticate(email: str, password: str) -> User:
    """The active user with this e-mail and password, else LoginFailed.

    The password is checked before the request's transaction begins: argon2 takes about
    0.1 s of CPU, and far longer when a login storm meets a busy machine. A transaction
    left open meanwhile would hold a pooled connection for nothing, and PostgreSQL ends
    one idle past `idle_in_transaction_session_timeout` (core/config.py).
    """
    with db.engine.connect() as connection:
        found = connection.execute(
            db.select(User.id, User.password_hash).where(User.email == normalize_email(email))
        ).first()
    valid = verify_password(found.password_hash if found else None, password)
    user = db.session.get(User, found.id) if found and valid else None
    if user is None or not user.is_active:
        log.warning("login failed")
        raise LoginFailed(_("Surel atau kata sandi salah, atau akun belum diaktifkan."))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_login_session(user: User) -> str:
    login_session = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id)
    db.session.add(login_session)
    user.login_session_id = login_session.id
    return login_session.id


def end_login_session(session_id: str | None) -> None:
    """Log out: revoke this login session; its cached copy goes once this commits."""
    if session_id:
        user_id = db.session.execute(
            db.update(LoginSession)
            .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .returning(LoginSession.user_id)
        ).scalar()
        if user_id is not None:
            forget_logins(user_id)


def disable_user(user: User) -> None:
    """Disable an account and end every one of its login sessions at once."""
    user.disabled_at = utcnow()
    end_logins(user.id)


def end_logins(user_id: int, keep: str | None = None) -> None:
    """Revoke every login session of a user, except `keep` (the one asking); the
    cached logins (accounts.auth) go once this commits, so the next request of each
    revoked login is refused."""
    query = db.update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)
    )
    if keep:
        query = query.where(LoginSession.id != keep)
    db.session.execute(query.values(revoked_at=utcnow()))
    forget_logins(user_id)
