"""HTTP hardening: security headers, caching of personal pages, trusted proxies."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import talisman

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


def init_security(app: Flask) -> None:
    behind_tls = app.config["SESSION_COOKIE_SECURE"]
    talisman.init_app(
        app,
        force_https=False,  # TLS is terminated by the reverse proxy
        strict_transport_security=behind_tls,
        session_cookie_secure=behind_tls,
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # Trust exactly the configured number of proxies: a client cannot forge
        # its address by sending X-Forwarded-For itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.after_request(_no_store_for_dynamic_responses)
    # Before every other hook, the CSRF check included (it was registered earlier).
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nameless_form_fields)


def _refuse_nameless_form_fields() -> None:
    """A multipart part without a name lands in request.form under the key None, on
    which flask-wtf's CSRF check crashes (a 500): the request is malformed, so 400."""
    if request.mimetype == "multipart/form-data" and (
        None in request.form or None in request.files
    ):
        abort(400)


def _no_store_for_dynamic_responses(response: Response) -> Response:
    """Every page and API response may hold personal data: never cache it.

    Static assets and question images (no personal data, never-reused names) keep
    their own caching: a phone on a weak connection loads an image once.
    """
    if not request.path.startswith(("/static/", "/bank-images/")):
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
