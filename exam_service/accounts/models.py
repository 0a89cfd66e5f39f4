"""Accounts: offices, users, login sessions, mailed tokens, consents, profiles, documents."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import DEFAULT_ZONE, ZONE_NAMES, utcnow, zone_of
from ..core.database import UTCDateTime
from ..core.extensions import db


class Role(StrEnum):
    CANDIDATE = "candidate"
    ADMIN = "admin"
    AUTHOR = "author"


class Education(StrEnum):
    """Highest education, in ascending order (the order is used for "at least")."""

    SD = "SD"
    SMP = "SMP"
    SMA = "SMA/SMK"
    DIPLOMA = "D1-D3"
    BACHELOR = "D4/S1"
    MASTER = "S2"
    DOCTORATE = "S3"

    @property
    def rank(self) -> int:
        return list(Education).index(self)


class Gender(StrEnum):
    MALE = "L"
    FEMALE = "P"


class DocumentKind(StrEnum):
    KTP = "ktp"
    PHOTO = "photo"
    DIPLOMA = "diploma"
    CV = "cv"
    PHONE_SPEC = "phone_spec"
    APPLICATION_LETTER = "application_letter"


class Office(db.Model):
    """A statistics office; admins see only their own office's activities."""

    __tablename__ = "offices"
    __table_args__ = (
        CheckConstraint(
            "timezone IN ({})".format(", ".join(f"'{name}'" for name in ZONE_NAMES)),
            name="timezone_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Regency code (4 digits, as in the NIK) of the region the office recruits for.
    region_code: Mapped[str] = mapped_column(String(4))
    # IANA name of the office's zone (core.clock.ZONE_NAMES: WIB, WITA or WIT): every
    # time of the office's activities is shown, mailed and entered in it.
    timezone: Mapped[str] = mapped_column(
        String(32), default=DEFAULT_ZONE.key, server_default=DEFAULT_ZONE.key
    )

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.timezone)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(String(16), default=Role.CANDIDATE)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest consent; every consent given is kept in `consent_records`.
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office | None] = relationship()
    profile: Mapped[Profile | None] = relationship(back_populates="user")

    # The id of the login session this object was loaded for (not a column):
    # Flask-Login stores get_id() in the cookie, so the cookie names the session.
    login_session_id = None

    def get_id(self) -> str:
        return f"{self.id}:{self.login_session_id}"

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.activated_at is not None and self.disabled_at is None

    def has_role(self, role: Role) -> bool:
        return self.role == role


class LoginSession(db.Model):
    """A server-side record of one login, so that logout really ends it.

    The session cookie only names this row; logging out or disabling the user
    revokes it, and a copied cookie stops working at once.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailedToken:
    """The columns of a single-use, expiring token sent by mail: only its SHA-256 is
    stored (`service.token_hash`); `service.claim_token` uses it up."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ActivationToken(MailedToken, db.Model):
    """The activation link's token."""

    __tablename__ = "activation_tokens"


class PasswordResetToken(MailedToken, db.Model):
    """The password reset link's token."""

    __tablename__ = "password_reset_tokens"


class EmailChangeToken(MailedToken, db.Model):
    """A requested change of address, confirmed by a link mailed to the new address."""

    __tablename__ = "email_change_tokens"

    new_email: Mapped[str] = mapped_column(String(254))


class ConsentRecord(db.Model):
    """Evidence of one consent to the processing of personal data (UU 27/2022):
    which text (its version) was accepted, and when. Rows are only ever added."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Profile(db.Model):
    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    nik: Mapped[str] = mapped_column(String(16), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(String(1))
    address: Mapped[str] = mapped_column(String(300))
    village: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100))
    # Regency code of the domicile (4 digits), for the "domicile in the region" preference.
    regency_code: Mapped[str] = mapped_column(String(4))
    phone: Mapped[str] = mapped_column(String(20))
    education: Mapped[Education] = mapped_column(String(16))
    # Well-formed NIKs that disagree with the declared birth date or gender are
    # accepted and flagged for the admin, never corrected or rejected.
    nik_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile")


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(String(32))
    # Random server-chosen file name inside UPLOAD_FOLDER; never the client's name.
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
