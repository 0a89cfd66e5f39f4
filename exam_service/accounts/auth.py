"""Who is asking: login sessions for people, role checks for views.

Flask-Login keeps `<user id>:<login session id>` in the signed cookie; the
loader accepts it only while that login session is neither revoked nor past its
absolute lifetime and the user is active. Flask's cookie signature carries a
timestamp checked against PERMANENT_SESSION_LIFETIME, which is the idle timeout
(every request, autosaves included, renews it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from ..core.clock import utcnow
from ..core.errors import Forbidden, ServiceError
from ..core.extensions import db, login_manager
from .models import LoginSession, Role, User

F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


def init_auth(app: Flask) -> None:
    app.permanent_session_lifetime = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    login_manager.init_app(app)
    login_manager.session_protection = None  # the server-side login session does this job
    login_manager.login_view = "accounts.login_page"
    login_manager.login_message = _("Silakan masuk terlebih dahulu.")
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)


def load_user(cookie_id: str) -> User | None:
    user_id, _sep, session_id = cookie_id.partition(":")
    if not user_id.isdigit() or not session_id:
        return None
    row = db.session.execute(
        db.select(User, LoginSession)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == int(user_id), LoginSession.id == session_id)
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
    return user


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
