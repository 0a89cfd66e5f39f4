"""A test client that behaves like the pages' JavaScript: it sends the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF_INPUT.search(html) or _CSRF_META.search(html)
    if not match:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


class ApiClient:
    """Wraps Flask's test client; after `login`, unsafe requests carry X-CSRFToken."""

    def __init__(self, client: FlaskClient) -> None:
        self.raw = client
        self.csrf_token: str | None = None

    def login(self, email: str, password: str) -> TestResponse:
        response = self.raw.post("/api/v1/auth/login", json={"email": email, "password": password})
        if response.status_code == 200:
            self.csrf_token = response.json["csrf_token"]
        return response

    def logout(self) -> TestResponse:
        return self.post("/api/v1/auth/logout")

    def open(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}) or {})
        if method in UNSAFE and self.csrf_token and "X-CSRFToken" not in headers:
            headers["X-CSRFToken"] = self.csrf_token
        return self.raw.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("DELETE", path, **kwargs)

    def submit_form(self, path: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
        """GET the page, then POST the form with the page's CSRF token, like a browser."""
        page = self.raw.get(path)
        form = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
        return self.raw.post(path, data=form, **kwargs)
