"""HTTP hardening that no single domain owns (ASVS 5.0 V3, V13, V14, V16, 4.1.3).

Error responses never show a traceback; a forged X-Forwarded-For never moves a rate
limit; personal pages and APIs are never cached; every response carries the security
headers; and the logs of a whole candidate lifecycle, in the test process and in a
real gunicorn with its access log on, hold no NIK, password or activation token.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
import requests
from flask import Flask

from exam_service import create_app
from exam_service.accounts.models import DocumentKind, Role
from exam_service.authoring.models import Category
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db, redis_store
from exam_service.scheduling.models import TestSession
from loadtest.server import Server
from tests.support.accounts import PASSWORD, png_bytes, profile_payload
from tests.support.clients import csrf_from
from tests.support.exam import BLUEPRINT, QUESTION_COUNT, add_bank
from tests.support.factories import build_test_session
from tests.support.live import server_env
from tests.support.mail import body_text, only_mail

TRACE_MARKERS = ("Traceback", "secret-marker", "RuntimeError", "Werkzeug Debugger", "__debugger__")
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
ACTIVATION_LINK = re.compile(r"/activate/([A-Za-z0-9_\-]+)")


@pytest.fixture
def make_app(app: Flask, test_config: dict) -> Iterator[Callable[..., Flask]]:
    """A fresh app with config overrides, on the session's database and Redis.

    Depends on `app` so the schema exists and the tables are emptied afterwards.
    """
    built: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        fresh = create_app({**test_config, "REDIS_URL": redis_store.url, **overrides})
        built.append(fresh)
        return fresh

    yield make
    for fresh in built:
        with fresh.app_context():
            db.engine.dispose()


def _boom() -> str:
    raise RuntimeError("secret-marker: a bug that must never reach the client")


@pytest.fixture
def production_app(make_app) -> Flask:
    """Neither testing nor debug, with routes that fail like a genuine bug."""
    fresh = make_app(TESTING=False, DEBUG=False)
    fresh.add_url_rule("/boom", "boom", _boom)
    fresh.add_url_rule("/api/v1/boom", "api_boom", _boom)
    assert fresh.debug is False
    return fresh


def assert_generic(body: str) -> None:
    for marker in TRACE_MARKERS:
        assert marker not in body, f"{marker!r} in an error response: {body[:300]}"


# --- errors --------------------------------------------------------------------------


def test_the_service_does_not_start_in_debug_mode(make_app, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert make_app().debug is False


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        pytest.param("GET", "/api/v1/tidak-ada", {}, 404, "not_found", id="404"),
        pytest.param("GET", "/api/v1/auth/login", {}, 405, "method_not_allowed", id="405"),
        pytest.param(
            "POST",
            "/api/v1/auth/login",
            {"data": '{"email": "a@uji.example", "password": ', "content_type": "application/json"},
            422,
            "validation_error",
            id="bad JSON",
        ),
        pytest.param("POST", "/api/v1/auth/logout", {}, 400, "csrf_failed", id="400"),
        pytest.param(
            "POST",
            "/api/v1/auth/login",
            {"json": {"email": 5, "password": ["x"]}},
            422,
            "validation_error",
            id="422",
        ),
        pytest.param("GET", "/api/v1/boom", {}, 500, "internal_error", id="500"),
    ],
)
def test_api_errors_are_json_without_a_traceback(
    production_app, method, path, kwargs, status, code
):
    response = production_app.test_client().open(path, method=method, **kwargs)

    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert set(error) <= {"code", "message", "details"}
    assert error["message"]
    assert error["code"] == code
    assert_generic(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/halaman-yang-tidak-ada", 404, id="404"),
        pytest.param("DELETE", "/login", 405, id="405"),
        pytest.param("POST", "/login", 400, id="400 without CSRF token"),
        pytest.param("GET", "/boom", 500, id="500"),
    ],
)
def test_pages_show_a_short_error_page(production_app, method, path, status):
    response = production_app.test_client().open(path, method=method)

    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert_generic(response.get_data(as_text=True))


def test_an_unexpected_exception_is_logged_for_staff_but_not_shown(production_app, caplog):
    caplog.set_level("ERROR", logger="exam_service.core.errors")
    response = production_app.test_client().get("/api/v1/boom")

    assert response.status_code == 500
    assert_generic(response.get_data(as_text=True))
    # The operators still get the traceback, in the log only.
    assert "secret-marker" in caplog.text


# --- rate limits and proxies ---------------------------------------------------------


def _login(client, email: str, forwarded_for: str, remote_addr: str = "127.0.0.1"):
    return client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": "salah-sandi-sekali"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": remote_addr},
    )


def test_forged_forwarded_for_does_not_reset_the_address_limit(make_app):
    """No trusted proxy (the default): X-Forwarded-For is ignored, the socket counts."""
    fresh = make_app(LOGIN_ADDRESS_RATE_LIMIT="3 per minute")
    assert fresh.config["PROXY_FIX_HOPS"] == 0
    client = fresh.test_client()

    # A new account each time, so that only the per-address limit can stop them.
    for n in range(3):
        assert _login(client, f"tebak{n}@uji.example", f"10.0.0.{n}").status_code == 401
    assert _login(client, "tebak9@uji.example", "10.9.9.9").status_code == 429
    # Another address is not stopped: the limit is per address, not global.
    other = _login(client, "tebak9@uji.example", "10.9.9.9", remote_addr="192.0.2.9")
    assert other.status_code == 401


def test_behind_one_proxy_the_proxy_appended_address_counts(make_app):
    """With one trusted proxy, values a client puts in front of its own are ignored."""
    fresh = make_app(LOGIN_ADDRESS_RATE_LIMIT="3 per minute", PROXY_FIX_HOPS=1)
    client = fresh.test_client()
    proxy = "10.1.1.1"

    for n in range(3):
        forged = f"198.51.100.{n}, 203.0.113.7"
        assert _login(client, f"tebak{n}@uji.example", forged, proxy).status_code == 401
    forged = "198.51.100.99, 203.0.113.7"
    assert _login(client, "tebak9@uji.example", forged, proxy).status_code == 429
    # Another real client behind the same proxy has its own budget.
    assert _login(client, "tebak9@uji.example", forged + "8", proxy).status_code == 401


# --- caching and headers ---------------------------------------------------------------


@dataclass
class Candidate:
    client: Any
    application_id: int


@pytest.fixture
def candidate_in_a_test(exam_activity, book_candidate, make_documents, login) -> Candidate:
    """A booked candidate with documents whose test has started."""
    booked = book_candidate(exam_activity())
    make_documents(booked.user)
    client = login(booked.user)
    assert client.post("/api/v1/me/attempt").status_code == 200
    application_id = client.get("/api/v1/me/applications").json["items"][0]["application_id"]
    return Candidate(client, application_id)


PERSONAL_PATHS = [
    "/profil",
    "/dokumen",
    "/dokumen/ktp/unduh",
    "/lamaran",
    "/lamaran/{application_id}",
    "/sesi/saya",
    "/ujian",
    "/api/v1/me",
    "/api/v1/me/profile",
    "/api/v1/me/documents",
    "/api/v1/me/documents/ktp",
    "/api/v1/me/applications",
    "/api/v1/me/applications/{application_id}",
    "/api/v1/me/bookings",
    "/api/v1/me/attempt",
]


def test_personal_pages_and_apis_are_never_cached(candidate_in_a_test):
    candidate = candidate_in_a_test
    for template in PERSONAL_PATHS:
        path = template.format(application_id=candidate.application_id)
        response = candidate.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["Cache-Control"] == "no-store", path


def test_static_assets_keep_their_caching(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    pairs = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {name: value for name, value in pairs}


@pytest.mark.parametrize(
    ("path", "status"),
    [("/login", 200), ("/halaman-yang-tidak-ada", 404), ("/boom", 500), ("/api/v1/boom", 500)],
)
def test_security_headers_on_success_and_error_alike(production_app, path, status):
    response = production_app.test_client().get(path)

    assert response.status_code == status
    csp = _csp(response)
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


# --- logs ---------------------------------------------------------------------------


class Browser(Protocol):
    """What the lifecycle needs from a client: the test client or a real HTTP session."""

    def call(
        self, method: str, path: str, *, json: Any = None, form: Any = None, file: Any = None
    ) -> tuple[int, str]: ...

    def use_csrf(self, token: str) -> None: ...


class InProcessBrowser:
    def __init__(self, app: Flask) -> None:
        self.raw = app.test_client()
        self.headers: dict[str, str] = {}

    def call(self, method, path, *, json=None, form=None, file=None):
        kwargs: dict[str, Any] = {"headers": self.headers}
        if json is not None:
            kwargs["json"] = json
        if form is not None:
            kwargs["data"] = form
        if file is not None:
            kwargs["data"] = {"file": (io.BytesIO(file[1]), file[0])}
            kwargs["content_type"] = "multipart/form-data"
        response = self.raw.open(path, method=method, **kwargs)
        return response.status_code, response.get_data(as_text=True)

    def use_csrf(self, token: str) -> None:
        self.headers["X-CSRFToken"] = token


class HttpBrowser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def call(self, method, path, *, json=None, form=None, file=None):
        response = self.http.request(
            method,
            self.base_url + path,
            json=json,
            data=form,
            files={"file": file} if file else None,
            allow_redirects=False,
            timeout=30,
        )
        return response.status_code, response.text

    def use_csrf(self, token: str) -> None:
        self.http.headers["X-CSRFToken"] = token


@dataclass
class Secrets:
    """What must never appear in a log."""

    password: str
    token: str
    nik: str

    def assert_absent(self, logs: str) -> None:
        assert logs, "nothing was logged: the check proves nothing"
        assert self.password not in logs
        assert self.token not in logs
        assert self.nik not in logs
        found = SIXTEEN_DIGITS.findall(logs)
        assert not found, f"16-digit numbers in the logs: {found[:3]}"


@pytest.fixture
def open_activity(app: Flask, make_office, make_activity, make_user) -> Callable[[], tuple]:
    """An activity open for applying and booking, its admin, and a session an hour away."""

    def make() -> tuple[int, int, str]:
        office = make_office()
        now = utcnow()
        activity_id = make_activity(
            office,
            booking_opens_at=now - timedelta(days=1),
            booking_closes_at=now + timedelta(days=1),
            test_question_count=QUESTION_COUNT,
            test_duration_seconds=3600,
            blueprint=BLUEPRINT,
        )
        admin = make_user(Role.ADMIN, office=office)
        with app.app_context():
            if not db.session.scalar(db.select(Category.id).limit(1)):
                add_bank()
            session = build_test_session(activity_id, starts_at=now + timedelta(hours=1))
            db.session.commit()
            return activity_id, session.id, admin.email

    return make


def _ok(result: tuple[int, str], *expected: int) -> Any:
    status, body = result
    assert status in (expected or (200,)), (status, body[:300])
    return json.loads(body) if body.startswith("{") else body


def run_lifecycle(
    app: Flask,
    outbox: Path,
    open_activity: Callable[[], tuple],
    new_browser: Callable[[], Browser],
    *,
    follow_mail_link: bool,
) -> Secrets:
    """Register -> activate -> login -> profile -> documents -> apply -> accepted ->
    book -> start -> answer -> submit, plus a failed login, through `new_browser()`."""
    activity_id, session_id, admin_email = open_activity()
    email, password = "calon.mitra@uji.example", "kuda-laut-makan-nasi-goreng"
    profile = profile_payload()
    candidate = new_browser()

    _ok(
        candidate.call(
            "POST",
            "/api/v1/auth/register",
            json={
                "email": email,
                "password": password,
                "full_name": "Calon Mitra",
                "consent": True,
            },
        ),
        201,
    )
    link = ACTIVATION_LINK.search(body_text(only_mail(outbox)))
    assert link, "no activation link in the mail"
    token = link.group(1)
    if follow_mail_link:
        page = _ok(candidate.call("GET", f"/activate/{token}"))
        _ok(candidate.call("POST", f"/activate/{token}", form={"csrf_token": csrf_from(page)}), 302)
    else:
        _ok(candidate.call("POST", "/api/v1/auth/activate", json={"token": token}))
    _ok(
        candidate.call("POST", "/api/v1/auth/login", json={"email": email, "password": "salah"}),
        401,
    )
    login = _ok(
        candidate.call("POST", "/api/v1/auth/login", json={"email": email, "password": password})
    )
    candidate.use_csrf(login["csrf_token"])

    _ok(candidate.call("PUT", "/api/v1/me/profile", json=profile))
    _ok(candidate.call("GET", "/profil"))
    for kind in DocumentKind:
        _ok(
            candidate.call(
                "PUT", f"/api/v1/me/documents/{kind.value}", file=("ktp.png", png_bytes())
            ),
            200,
            201,
        )
    application = _ok(candidate.call("POST", f"/api/v1/activities/{activity_id}/applications"), 201)
    application_id = application["application_id"]

    admin = new_browser()
    admin_login = _ok(
        admin.call("POST", "/api/v1/auth/login", json={"email": admin_email, "password": PASSWORD})
    )
    admin.use_csrf(admin_login["csrf_token"])
    _ok(admin.call("GET", f"/api/v1/admin/applications/{application_id}"))
    _ok(admin.call("GET", f"/admin/lamaran/{application_id}"))
    _ok(
        admin.call(
            "POST",
            f"/api/v1/admin/applications/{application_id}/decision",
            json={"decision": "accepted", "reason": "Berkas lengkap"},
        )
    )

    _ok(candidate.call("POST", "/api/v1/me/bookings", json={"session_id": session_id}), 201)
    with app.app_context():
        starts_at = utcnow() - timedelta(seconds=1)
        db.session.execute(
            db.update(TestSession)
            .where(TestSession.id == session_id)
            .values(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=75))
        )
        db.session.commit()
    _ok(candidate.call("POST", "/api/v1/me/attempt"))
    _ok(candidate.call("GET", "/ujian"))
    for position in range(1, QUESTION_COUNT + 1):
        answer = {"choice": "A", "seq": 1}
        _ok(candidate.call("PUT", f"/api/v1/me/attempt/answers/{position}", json=answer))
    _ok(candidate.call("POST", "/api/v1/me/attempt/submit"))
    return Secrets(password=password, token=token, nik=profile["nik"])


def test_logs_of_a_whole_lifecycle_hold_no_personal_data(app, outbox, open_activity, caplog):
    caplog.set_level("DEBUG")  # the root logger: every library's debug output too
    # SQLAlchemy quietens itself to WARNING; its statement log (INFO) is where a NIK
    # would go. DEBUG would add result rows: never run it so in production.
    caplog.set_level("INFO", logger="sqlalchemy.engine")

    secrets = run_lifecycle(
        app, outbox, open_activity, lambda: InProcessBrowser(app), follow_mail_link=True
    )

    secrets.assert_absent(caplog.text)


@dataclass
class LoggedServer:
    url: str
    output: Path

    def logs(self) -> str:
        time.sleep(0.5)  # let the worker flush its last lines
        return self.output.read_text(errors="replace")


@pytest.fixture
def serve(app: Flask, tmp_path: Path) -> Iterator[Callable[..., LoggedServer]]:
    """Start gunicorn (`**env` added to its environment) with its access log on and
    every logger at DEBUG, its output captured in a file."""
    log_config = tmp_path / "logging.json"
    log_config.write_text(
        json.dumps(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "root": {"level": "DEBUG", "handlers": ["console"]},
                # INFO: statements and parameters; DEBUG would add result rows.
                "loggers": {"sqlalchemy.engine": {"level": "INFO"}},
                # Replaces gunicorn's handlers, whose names its own loggers use.
                "handlers": {
                    name: {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
                    for name in ("console", "error_console")
                },
            }
        )
    )
    servers: list[Server] = []

    def start(**env: str) -> LoggedServer:
        output = tmp_path / f"server{len(servers)}.log"
        options = ["--log-level", "debug", "--access-logfile", "-"]
        options += ["--log-config-json", str(log_config)]
        server = Server.start(server_env(app, **env), workers=1, options=options, log=output)
        servers.append(server)
        return LoggedServer(server.url, output)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def logged_server(serve) -> LoggedServer:
    return serve()


@pytest.mark.slow
def test_server_logs_of_a_whole_lifecycle_hold_no_personal_data(
    app, outbox, open_activity, logged_server
):
    secrets = run_lifecycle(
        app,
        outbox,
        open_activity,
        lambda: HttpBrowser(logged_server.url),
        follow_mail_link=False,
    )

    logs = logged_server.logs()
    assert "POST /api/v1/me/attempt/submit" in logs  # the access log was captured
    secrets.assert_absent(logs)


@pytest.mark.slow
def test_the_activation_link_stays_out_of_the_access_log(app, outbox, logged_server):
    browser = HttpBrowser(logged_server.url)
    _ok(
        browser.call(
            "POST",
            "/api/v1/auth/register",
            json={
                "email": "calon.mitra@uji.example",
                "password": "kuda-laut-makan-nasi-goreng",
                "full_name": "Calon Mitra",
                "consent": True,
            },
        ),
        201,
    )
    link = ACTIVATION_LINK.search(body_text(only_mail(outbox)))
    assert link, "no activation link in the mail"
    token = link.group(1)
    page = _ok(browser.call("GET", f"/activate/{token}"))
    _ok(browser.call("POST", f"/activate/{token}", form={"csrf_token": csrf_from(page)}), 302)

    logs = logged_server.logs()
    assert "POST /api/v1/auth/register" in logs  # the access log was captured
    assert token not in logs


@pytest.mark.slow
def test_behind_a_tls_proxy_hsts_and_secure_cookies(serve, make_user):
    """Deployed behind one TLS-terminating proxy, as the settings document it."""
    server = serve(SESSION_COOKIE_SECURE="1", PROXY_FIX_HOPS="1")
    user = make_user()
    through_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}

    page = requests.get(f"{server.url}/login", headers=through_tls, timeout=30)
    login = requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"email": user.email, "password": PASSWORD},
        headers=through_tls,
        timeout=30,
    )

    assert "max-age=" in page.headers["Strict-Transport-Security"]
    assert login.status_code == 200, login.text
    cookie = login.headers["Set-Cookie"]
    assert "session=" in cookie
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
