"""API keys of machine clients: created, shown once, stored hashed, scoped, revocable.

A request authenticates with `Authorization: Bearer <key>`. A login cookie is
never enough for these endpoints (401): the results feed is for machines.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from flask_babel import gettext as _

from ..accounts.auth import Unauthorized
from ..accounts.models import User
from ..accounts.offices import office_of
from ..core.audit import record
from ..core.clock import utcnow
from ..core.errors import Forbidden, Invalid, NotFound
from ..core.extensions import db
from .models import ApiKey

RESULTS_READ = "results:read"
PII_READ = "pii:read"
SCOPES = (RESULTS_READ, PII_READ)
KEY_PREFIX = "rk_"
MAX_NAME_LENGTH = 100
# `last_used_at` is written at most this often, so polling does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    # The key itself: shown once, never stored.
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    name: str, scopes: Iterable[str], *, office_id: int | None = None, created_by: int | None = None
) -> NewKey:
    name = (name or "").strip()
    scope_list = sorted(set(scopes))
    errors = {}
    if not name or len(name) > MAX_NAME_LENGTH:
        errors["name"] = _("Nama wajib diisi, paling panjang %(n)d karakter.", n=MAX_NAME_LENGTH)
    if not scope_list or set(scope_list) - set(SCOPES):
        errors["scopes"] = _("Cakupan yang dikenal: %(scopes)s.", scopes=", ".join(SCOPES))
    if errors:
        raise Invalid(_("Data kunci API tidak valid."), details=errors)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)  # 256 bits
    key = ApiKey(
        name=name,
        prefix=secret[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(secret),
        scopes=scope_list,
        office_id=office_id,
        created_by_id=created_by,
    )
    db.session.add(key)
    db.session.flush()
    record(created_by, "api_key_created", "api_key", key.id, scopes=scope_list)
    return NewKey(key, secret)


def create_key_for_admin(admin: User, name: str, scopes: Iterable[str]) -> NewKey:
    """A key limited to the admin's own office."""
    return create_key(name, scopes, office_id=office_of(admin), created_by=admin.id)


def keys_for_admin(admin: User) -> list[ApiKey]:
    return list(
        db.session.scalars(
            db.select(ApiKey)
            .where(ApiKey.office_id == office_of(admin))
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def revoke_key(admin: User, key_id: int) -> ApiKey:
    key = db.session.scalar(
        db.select(ApiKey).where(ApiKey.id == key_id, ApiKey.office_id == office_of(admin))
    )
    if key is None:
        raise NotFound(_("Kunci API tidak ditemukan."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.flush()
        record(admin.id, "api_key_revoked", "api_key", key.id)
    return key


def authenticate(authorization: str | None, now: datetime | None = None) -> ApiKey:
    """The key named by an `Authorization: Bearer ...` header value, or 401."""
    scheme, _sep, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized(_("Kunci API diperlukan (Authorization: Bearer)."))
    key = db.session.scalar(db.select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
    if key is None or key.revoked_at is not None:
        raise Unauthorized(_("Kunci API tidak valid atau sudah dicabut."))
    now = now or utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
    return key


def require_scope(key: ApiKey, scope: str) -> None:
    if scope not in key.scopes:
        raise Forbidden(_("Kunci API ini tidak mempunyai cakupan %(scope)s.", scope=scope))


def api_key_required(scope: str) -> Callable[[F], F]:
    """Require a valid key with `scope` (401 without a key, 403 without the scope).

    The key is then `g.api_key`.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = authenticate(request.headers.get("Authorization"))
            require_scope(key, scope)
            g.api_key = key
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
