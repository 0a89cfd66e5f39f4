"""HTTP hardening: security headers, caching of personal pages, trusted proxies."""

from __future__ import annotations

import re

from flask import Flask, Response, abort, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from .errors import ServiceError

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Every response's security headers, the same for every view: computed once, not per
# request (flask-talisman, which sent the same headers, rebuilt them for each response
# from per-view options we never used: 9 % of GET /healthz, docs/performance.md).
SECURITY_HEADERS = {
    "Permissions-Policy": "browsing-topics=()",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in CONTENT_SECURITY_POLICY.items()),
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# Sent over HTTPS only (the request, or the proxy in front that terminated TLS).
HSTS = "max-age=31556926; includeSubDomains"
# The CSP of a download (any attachment: documents, exports): nothing may load or
# run, and a browser that renders the file anyway puts it in a sandbox with an
# opaque origin, without script, forms or plugins.
ATTACHMENT_CSP = (
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
)

# No body of ours nests deeper than a few levels (a blueprint: 3). Python's json
# parser recurses once per level, so `"[" * 100000` ends in a RecursionError (a
# 500) inside `request.get_json`, which only turns ValueError into a 400.
MAX_JSON_DEPTH = 64
# A JSON string (escapes included) or one bracket: brackets inside strings are text.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signing serializer made once per set of keys.

    Flask makes a new URLSafeTimedSerializer for every request, a request without a
    cookie included, and each one serialises `{}` to learn what its serializer returns:
    5 % of GET /healthz (docs/performance.md). A serializer keeps nothing of a request,
    so one made for the app's current keys serves them all; new keys make a new one.
    """

    def __init__(self) -> None:
        self._signing: tuple[object, URLSafeTimedSerializer | None] = (None, None)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made_for, serializer = self._signing
        if made_for != keys:
            serializer = super().get_signing_serializer(app)
            self._signing = (keys, serializer)
        return serializer


def init_security(app: Flask) -> None:
    behind_tls = app.config["SESSION_COOKIE_SECURE"]
    app.session_interface = SignedCookieSessions()
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # Trust exactly the configured number of proxies: a client cannot forge
        # its address by sending X-Forwarded-For itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.after_request(_security_headers_with_hsts if behind_tls else _security_headers)
    # Before every other hook, the CSRF check included (it was registered earlier).
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_malformed_input)


def _refuse_malformed_input() -> None:
    """Input no view can take is refused before any view, pages and API alike (the
    query string, the form and a JSON body are each read once):

    - a multipart part without a name lands in request.form under the key None, on
      which flask-wtf's CSRF check crashes (a 500): 400;
    - a NUL character: PostgreSQL stores none in a text column, so one that reached
      a statement was a 500: 400 `nul_character` (a JSON body can carry it only
      escaped; a raw NUL is invalid JSON already);
    - a JSON body, or a form field (flask-openapi3 reads each field of an API form
      model as JSON first), nested deeper than MAX_JSON_DEPTH: 400 `json_too_deep`.
    """
    if (
        not request.query_string
        and not request.content_length
        and "Transfer-Encoding" not in request.headers
    ):
        return  # nothing to read: most GETs
    # Only these bodies are parsed into request.form (werkzeug); a JSON body is not.
    has_form = request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded")
    form = list(request.form.items(multi=True)) if has_form else []
    if request.mimetype == "multipart/form-data" and (
        None in request.form or None in request.files
    ):
        abort(400)
    texts = [value for _key, value in [*request.args.items(multi=True), *form]]
    body = request.get_data(cache=True) if request.is_json else b""
    if any("\x00" in text for text in texts) or b"\\u0000" in body:
        raise ServiceError(
            _("Data berisi karakter yang tidak diizinkan (NUL)."), code="nul_character", status=400
        )
    suspects = [body] if request.is_json else [value.encode() for _key, value in form]
    if any(json_nesting_exceeds(data) for data in suspects):
        raise ServiceError(_("Data JSON terlalu bertingkat."), code="json_too_deep", status=400)


def json_nesting_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text `data` opens more than `limit` arrays or objects inside
    each other. A linear scan without recursion, done before any parser sees it."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # the usual case, at C speed
    depth = 0
    for token in _JSON_TOKEN.finditer(data):
        first = token.group()[:1]
        if first in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif first in (b"]", b"}"):
            depth -= 1
    return False


def _security_headers(response: Response) -> Response:
    """SECURITY_HEADERS on every response; ATTACHMENT_CSP instead of the page CSP on
    every download (a response sent as an attachment), whichever view sent it; and
    `no-store` on every page and API response, which may hold personal data.

    Static assets and question images (no personal data, never-reused names) keep
    their own caching: a phone on a weak connection loads an image once.
    """
    headers = response.headers
    if not request.path.startswith(("/static/", "/bank-images/")):
        headers["Cache-Control"] = "no-store"
    headers.update(SECURITY_HEADERS)
    if headers.get("Content-Disposition", "").startswith("attachment"):
        headers["Content-Security-Policy"] = ATTACHMENT_CSP
    return response


def _security_headers_with_hsts(response: Response) -> Response:
    """`_security_headers`, and HSTS on a response that went out over HTTPS."""
    if request.is_secure or request.headers.get("X-Forwarded-Proto") == "https":
        response.headers["Strict-Transport-Security"] = HSTS
    return _security_headers(response)
