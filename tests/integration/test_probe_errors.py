"""Malformed input answers 4xx, never 500 (the outside probe's issue 12).

Every route in `app.url_map` with an id in its path is asked for ids beyond the
INTEGER columns' range (up to 5000 digits), a negative id and zero; every GET route
is asked the same in the query string names our pages and APIs read; every route
that takes a body gets a JSON body nested 100,000 deep. Each as an admin, an author,
a candidate, an API key and nobody. On PostgreSQL an id beyond INTEGER fails the
statement ("integer out of range"), so this file is the one that matters there;
on SQLite the driver refuses to bind such an int.

An error inside a PostgreSQL transaction leaves it aborted: the error page, which
loads the user for its navigation, must still render (the handler rolls back first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from werkzeug.routing import IntegerConverter, Rule

from exam_service import create_app
from exam_service.accounts.models import Role
from exam_service.core.extensions import db, limiter, redis_store
from exam_service.core.path_params import IdConverter
from exam_service.core.security import json_nesting_exceeds
from exam_service.feeds.keys import PII_READ, RESULTS_READ
from tests.support.accounts import PASSWORD
from tests.support.clients import ApiClient
from tests.support.feeds import bearer

ID_MAX = 2**31 - 1  # every id is an INTEGER column (a fact of the schema, stated here)
HUGE = "99999999999999999999"
OUT_OF_RANGE_IDS = [HUGE, str(ID_MAX + 1), "-1", "0", "9" * 5000]
# Names our pages and APIs read an id (or a number) from in the query string.
QUERY_ID_NAMES = [
    "activity_id",
    "kegiatan",
    "category_id",
    "session_id",
    "application_id",
    "attempt_id",
    "question_id",
    "page",
    "limit",
]
# Values for the path arguments that are not integers.
TEXT_ARGS = {"kind": "ktp", "token": "x", "fmt": "csv", "name": "x.png", "filename": "app.css"}
NOT_WALKED = ("/static/", "/api/v1/static/", "/api/v1/openapi")
TRACE_MARKERS = ("Traceback", "InFailedSqlTransaction", "NumericValueOutOfRange", "sqlalchemy")
_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@pytest.fixture
def probe_app(app: Flask, test_config: dict) -> Iterator[Flask]:
    """A production-like app (no TESTING, no rate limits that would hide a 500 behind
    a 429) on the session's database and Redis; `app` empties the tables afterwards.

    The limiter is one object shared by every app, and `RATELIMIT_ENABLED` switches it
    off for all of them: it is switched back on afterwards, or the rate-limit tests
    that run later would see no 429."""
    limits_enabled = limiter.enabled
    fresh = create_app(
        {
            **test_config,
            "REDIS_URL": redis_store.url,
            "TESTING": False,
            "DEBUG": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    yield fresh
    limiter.enabled = limits_enabled
    with fresh.app_context():
        db.engine.dispose()


@pytest.fixture
def callers(
    probe_app: Flask, make_office, make_user, make_activity, api_key
) -> dict[str, tuple[ApiClient, dict[str, str]]]:
    """Who asks: (client, extra headers) for each kind of caller."""
    office = make_office()
    make_activity(office)
    found: dict[str, tuple[ApiClient, dict[str, str]]] = {
        "anonymous": (ApiClient(probe_app.test_client()), {}),
        "api key": (
            ApiClient(probe_app.test_client()),
            bearer(api_key(RESULTS_READ, PII_READ)),
        ),
    }
    for role in (Role.ADMIN, Role.AUTHOR, Role.CANDIDATE):
        user = make_user(role, office=office if role is Role.ADMIN else None)
        client = ApiClient(probe_app.test_client())
        assert client.login(user.email, PASSWORD).status_code == 200
        found[role.value] = (client, {})
    return found


def _walked_rules(app: Flask) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if not r.rule.startswith(NOT_WALKED)),
        key=lambda r: r.rule,
    )


def _int_args(rule: Rule) -> list[str]:
    return [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]


def _url(rule: Rule, int_value: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        return int_value if name in _int_args(rule) else TEXT_ARGS.get(name, "x")

    return _ARG.sub(fill, rule.rule)


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def _ask(
    caller: tuple[ApiClient, dict[str, str]], method: str, url: str, **kwargs: Any
) -> tuple[int, str]:
    client, headers = caller
    if method in {"POST", "PUT", "PATCH"} and not kwargs:
        kwargs = {"json": {}} if url.startswith("/api/") else {"data": {}}
    response = client.open(method, url, headers=headers, **kwargs)
    return response.status_code, response.get_data().decode(errors="replace")


def _server_errors(
    callers: dict[str, tuple[ApiClient, dict[str, str]]],
    requests: list[tuple[str, str]],
    expected: Callable[[str, int], bool] = lambda url, status: status < 500,
    **kwargs: Any,
) -> list[str]:
    """Each request that answered 5xx (or what `expected` refuses), or showed a trace."""
    failures = []
    for who, caller in callers.items():
        for method, url in requests:
            status, body = _ask(caller, method, url, **kwargs)
            if not expected(url, status) or any(marker in body for marker in TRACE_MARKERS):
                failures.append(f"{who}: {method} {url[:120]} -> {status}")
    return failures


def _impossible_id_status(url: str, status: int) -> bool:
    """A page matches no route (404). The API checks the caller (CSRF 400, 401, 403),
    then its path model: beyond the range 422; a sign or 5000 digits match no route
    (404, or 405 where another route's path fits)."""
    if url.startswith("/api/"):
        return status in {400, 401, 403, 404, 405, 422}
    return status == 404


# --- ids in paths --------------------------------------------------------------------


def test_every_page_with_an_id_in_its_path_uses_the_bounded_converter(probe_app):
    """A page route added with werkzeug's plain `<int:...>` would pass an id of any
    size to the database; the API's `<int:...>` ids are bounded by their path models."""
    unbounded = [
        rule.rule
        for rule in _walked_rules(probe_app)
        if not rule.rule.startswith("/api/")
        for converter in rule._converters.values()
        if isinstance(converter, IntegerConverter) and not isinstance(converter, IdConverter)
    ]
    assert unbounded == []


def _integer_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The integer alternatives of a parameter's schema (`RowId | None` is an anyOf)."""
    return [s for s in (schema, *schema.get("anyOf", [])) if s.get("type") == "integer"]


def _names_a_row(param: dict[str, Any]) -> bool:
    return param["in"] == "path" or param["name"].endswith("_id")


def test_every_api_integer_parameter_is_documented_within_the_column_range(probe_app):
    """Each integer in an API path or query string is bounded by its model (the
    document shows the model): a number beyond INTEGER never reaches the database."""
    spec = probe_app.test_client().get("/api/v1/openapi.json").json
    unbounded = [
        f"{method.upper()} {path} {param['name']}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for param in operation.get("parameters", [])
        for schema in _integer_schemas(param["schema"])
        if schema.get("maximum", 2**63) > ID_MAX
        or (_names_a_row(param) and schema.get("minimum", 0) < 1)
    ]
    assert unbounded == []


def test_no_route_answers_500_for_an_id_out_of_range_in_its_path(probe_app, callers):
    requests = [
        (method, _url(rule, bad_id))
        for bad_id in OUT_OF_RANGE_IDS
        for rule in _walked_rules(probe_app)
        if _int_args(rule)
        for method in _methods(rule)
    ]
    assert len(requests) >= 80 * len(OUT_OF_RANGE_IDS)  # the walk found the routes

    assert _server_errors(callers, requests, _impossible_id_status) == []


def test_a_page_with_an_impossible_id_is_not_found(probe_app, callers):
    """The probe's own example, signed in (the page's navigation loads the user)."""
    client, _ = callers[Role.CANDIDATE.value]
    for bad_id in OUT_OF_RANGE_IDS:
        response = client.get(f"/pengumuman/{bad_id}")

        assert response.status_code == 404, bad_id[:24]
        assert response.mimetype == "text/html"
        assert "Halaman atau data tidak ditemukan." in response.get_data(as_text=True)


# --- ids in JSON bodies --------------------------------------------------------------


def _body_ids(
    spec: dict[str, Any], schema: dict[str, Any], where: str
) -> Iterator[tuple[str, dict]]:
    """(field, integer schema) for each field named `*_id` in a request body schema."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for alternative in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from _body_ids(spec, alternative, where)
    if schema.get("type") == "integer" and where.endswith("_id"):
        yield where, schema
    if schema.get("type") == "array":
        yield from _body_ids(spec, schema.get("items", {}), where)
    for name, field in schema.get("properties", {}).items():
        yield from _body_ids(spec, field, name)


def test_every_api_id_in_a_request_body_is_documented_within_the_column_range(probe_app):
    spec = probe_app.test_client().get("/api/v1/openapi.json").json
    unbounded = [
        f"{method.upper()} {path} {field}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for content in operation.get("requestBody", {}).get("content", {}).values()
        for field, schema in _body_ids(spec, content["schema"], "")
        if schema.get("maximum", 2**63) > ID_MAX or schema.get("minimum", 0) < 1
    ]
    assert unbounded == []


def test_an_id_beyond_the_column_in_a_json_body_is_a_validation_error(probe_app, callers):
    question = {"difficulty": "easy", "stem": "x", "options": [{"text": "a"}, {"text": "b"}]}
    for who, url, body in [
        ("candidate", "/api/v1/me/bookings", {"session_id": int(HUGE)}),
        ("author", "/api/v1/bank/questions", {**question, "category_id": int(HUGE)}),
    ]:
        client, headers = callers[who]
        response = client.post(url, headers=headers, json=body)

        assert response.status_code == 422, url
        assert response.json["error"]["code"] == "validation_error"


# --- ids in query strings ------------------------------------------------------------


def test_no_page_or_api_answers_500_for_an_id_out_of_range_in_its_query(probe_app, callers):
    requests = [
        ("GET", f"{_url(rule, '1')}?{'&'.join(f'{name}={bad_id}' for name in QUERY_ID_NAMES)}")
        for bad_id in (HUGE, str(ID_MAX + 1), "-1", "abc")
        for rule in _walked_rules(probe_app)
        if "GET" in _methods(rule)
    ]

    assert _server_errors(callers, requests) == []


def test_an_api_id_beyond_the_column_is_a_validation_error(probe_app, callers):
    """The API states each id's range in its document: beyond it, a 422 like any
    other input that breaks the schema (paths and query strings alike)."""
    for who, url in [
        ("admin", "/api/v1/admin/applications?activity_id={}"),
        ("author", "/api/v1/bank/questions?category_id={}"),
        ("author", "/api/v1/bank/questions/{}"),
        ("admin", "/api/v1/admin/applications/{}/documents/ktp"),
        ("author", "/api/v1/bank/statistics?activity_id={}"),
        ("api key", "/api/v1/results?activity_id={}"),
        ("api key", "/api/v1/results/{}"),
    ]:
        client, headers = callers[who]
        response = client.get(url.format(HUGE), headers=headers)

        assert response.status_code == 422, url
        assert response.json["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    ("value", "status"),
    [(HUGE, 404), (str(ID_MAX + 1), 404), ("0", 404), ("9" * 5000, 404), ("-1", 400), ("abc", 400)],
    ids=lambda v: str(v)[:24],
)
def test_a_page_query_id_is_read_within_the_column_range(probe_app, callers, value, status):
    client, _ = callers[Role.AUTHOR.value]

    assert client.get(f"/bank/statistik?kegiatan={value}").status_code == status
    assert client.get(f"/bank/soal?category_id={value}").status_code == status


def test_a_form_without_the_id_to_return_to_is_refused_not_a_500(probe_app, callers):
    """The page that extends an attempt's time goes back to the session's monitor."""
    client, _ = callers[Role.ADMIN.value]
    response = client.post("/admin/ujian/1/tambah-waktu", data={"minutes": "5", "reason": "x"})

    assert response.status_code == 400


# --- deeply nested JSON --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "exceeds"),
    [
        ("[" * 64 + "]" * 64, False),
        ("[" * 65 + "]" * 65, True),
        ('{"a":' * 64 + "1" + "}" * 64, False),
        ('{"a":' * 65 + "1" + "}" * 65, True),
        ("[" * 100_000, True),
        ('["' + "[" * 1000 + '"]', False),  # brackets inside a string are text
        # An escaped quote does not end a string; an escaped backslash before one does.
        ('["a\\"' + "[" * 1000 + '", 1]', False),
        ('["a\\\\", "' + "[" * 1000 + '"]', False),
        ('["a\\\\", ' + "[" * 65 + "]" * 65 + "]", True),
        ("[]" * 10_000, False),  # many brackets, none nested
    ],
    ids=lambda v: str(v)[:20],
)
def test_json_nesting_is_measured_outside_strings(text, exceeds):
    assert json_nesting_exceeds(text.encode()) is exceeds


def test_no_route_answers_500_for_a_deeply_nested_json_body(probe_app, callers):
    requests = [
        (method, _url(rule, "1"))
        for rule in _walked_rules(probe_app)
        for method in _methods(rule)
        if method in {"POST", "PUT", "PATCH", "DELETE"}
    ]
    body = "[" * 100_000

    assert _server_errors(callers, requests, data=body, content_type="application/json") == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/activate"],
)
def test_a_json_body_nested_too_deep_is_refused_with_400(probe_app, path):
    client = probe_app.test_client()
    for body in ("[" * 100_000, '{"a":' * 65 + "1" + "}" * 65):
        response = client.post(path, data=body, content_type="application/json")

        assert response.status_code == 400
        assert response.json["error"]["code"] == "json_too_deep"

    # Depth is counted outside strings: brackets inside a value are just text.
    text_with_brackets = {"email": "a@uji.example", "password": "[" * 200, "full_name": "{" * 200}
    response = client.post(path, json=text_with_brackets)
    assert response.status_code != 400


def test_a_deeply_nested_form_field_is_refused_not_a_500(probe_app, callers):
    """flask-openapi3 reads each form field of an API form model as JSON first."""
    client, _ = callers[Role.AUTHOR.value]
    response = client.post(
        "/api/v1/bank/import",
        data={"format": "[" * 100_000},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert response.json["error"]["code"] == "json_too_deep"


# --- the error page after an aborted transaction --------------------------------------


def _fail_inside_the_transaction() -> str:
    # A bug: a statement the database refuses (a NOT NULL column left empty). On
    # PostgreSQL the transaction is now aborted: every further statement in it fails
    # ("current transaction is aborted") until it is rolled back.
    db.session.execute(text("INSERT INTO offices (code, name) VALUES ('secret_marker', NULL)"))
    return "unreachable"


@pytest.fixture
def failing_app(probe_app: Flask) -> Flask:
    probe_app.add_url_rule("/gagal", "gagal", _fail_inside_the_transaction)
    probe_app.add_url_rule("/api/v1/gagal", "api_gagal", _fail_inside_the_transaction)
    return probe_app


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUTHOR, Role.CANDIDATE])
def test_the_error_page_renders_after_an_aborted_transaction(failing_app, make_user, role):
    """The page loads the signed-in user for its navigation: after a rollback."""
    user = make_user(role)
    client = ApiClient(failing_app.test_client())
    assert client.login(user.email, PASSWORD).status_code == 200

    response = client.get("/gagal")

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Terjadi kesalahan pada server." in page
    assert "Keluar" in page  # the signed-in navigation rendered
    for marker in (*TRACE_MARKERS, "offices", "secret_marker"):
        assert marker not in page

    response = client.get("/api/v1/gagal")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "secret_marker" not in response.get_data(as_text=True)
    # The next request of the same login is served normally.
    assert client.get("/api/v1/me").status_code == 200


def test_a_nul_character_is_refused_with_400_wherever_it_comes(probe_app, callers):
    """PostgreSQL stores no NUL in a text column: one that reached a statement was a 500."""
    anonymous = probe_app.test_client()
    register = anonymous.post(
        "/api/v1/auth/register",
        json={
            "email": "nul@uji.example",
            "password": "kuda-lari-di-sawah-hijau",
            "full_name": "Nama\u0000Palsu",
            "consent": True,
        },
    )
    author = callers[Role.AUTHOR.value][0]
    search = author.get("/api/v1/bank/questions?q=a%00b")
    page = author.get("/bank/soal?q=a%00b")

    for response in (register, search, page):
        assert response.status_code == 400, response.data[:300]
    assert register.json["error"]["code"] == "nul_character"
    assert search.json["error"]["code"] == "nul_character"
