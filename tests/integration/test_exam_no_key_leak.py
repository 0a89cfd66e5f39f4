"""Invariant 6: the answer key never leaves the server.

A whole attempt is driven through the API and the page (start, resume, every save, a
stale save, refusals, integrity events, submit, the finished state) and every
candidate-facing body is scanned:
- JSON is walked against an allow-list of the documented fields, and that allow-list
  must be exactly what the OpenAPI document promises;
- numbers may only sit in fields whose value the test knows (ids, positions, the seq
  it sent, the time left), and texts must be the bank's own stems and option texts,
  so there is no field left where points could hide;
- no body (JSON, the page, its script and styles) names points, keys or scores.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from exam_service.authoring.models import QuestionVersion
from exam_service.core.extensions import db
from exam_service.exam.models import Attempt

FORBIDDEN = re.compile(
    r"\b(points?|poin|keep_last|correct|is_key|answer_key|kunci|scores?|skor|bobot)\b"
    r"|[\"']benar[\"']\s*:|\bbenar\s*=",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Opt:
    """A field that may be absent."""

    name: str


class Iso:
    """An ISO 8601 time with its zone."""


class Key:
    """An option key as shown: one letter A-F."""


class PositionMap:
    """`answers`: {"3": "B"} (position -> key)."""


class TextMap:
    """`details` of an error: {field: message}."""


OPTION = {"key": Key, "text": str}
QUESTION = {"position": int, "text": str, "image_url": (str, None), "options": [OPTION]}
RECEIPT = {"finished_at": Iso, "finish_reason": str, "answers_hash": str}
ATTEMPT = {
    "attempt_id": int,
    "status": str,
    "deadline": (Iso, None),
    "server_time": Iso,
    "remaining_seconds": int,
    "question_count": int,
    "questions": [QUESTION],
    "answers": PositionMap,
    "receipt": (RECEIPT, None),
}
ANSWER = {
    "saved": bool,
    "position": int,
    "choice": (Key, None),
    "seq": int,
    "remaining_seconds": int,
    "deadline": Iso,
    "server_time": Iso,
}
MESSAGE = {"message": str}
ERROR = {
    "error": {"code": str, "message": str, Opt("details"): TextMap},
    Opt("starts_at"): Iso,
}
DOCUMENTED = {
    "AttemptOut": ATTEMPT,
    "QuestionOut": QUESTION,
    "OptionOut": OPTION,
    "ReceiptOut": RECEIPT,
    "AnswerOut": ANSWER,
}


def walk(value: Any, shape: Any, path: str = "$") -> None:
    """Assert that `value` has exactly the fields and types of `shape`."""
    if isinstance(shape, tuple):
        failures = []
        for alternative in shape:
            try:
                walk(value, alternative, path)
                return
            except AssertionError as e:
                failures.append(str(e))
        raise AssertionError(f"{path}: {value!r} fits no alternative ({failures})")
    if shape is None:
        assert value is None, f"{path}: {value!r} is not null"
    elif isinstance(shape, dict):
        _walk_object(value, shape, path)
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{path}: not a list"
        for n, item in enumerate(value):
            walk(item, shape[0], f"{path}[{n}]")
    elif shape is PositionMap:
        assert isinstance(value, dict), f"{path}: not an object"
        for position, choice in value.items():
            assert position.isdigit(), f"{path}: key {position!r} is not a position"
            walk(choice, Key, f"{path}.{position}")
    elif shape is TextMap:
        assert isinstance(value, dict), f"{path}: not an object"
        assert all(isinstance(v, str) for v in value.values()), f"{path}: not texts"
    elif shape is Iso:
        assert isinstance(value, str), f"{path}: not a time"
        assert datetime.fromisoformat(value).tzinfo is not None, f"{path}: no zone"
    elif shape is Key:
        assert isinstance(value, str), f"{path}: not an option key"
        assert re.fullmatch("[A-F]", value), f"{path}: {value!r} is not an option key"
    else:
        # type(...) rather than isinstance: True is an int in Python, not in this API.
        assert type(value) is shape, f"{path}: {value!r} is not {shape.__name__}"


def _walk_object(value: Any, shape: dict, path: str) -> None:
    assert isinstance(value, dict), f"{path}: not an object"
    required = {k for k in shape if not isinstance(k, Opt)}
    optional = {k.name for k in shape if isinstance(k, Opt)}
    undocumented = set(value) - required - optional
    assert not undocumented, f"{path}: undocumented fields {sorted(undocumented)}"
    assert required <= set(value), f"{path}: missing {sorted(required - set(value))}"
    for name, item in value.items():
        walk(item, shape[name] if name in shape else shape[Opt(name)], f"{path}.{name}")


def scan_text(label: str, body: str) -> None:
    found = FORBIDDEN.search(body)
    assert found is None, f"{label}: {found.group(0)!r} in {body[:200]!r}"


class Scanner:
    """Collects every candidate-facing response of the drive and checks each one."""

    def __init__(self, bank: dict[int, dict[str, Any]], attempt_id: int | None = None) -> None:
        self.bank = bank
        self.attempt_id = attempt_id
        self.count = 0

    def json(self, label: str, response, shape: dict, status: int) -> dict:
        assert response.status_code == status, (label, response.status_code, response.json)
        assert response.mimetype == "application/json", label
        scan_text(label, response.get_data(as_text=True))
        body = response.json
        if shape is ATTEMPT:
            self.check_attempt(label, body)
        else:
            walk(body, shape)
        self.count += 1
        return body

    def text(self, label: str, response) -> str:
        assert response.status_code == 200, (label, response.status_code)
        body = response.get_data(as_text=True)
        scan_text(label, body)
        self.count += 1
        return body

    def check_attempt(self, label: str, body: dict) -> None:
        """Only documented fields, and every number and text one the test accounts for."""
        walk(body, ATTEMPT)
        if self.attempt_id is not None:
            assert body["attempt_id"] == self.attempt_id, label
        assert 0 <= body["remaining_seconds"] <= 3600, label
        assert body["question_count"] == 5, label
        shown = self.bank
        for n, question in enumerate(body["questions"], start=1):
            assert question["position"] == n, label
            assert question["image_url"] is None, label
            version = shown[n]
            assert question["text"] == version["stem"], label
            keys = [o["key"] for o in question["options"]]
            assert keys == list("ABCDEF")[: len(version["options"])], label
            assert [o["text"] for o in question["options"]] == version["options"], label


def bank_as_shown(app, attempt_id: int) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """Per position: the stem and option texts in the attempt's order, and the key's letter."""
    shown, keys = {}, {}
    with app.app_context():
        attempt = db.session.get_one(Attempt, attempt_id)
        for item in attempt.items:
            version = db.session.get_one(QuestionVersion, item.question_version_id)
            texts = [version.options[i]["text"] for i in item.option_order]
            shown[item.position] = {"stem": version.stem, "options": texts}
            points = [version.options[i]["points"] for i in item.option_order]
            keys[item.position] = "ABCDEF"[points.index(max(points))]
    return shown, keys


def other_key(key: str) -> str:
    return "B" if key == "A" else "A"


def test_no_candidate_facing_response_reveals_keys_or_points(
    app, exam_activity, book_candidate, login
):
    booked = book_candidate(exam_activity())
    client = login(booked.user)
    pages = Scanner({})

    page = pages.text("the test page", client.get("/ujian"))
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert {"/static/exam.js", "/static/exam.css"} <= {a.split("?")[0] for a in assets}
    for asset in assets:
        pages.text(asset, client.get(asset))
    pages.json("before the start", client.get("/api/v1/me/attempt"), ERROR, 404)
    pages.json(
        "an answer before the start",
        client.put("/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 1}),
        ERROR,
        404,
    )

    started = client.post("/api/v1/me/attempt")
    assert started.status_code == 200
    attempt_id = started.json["attempt_id"]
    shown, keys = bank_as_shown(app, attempt_id)
    scan = Scanner(shown, attempt_id)
    scan.json("start", started, ATTEMPT, 200)
    scan.json("resume", client.post("/api/v1/me/attempt"), ATTEMPT, 200)

    def save(position: int, choice: str | None, seq: int) -> dict:
        response = client.put(
            f"/api/v1/me/attempt/answers/{position}", json={"choice": choice, "seq": seq}
        )
        body = scan.json(f"save {position}={choice} #{seq}", response, ANSWER, 200)
        assert body["position"] == position
        return body

    for position, key in keys.items():
        right = save(position, key, 10)
        wrong = save(position, other_key(key), 11)
        # A right answer and a wrong one get the same reply, but for the echoed choice.
        assert (right["choice"], right["seq"]) == (key, 10)
        assert (wrong["choice"], wrong["seq"]) == (other_key(key), 11)
        assert _volatile_removed(right) == _volatile_removed(wrong)
        stale = save(position, key, 9)
        assert (stale["choice"], stale["seq"]) == (other_key(key), 11)
        final = save(position, key, 12)
        assert final["seq"] == 12
    assert save(5, None, 13)["choice"] is None
    save(5, keys[5], 14)

    for label, body in [
        ("a choice that is no option", {"choice": "F", "seq": 20}),
        ("a lowercase choice", {"choice": "a", "seq": 20}),
        ("a negative seq", {"choice": "A", "seq": -1}),
    ]:
        response = client.put("/api/v1/me/attempt/answers/1", json=body)
        scan.json(label, response, ERROR, 422)
    scan.json(
        "a position not in the form",
        client.put("/api/v1/me/attempt/answers/6", json={"choice": "A", "seq": 20}),
        ERROR,
        422,
    )
    scan.json(
        "an event",
        client.post("/api/v1/me/attempt/events", json={"kind": "hidden"}),
        MESSAGE,
        201,
    )
    scan.json(
        "an unknown event",
        client.post("/api/v1/me/attempt/events", json={"kind": "cheating"}),
        ERROR,
        422,
    )
    in_progress = scan.json("get", client.get("/api/v1/me/attempt"), ATTEMPT, 200)
    assert in_progress["answers"] == {str(p): k for p, k in keys.items()}
    pages.text("the test page during the test", client.get("/ujian"))

    finished = scan.json("submit", client.post("/api/v1/me/attempt/submit"), ATTEMPT, 200)
    assert finished["status"] == "finished"
    assert finished["receipt"] is not None
    assert finished["questions"] == []
    for label, response, shape, status in [
        ("submit again", client.post("/api/v1/me/attempt/submit"), ATTEMPT, 200),
        ("get after the end", client.get("/api/v1/me/attempt"), ATTEMPT, 200),
        ("start after the end", client.post("/api/v1/me/attempt"), ATTEMPT, 200),
        (
            "an answer after the end",
            client.put("/api/v1/me/attempt/answers/1", json={"choice": "A", "seq": 99}),
            ERROR,
            409,
        ),
        (
            "an event after the end",
            client.post("/api/v1/me/attempt/events", json={"kind": "visible"}),
            ERROR,
            409,
        ),
    ]:
        assert scan.json(label, response, shape, status) is not None
    pages.text("the test page after the end", client.get("/ujian"))
    assert scan.count == 37
    assert pages.count == 3 + len(assets) + 2


def _volatile_removed(body: dict) -> dict:
    return {
        k: v
        for k, v in body.items()
        if k not in {"choice", "seq", "remaining_seconds", "server_time"}
    }


def test_errors_before_the_session_reveal_nothing(exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity(), starts_in=timedelta(hours=2))
    client = login(booked.user)
    scanner = Scanner({})
    body = scanner.json("not started", client.post("/api/v1/me/attempt"), ERROR, 409)
    assert body["error"]["code"] == "session_not_started"
    assert "starts_at" in body


def test_the_allow_list_is_the_documented_contract(client):
    """The walk above allows exactly the fields the OpenAPI document promises."""
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name, shape in DOCUMENTED.items():
        documented = set(schemas[name]["properties"])
        allowed = {k.name if isinstance(k, Opt) else k for k in shape}
        assert documented == allowed, name


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        (lambda b: b["questions"][0]["options"][0].update(p=1), "undocumented fields"),
        (lambda b: b["questions"][0].update(benar="A"), "undocumented fields"),
        (lambda b: b["questions"][0]["options"][1].update(key=1), "not an option key"),
        (lambda b: b.update(answers={"1": 1}), "not an option key"),
        (lambda b: b.update(remaining_seconds=True), "is not int"),
        (lambda b: b["questions"][0]["options"][0].update(text="x"), "option text"),
    ],
)
def test_the_walk_catches_a_leak(app, exam_activity, book_candidate, login, tamper, why):
    """A scan that cannot fail proves nothing: doctored replies must be caught."""
    booked = book_candidate(exam_activity())
    client = login(booked.user)
    body = client.post("/api/v1/me/attempt").json
    shown, _ = bank_as_shown(app, body["attempt_id"])
    doctored = copy.deepcopy(body)
    tamper(doctored)
    scanner = Scanner(shown, body["attempt_id"])
    scanner.check_attempt("as sent", body)
    with pytest.raises(AssertionError):
        scanner.check_attempt(why, doctored)


@pytest.mark.parametrize(
    "body",
    [
        '{"options": [{"key": "A", "points": 1}]}',
        '{"is_key": true}',
        '{"benar": "A"}',
        "<li data-correct>",
        "var kunci = 'A';",
        "Skor Anda: 80",
        "1 poin",
    ],
)
def test_the_word_scan_catches_a_leak(body):
    with pytest.raises(AssertionError):
        scan_text("doctored", body)
