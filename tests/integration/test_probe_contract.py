"""Findings of the outside probe (issue 12) about the public contract, each kept fixed:
answer sequence numbers bounded to what every layer represents exactly, the final result
on the candidate's applications once published, and the admin's integrity-event list
described by the OpenAPI document as it is served."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exam_service.core.extensions import db
from exam_service.exam.models import Answer
from exam_service.feeds.dispatcher import ResultsDispatcher
from tests.support.feeds import schedule_quota_selection

SPEC = "/api/v1/openapi.json"
# The answer gate in Redis (Lua) compares numbers as doubles: exact up to 2^53 - 1.
MAX_SEQ = 2**53 - 1


def _component(spec: dict, ref: str) -> dict:
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _ok_schema(spec: dict, path: str, method: str, status: str = "200") -> dict:
    content = spec["paths"][path][method]["responses"][status]["content"]
    return _component(spec, content["application/json"]["schema"]["$ref"])


# --- answer sequence numbers ------------------------------------------------------------


@pytest.fixture
def sitting(exam_activity, book_candidate, login):
    """A logged-in candidate with a started attempt."""
    client = login(book_candidate(exam_activity()).user)
    attempt_id = client.post("/api/v1/me/attempt").json["attempt_id"]
    return client, attempt_id


def answer(client, position: int, choice: str | None, seq):
    return client.put(f"/api/v1/me/attempt/answers/{position}", json={"choice": choice, "seq": seq})


def stored(app, attempt_id: int, position: int) -> tuple[str | None, int] | None:
    with app.app_context():
        row = db.session.get(Answer, (attempt_id, position))
        return None if row is None else (row.choice, row.seq)


@pytest.mark.parametrize("seq", [2**53, 2**53 + 1, 2**62, 0, -1])
def test_seq_outside_what_every_layer_holds_exactly_is_422(app, sitting, seq):
    client, attempt_id = sitting
    response = answer(client, 1, "A", seq)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert "seq" in response.json["error"]["details"]
    assert stored(app, attempt_id, 1) is None


def test_the_probe_sequence_cannot_keep_an_older_answer(app, sitting):
    """The probe: seq 2^53 (A), then 2^53 + 1 (B) answered 200 and kept A."""
    client, attempt_id = sitting
    assert answer(client, 1, "A", 2**53).status_code == 422
    assert answer(client, 1, "B", 2**53 + 1).status_code == 422
    assert stored(app, attempt_id, 1) is None


def test_the_largest_seq_is_saved_and_a_lower_one_is_stale(app, sitting):
    client, attempt_id = sitting
    saved = answer(client, 1, "A", MAX_SEQ)
    assert saved.status_code == 200, saved.json
    assert (saved.json["choice"], saved.json["seq"]) == ("A", MAX_SEQ)
    late = answer(client, 1, "B", MAX_SEQ - 1)
    assert late.status_code == 200
    assert (late.json["choice"], late.json["seq"]) == ("A", MAX_SEQ)
    assert stored(app, attempt_id, 1) == ("A", MAX_SEQ)


def test_the_openapi_document_states_the_seq_bounds(client):
    spec = client.get(SPEC).json
    operation = spec["paths"]["/api/v1/me/attempt/answers/{position}"]["put"]
    body = _component(
        spec, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    )
    seq = body["properties"]["seq"]
    assert (seq["type"], seq["minimum"], seq["maximum"]) == ("integer", 1, MAX_SEQ)
    assert "2^53" in seq["description"]
    assert "seq" in body["required"]


# --- the final result on the candidate's applications ------------------------------------


@pytest.fixture
def scheduled(app, login, activity_admin, exam_activity, scored_attempt):
    """Ani (3 of 3) passes with a quota of 1, Budi (1 of 3) does not; announced in 5 days."""
    activity_id = exam_activity()
    ani = scored_attempt(activity_id, {"hitung": ("3", "3")}, full_name="Ani Lestari")
    budi = scored_attempt(activity_id, {"hitung": ("1", "3")}, full_name="Budi Santoso")
    admin = login(activity_admin(activity_id))
    _, at = schedule_quota_selection(admin, activity_id)
    return {"activity_id": activity_id, "ani": login(ani.user), "budi": login(budi.user), "at": at}


def _publish_at(app, now) -> None:
    with app.app_context():
        ResultsDispatcher(app).tick(now)


def _only_application(client) -> dict:
    response = client.get("/api/v1/me/applications")
    assert response.status_code == 200
    [application] = response.json["items"]
    return application


def test_my_applications_show_no_result_before_publication(app, scheduled):
    _publish_at(app, scheduled["at"] - timedelta(seconds=1))
    for who in ("ani", "budi"):
        application = _only_application(scheduled[who])
        assert application["status"] == "accepted"
        assert application["result"] is None
        one = scheduled[who].get(f"/api/v1/me/applications/{application['application_id']}")
        assert one.json["result"] is None


def test_my_applications_show_the_result_once_published(app, scheduled):
    _publish_at(app, scheduled["at"] + timedelta(seconds=1))
    ani, budi = _only_application(scheduled["ani"]), _only_application(scheduled["budi"])
    assert ani["status"] == "passed"
    assert ani["result"]["status"] == "passed"
    assert ani["result"]["published_at"]
    # This activity does not show scores to candidates.
    assert (ani["result"]["score"], ani["result"]["rank"]) == (None, None)
    assert budi["result"]["status"] == "not_passed"
    one = scheduled["ani"].get(f"/api/v1/me/applications/{ani['application_id']}")
    assert one.json["result"] == ani["result"]
    # It is the same result as the candidate's result endpoint gives.
    detail = scheduled["ani"].get(f"/api/v1/me/applications/{ani['application_id']}/result").json
    assert (detail["status"], detail["score"]) == (ani["result"]["status"], None)


def test_my_applications_show_scores_where_the_activity_shows_them(app, scheduled):
    from exam_service.recruitment.models import Activity

    _publish_at(app, scheduled["at"] + timedelta(seconds=1))
    with app.app_context():
        db.session.get_one(Activity, scheduled["activity_id"]).show_score_to_candidates = True
        db.session.commit()
    result = _only_application(scheduled["ani"])["result"]
    assert (result["score"], result["max_score"], result["rank"]) == ("3", "3", 1)


# --- the admin's list of integrity events ------------------------------------------------


def test_the_integrity_event_list_is_documented_as_served(
    app, client, login, exam_activity, book_candidate, activity_admin
):
    activity_id = exam_activity()
    candidate = login(book_candidate(activity_id).user)
    attempt_id = candidate.post("/api/v1/me/attempt").json["attempt_id"]
    for kind in ("hidden", "visible"):
        assert candidate.post("/api/v1/me/attempt/events", json={"kind": kind}).status_code == 201
    admin = login(activity_admin(activity_id))
    served = admin.get(f"/api/v1/admin/attempts/{attempt_id}/events")
    assert served.status_code == 200
    assert [e["kind"] for e in served.json["events"]] == ["hidden", "visible"]

    spec = client.get(SPEC).json
    declared = _ok_schema(spec, "/api/v1/admin/attempts/{attempt_id}/events", "get")
    assert set(declared["properties"]) == set(served.json) == {"events"}
    assert declared["required"] == ["events"]
    events = declared["properties"]["events"]
    assert events["type"] == "array"
    item = _component(spec, events["items"]["$ref"])
    assert set(item["properties"]) == set(served.json["events"][0]) == {"kind", "at"}


# --- one-line names (found by the schemathesis run once it logged in) ------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/admin/api-keys", {"name": "Rekrutmen\x00", "scopes": ["results:read"]}, "name"),
        (
            "/api/v1/admin/webhooks",
            {
                "name": "Rek\nrutmen",
                "url": "https://93.184.215.14/",
                "events": ["attempt.graded"],
            },
            "name",
        ),
        (
            "/api/v1/admin/webhooks",
            {"name": "x", "url": "https://93.184.215.14/\x00", "events": ["attempt.graded"]},
            "url",
        ),
    ],
)
def test_feed_names_with_control_characters_are_refused(
    login, exam_activity, activity_admin, path, body, field
):
    """PostgreSQL text cannot hold NUL: such a name was a 500 there (and stored on SQLite).
    A NUL is refused for every field before any view (400 `nul_character`); the feeds'
    names and URLs also refuse the other control characters, on the field (422)."""
    admin = login(activity_admin(exam_activity()))
    response = admin.post(path, json=body)
    if "\x00" in body[field]:
        assert response.status_code == 400, response.json
        assert response.json["error"]["code"] == "nul_character"
    else:
        assert response.status_code == 422, response.json
        assert field in response.json["error"]["details"]
