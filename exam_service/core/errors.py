"""Errors: the domain exceptions services raise, and how they reach the client.

API requests (paths under /api/) always get `{"error": {"code", "message"}}`;
pages get a short page in Bahasa Indonesia. Neither ever shows a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .validation_messages import field_messages

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A rule of the domain was not met; `status` is the HTTP status that fits."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details
        self.extra = extra or {}


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Invalid(ServiceError):
    """Input that is well formed but breaks a rule; `details` maps field -> message."""

    status, code = 422, "validation_error"


def error_body(code: str, message: str, details: Any = None, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error, **extra}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(status: int, code: str, message: str, details: Any = None, **extra: Any) -> Response:
    _roll_back()
    if _wants_json():
        response = jsonify(error_body(code, message, details, **extra))
    else:
        response = Response(_error_page(status, message), mimetype="text/html")
    response.status_code = status
    return response


def _roll_back() -> None:
    """End the request's transaction before the response is built.

    An error from PostgreSQL leaves the transaction aborted: every further statement
    in it fails ("current transaction is aborted"), and the error page loads the
    signed-in user for its navigation. An error response never keeps its work
    (`_end_transaction` would roll back anyway), so rolling back here loses nothing.
    """
    try:
        db.session.rollback()
    except SQLAlchemyError as e:  # a connection already lost: the page still renders
        log.error("rollback before an error response failed: %s", type(e).__name__)


def _error_page(status: int, message: str) -> str:
    """The error page; a bare one if the page cannot render (the database is down
    and the navigation needs the signed-in user): never a second error."""
    try:
        return render_template("error.html", status=status, message=message)
    except Exception as e:
        log.error("error page fell back to the bare page: %s", type(e).__name__)
        return (
            f'<!doctype html><html lang="id"><head><meta charset="utf-8">'
            f"<title>{status}</title></head><body><h1>{escape(_('Maaf'))}</h1>"
            f"<p>{escape(message)}</p></body></html>"
        )


def validation_error_response(error: ValidationError) -> Response:
    """flask-openapi3 calls this for a request that does not fit its schema: one
    Indonesian message per field (`validation_messages`), never pydantic's English."""
    details = field_messages(error)
    response = jsonify(error_body("validation_error", _("Data tidak valid."), details))
    response.status_code = 422
    return response


_HTTP_MESSAGES = {
    400: "Permintaan tidak valid.",
    401: "Silakan masuk terlebih dahulu.",
    403: "Anda tidak berhak mengakses halaman ini.",
    404: "Halaman atau data tidak ditemukan.",
    405: "Metode tidak diizinkan.",
    413: "Berkas terlalu besar.",
    429: "Terlalu banyak percobaan. Silakan coba lagi nanti.",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(e: ServiceError) -> Response:
        return _respond(e.status, e.code, e.message, e.details, **e.extra)

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError) -> Response:
        return _respond(400, "csrf_failed", _("Sesi formulir kedaluwarsa. Muat ulang halaman."))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Response:
        status = e.code or 500
        code = (e.name or "error").lower().replace(" ", "_")
        message = _(_HTTP_MESSAGES.get(status, "Terjadi kesalahan."))
        return _respond(status, code, message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeoutError)
    def database_down(e: Exception) -> Response:
        log.error("database unavailable: %s", type(e).__name__)
        return _respond(503, "database_unavailable", _("Layanan sedang sibuk. Coba lagi."))

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def redis_down(e: Exception) -> Response:
        log.error("redis unavailable: %s", type(e).__name__)
        return _respond(503, "cache_unavailable", _("Layanan sedang sibuk. Coba lagi."))

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal_error", _("Terjadi kesalahan pada server."))

    @app.errorhandler(DBAPIError)
    def database_error(e: DBAPIError) -> Response:
        """A connection the server ended (a restart, a transaction left idle past
        `idle_in_transaction_session_timeout` on a machine too busy to go on with it) is
        the database being unavailable to this request, whatever class the driver gives
        the error: 503, and trying again is safe. Anything else is unexpected."""
        if e.connection_invalidated:
            return database_down(e)
        return unexpected(e)
