"""HTTP hardening: security headers, caching of personal pages, trusted proxies."""

from __future__ import annotations

from flask import Flask, Response, request
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


def _no_store_for_dynamic_responses(response: Response) -> Response:
    """Every page and API response may hold personal data: never cache it.

    Static assets (no personal data) keep their normal caching.
    """
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
