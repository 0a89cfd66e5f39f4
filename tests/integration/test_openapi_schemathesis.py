"""The OpenAPI document covers every JSON endpoint, and the running app keeps to it.

Schemathesis generates requests from /api/v1/openapi.json and sends them to the
app in-process (WSGI), as a logged-in admin, a candidate and a question author,
each also holding an API key, against seeded data. Checks: no 5xx, and every
response fits its documented schema. Bounded, so it stays well under a minute.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from exam_service.accounts.models import Role
from exam_service.clock import utcnow
from exam_service.feeds.keys import PII_READ, RESULTS_READ

pytestmark = pytest.mark.slow

SPEC = "/api/v1/openapi.json"
MAX_EXAMPLES = 6
# Endpoints whose generated requests would end the test's own login.
EXCLUDED = r"^/api/v1/auth/logout$"
_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _documented(spec: dict) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}


def test_every_json_endpoint_is_in_the_openapi_document(app, client):
    spec = client.get(SPEC).json
    served = {
        (_PATH_PARAM.sub(r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        # flask-openapi3's own routes (the document and its index) are not API endpoints.
        if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith("openapi.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served - _documented(spec) == set()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["apiKey"] == {"type": "http", "scheme": "bearer"}


@pytest.fixture
def seeded(
    app, login, make_user, activity_admin, exam_activity, scored_attempt, graded_attempt, api_key
):
    """An activity with graded attempts, a rule and a webhook; an admin, a candidate and
    an author (the bank has categories and questions from the exam fixtures)."""
    activity_id = exam_activity()
    scored_attempt(activity_id, {"hitung": ("2", "3"), "konsep": ("1", "2")})
    candidate = graded_attempt(activity_id)
    admin = login(activity_admin(activity_id))
    base = f"/api/v1/admin/activities/{activity_id}/selection"
    admin.put(base, json={"method": "quota", "quota": 1})
    later = (utcnow() + timedelta(days=10)).isoformat()
    admin.post(f"{base}/schedule", json={"announcement_at": later})
    admin.post(
        "/api/v1/admin/webhooks",
        json={"name": "x", "url": "http://127.0.0.1:9/x", "events": ["attempt.graded"]},
    )
    return {
        "admin": admin,
        "candidate": login(candidate.user),
        "author": login(make_user(Role.AUTHOR)),
        "key": api_key(RESULTS_READ, PII_READ),
    }


def _headers(client, key: str) -> dict[str, str]:
    return {
        "Cookie": f"session={client.raw.get_cookie('session').value}",
        "X-CSRFToken": client.csrf_token,
        "Authorization": f"Bearer {key}",
    }


def _run(operation, headers: dict[str, str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case) -> None:
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    check()


def test_the_api_never_fails_and_keeps_to_its_schema(app, seeded):
    schema = schemathesis.openapi.from_wsgi(SPEC, app).exclude(path_regex=EXCLUDED)
    failures = []
    for role in ("admin", "candidate", "author"):
        headers = _headers(seeded[role], seeded["key"])
        for result in schema.get_all_operations():
            operation = result.ok()
            try:
                _run(operation, headers)
            # Schemathesis raises a FailureGroup (a BaseExceptionGroup): collect each
            # failing operation, then report them all at once.
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{role} {operation.label}: {str(error)[:2000]}")
    assert not failures, "\n\n".join(failures)
