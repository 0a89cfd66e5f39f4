"""Who is asking: login sessions for people, role checks for views.

Flask-Login keeps `<user id>:<login session id>` in the signed cookie; the
loader accepts it only while that login session is neither revoked nor past its
absolute lifetime and the user is active. Flask's cookie signature carries a
timestamp checked against PERMANENT_SESSION_LIFETIME, which is the idle timeout
(a request, autosaves included, renews it when it is a minute old or more).

The login cache: what the loader found in the database (the login session is
valid, and the user's few columns a request needs) is kept in Redis for
LOGIN_CACHE_SECONDS, so that a logged-in request costs no SELECT
(docs/performance.md). It is deleted after every commit that ends a login
(`forget_logins`: logout, disabling, password change and reset, all through
accounts.service) or changes the user's row (any ORM update of a User), so
those take effect on the very next request while Redis answers. If Redis
cannot be reached when a login ends, a copy it still holds lives at most
LOGIN_CACHE_SECONDS. A per-user generation counter keeps a request that read the
database before the change from storing the old state after it. The cache is
asked with a short timeout (RedisExtension.quick_client): a Redis that is down or
slow costs a login lookup at most that, then the database answers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

import redis
from flask import Flask, Response, current_app, request, session
from flask_babel import gettext as _
from flask_login import current_user
from redis.commands.core import Script
from sqlalchemy import event
from sqlalchemy.orm import make_transient_to_detached

from ..core.clock import utcnow
from ..core.database import after_commit
from ..core.errors import Forbidden, ServiceError
from ..core.extensions import db, login_manager, redis_store
from .models import LoginSession, Role, User

log = logging.getLogger(__name__)

# How long a login found valid in the database is believed without asking it again:
# the bound on a logout or a disabled account whose cache entry Redis could not
# delete (it was unreachable at that moment). While Redis answers, they are immediate.
LOGIN_CACHE_SECONDS = 30
# The user's columns a cached login carries, besides `activated_at` (`is_active`, which
# Flask-Login's `is_authenticated` reads); any other column is loaded on first use.
_CACHED_COLUMNS = ("email", "full_name", "role", "office_id")
# Stores the entry only if the user's generation is still the one read before the
# SELECT: an invalidation in between (INCR) makes the stale read harmless.
# KEYS[1] logins hash  KEYS[2] generation  ARGV: generation read ("" if none), field,
# value, ttl seconds.
_STORE_IF_CURRENT = """
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""
_store_script: tuple[int, Script] | None = None
# The session cookie of a login is renewed at most this often (see `_slide_idle_timeout`).
IDLE_SLIDE_SECONDS = 60
_RENEWED_AT = "renewed_at"

F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


def init_auth(app: Flask) -> None:
    app.permanent_session_lifetime = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    # The idle timeout slides by re-signing the cookie, at most once a minute
    # (`_slide_idle_timeout`), not on every request: re-signing and re-sending it cost
    # every logged-in request a few percent of its CPU (docs/performance.md).
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.after_request(_slide_idle_timeout)
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side login session does this job
    login_manager.login_view = "accounts.login_page"
    login_manager.login_message = _("Silakan masuk terlebih dahulu.")
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)


def _logins_key(user_id: int) -> str:
    return f"{{login:{user_id}}}:sessions"


def _generation_key(user_id: int) -> str:
    return f"{{login:{user_id}}}:generation"


def _slide_idle_timeout(response: Response) -> Response:
    """Renew a login's cookie (its signed timestamp, which the idle timeout is checked
    against, and its expiry) when it was last renewed IDLE_SLIDE_SECONDS ago or more.
    The idle timeout is therefore between SESSION_IDLE_MINUTES less a minute and
    SESSION_IDLE_MINUTES after the last request."""
    if session and session.permanent:  # a login (an empty session is not read)
        now = int(time.time())
        if now - session.get(_RENEWED_AT, 0) >= IDLE_SLIDE_SECONDS:
            session[_RENEWED_AT] = now
    return response


def load_user(cookie_id: str) -> User | None:
    user_id_text, _sep, session_id = cookie_id.partition(":")
    if not user_id_text.isdigit() or not session_id:
        return None
    user_id = int(user_id_text)
    try:
        cached = _cached_login(user_id, session_id)
        # Read before the SELECT: an invalidation after it keeps what the SELECT saw out.
        generation = "" if cached is not None else _generation(user_id)
    except redis.RedisError:
        found = _load_from_database(user_id, session_id)
        return found[0] if found else None
    if cached is not None:
        return _cached_user(user_id, session_id, cached)
    found = _load_from_database(user_id, session_id)
    if found is None:
        return None
    user, created_at = found
    _remember(user, session_id, created_at, generation)
    return user


def _cached_login(user_id: int, session_id: str) -> dict[str, Any] | None:
    """The cached entry of this login, if there is one and the login is not past its
    absolute lifetime (then the database says no, and why)."""
    value = redis_store.quick_client.hget(_logins_key(user_id), session_id)
    if not value:
        return None
    entry = json.loads(value)
    if entry["until"] < time.time():  # the hash's expiry is renewed by each login of it
        return None
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    if utcnow() - datetime.fromtimestamp(entry["created_at"], UTC) > absolute:
        return None
    return entry


def _generation(user_id: int) -> str:
    return redis_store.quick_client.get(_generation_key(user_id)) or ""


def _cached_user(user_id: int, session_id: str, entry: dict[str, Any]) -> User:
    """The user as the cache has it: a persistent User of this request's session, built
    without a SELECT; columns not cached load on first use, as after an expiry."""
    user = User(
        id=user_id,
        activated_at=datetime.fromtimestamp(entry["activated_at"], UTC),
        disabled_at=None,  # only active users are cached
        **{name: entry[name] for name in _CACHED_COLUMNS},
    )
    make_transient_to_detached(user)  # a row known to exist, as if loaded and expunged
    user = db.session.merge(user, load=False)
    user.login_session_id = session_id
    return user


def _remember(user: User, session_id: str, created_at: datetime, generation: str) -> None:
    global _store_script
    entry = {name: getattr(user, name) for name in _CACHED_COLUMNS}
    entry["created_at"] = created_at.timestamp()
    entry["activated_at"] = user.activated_at.timestamp() if user.activated_at else 0
    entry["until"] = time.time() + LOGIN_CACHE_SECONDS
    client = redis_store.quick_client
    try:
        if _store_script is None or _store_script[0] != id(client):
            _store_script = (id(client), client.register_script(_STORE_IF_CURRENT))
        _store_script[1](
            keys=[_logins_key(user.id), _generation_key(user.id)],
            args=[generation, session_id, json.dumps(entry), LOGIN_CACHE_SECONDS],
        )
    except redis.RedisError as e:
        log.warning("login cache not written: %s", type(e).__name__)


def forget_logins(user_id: int) -> None:
    """Delete the user's cached logins once the current transaction commits (the one
    that ends a login or changes the user). Every login of the user is then read from
    the database again."""
    after_commit(lambda: _forget_now(user_id))


def _forget_now(user_id: int) -> None:
    pipe = redis_store.client.pipeline(transaction=True)
    pipe.incr(_generation_key(user_id))
    pipe.expire(_generation_key(user_id), 24 * 3600)
    pipe.delete(_logins_key(user_id))
    pipe.execute()


@event.listens_for(User, "after_update")
def _user_changed(_mapper: Any, _connection: Any, user: User) -> None:
    """A changed user row (a new name, a disabled account, ...) is never served from
    the cache after its commit."""
    forget_logins(user.id)


def _load_from_database(user_id: int, session_id: str) -> tuple[User, datetime] | None:
    """The user of this login and when the login began, if the login is valid."""
    row = db.session.execute(
        db.select(User, LoginSession)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == user_id, LoginSession.id == session_id)
    ).first()
    if row is None:
        return None
    user, login_session = row
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    if login_session.revoked_at is not None or utcnow() - login_session.created_at > absolute:
        return None
    if not user.is_active:
        return None
    user.login_session_id = login_session.id
    return user, login_session.created_at


def _unauthorized() -> Any:
    if request.path.startswith("/api/"):
        raise Unauthorized(_("Silakan masuk terlebih dahulu."))
    from flask import redirect, url_for

    return redirect(url_for("accounts.login_page", next=request.path))


def role_required(*roles: Role) -> Callable[[F], F]:
    """Require a logged-in user with one of `roles` (401 when anonymous, 403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                raise Forbidden(_("Anda tidak berhak mengakses halaman ini."))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


candidate_required = role_required(Role.CANDIDATE)
admin_required = role_required(Role.ADMIN)
author_required = role_required(Role.AUTHOR)
