"""Observability: request ids, JSON logs without personal data, Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import datetime, timedelta

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from exam_service import create_app
from exam_service.core.clock import utcnow
from exam_service.core.config import Config
from exam_service.core.extensions import db, redis_store
from exam_service.core.observability import configure_logging, flush_logs
from exam_service.exam import live
from exam_service.exam.models import Attempt
from exam_service.worker import Worker
from tests.support.accounts import profile_payload

HISTOGRAM = "http_request_duration_seconds"


# --- helpers ---------------------------------------------------------------------


def json_lines(text: str) -> list[dict]:
    """The JSON log records in captured stderr (Alembic's text handler on the root
    logger may repeat them in the tests' process)."""
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def stderr(capsys) -> str:
    """What the app has logged so far: the log listener writes from its own thread."""
    flush_logs()
    return capsys.readouterr().err


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    """GET /metrics parsed: (sample name, sorted labels) -> value."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def gauge(client, name: str) -> float:
    return scrape(client)[(name, ())]


@pytest.fixture
def candidate(exam_activity, book_candidate, login):
    booked = book_candidate(exam_activity())
    return booked, login(booked.user)


def start_attempt(client) -> int:
    response = client.post("/api/v1/me/attempt")
    assert response.status_code == 200, response.json
    return response.json["attempt_id"]


def make_overdue(app, attempt_id: int, seconds_late: float) -> None:
    """The attempt's deadline (plus grace) passed `seconds_late` ago and no worker ran:
    the database's deadline and the worker's schedule in Redis, as the service sets them."""
    grace = timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"])
    deadline = utcnow() - grace - timedelta(seconds=seconds_late)
    with app.app_context():
        db.session.get_one(Attempt, attempt_id).deadline = deadline
        db.session.commit()
    live.schedule_finish(attempt_id, live.to_ms(deadline + grace))


@pytest.fixture
def redis_down(monkeypatch):
    """The app's Redis client points at a port where nothing listens."""

    def down() -> None:
        dead = redis.Redis(port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
        monkeypatch.setattr(redis_store, "_client", dead)

    return down


# --- request ids -----------------------------------------------------------------


def test_a_request_id_is_generated_and_echoed(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize("offered", ["nginx-3f2a.b_9", "a" * 64])
def test_a_sane_request_id_is_kept(client, offered):
    response = client.get("/healthz", headers={"X-Request-ID": offered})
    assert response.headers["X-Request-ID"] == offered


@pytest.mark.parametrize(
    "offered",
    ["a" * 65, "x" * 200, "two words", "line\nbreak", 'quote"s', "ümlaut", "{json}", ""],
)
def test_an_insane_request_id_is_replaced(client, offered):
    # Through the WSGI environ: the test client itself refuses a newline in a header.
    response = client.get("/healthz", environ_base={"HTTP_X_REQUEST_ID": offered})
    echoed = response.headers["X-Request-ID"]
    assert echoed != offered
    assert re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_a_refused_request_gets_an_id_too(candidate):
    """CSRF refuses before any view runs; the id is set before that."""
    _, client = candidate
    response = client.post("/api/v1/me/attempt", headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


# --- logs ------------------------------------------------------------------------


def test_a_failed_request_gets_one_json_access_line(client, capsys):
    stderr(capsys)
    client.get("/no-such-page?email=someone@example.org", headers={"X-Request-ID": "trace-1"})
    records = [r for r in json_lines(stderr(capsys)) if r.get("request_id") == "trace-1"]
    assert len(records) == 1
    line = records[0]
    assert line["logger"] == "exam_service.access"
    assert line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/no-such-page", 404)
    assert isinstance(line["duration_ms"], int | float)
    assert line["duration_ms"] >= 0
    assert datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0)
    assert "someone" not in json.dumps(line)  # no query string


def test_a_successful_fast_request_is_logged_only_at_debug(client, capsys, caplog):
    stderr(capsys)
    client.get("/healthz", headers={"X-Request-ID": "quiet-1"})
    assert not [r for r in json_lines(stderr(capsys)) if r.get("request_id") == "quiet-1"]
    caplog.set_level(logging.DEBUG, logger="exam_service.access")
    client.get("/healthz", headers={"X-Request-ID": "quiet-2"})
    records = [r for r in json_lines(stderr(capsys)) if r.get("request_id") == "quiet-2"]
    assert [(r["level"], r["path"], r["status"]) for r in records] == [("DEBUG", "/healthz", 200)]


def test_every_record_of_a_request_carries_its_id(app, candidate, capsys):
    """An application log line (the failed-login warning) and the access line share the id."""
    booked, _ = candidate
    stderr(capsys)
    response = app.test_client().post(
        "/api/v1/auth/login",
        json={"email": booked.email, "password": "wrong password"},
        headers={"X-Request-ID": "login-7"},
    )
    assert response.status_code == 401
    records = [r for r in json_lines(stderr(capsys)) if r.get("request_id") == "login-7"]
    assert {r["logger"] for r in records} == {
        "exam_service.accounts.service",
        "exam_service.access",
    }
    assert booked.email not in json.dumps(records)


def test_the_activation_token_is_not_logged(client, capsys, caplog):
    caplog.set_level(logging.DEBUG, logger="exam_service.access")
    token = secrets.token_urlsafe(32)
    stderr(capsys)
    response = client.get(f"/activate/{token}", headers={"X-Request-ID": "activate-1"})
    assert response.status_code == 200
    # An application message naming the path is redacted as well.
    logging.getLogger("exam_service.core.errors").error(
        "unhandled error on GET /activate/%s", token
    )
    err = stderr(capsys)
    assert token not in err
    records = json_lines(err)
    access = [r for r in records if r.get("request_id") == "activate-1"]
    assert access[0]["path"] == "/activate/[redacted]"
    assert records[-1]["message"] == "unhandled error on GET /activate/[redacted]"


def test_no_nik_in_the_logs_of_completing_a_profile(make_user, login, capsys, caplog):
    caplog.set_level(logging.DEBUG, logger="exam_service")
    stderr(capsys)
    client = login(make_user())
    payload = profile_payload()
    assert client.put("/api/v1/me/profile", json=payload).status_code == 200
    assert client.get("/api/v1/me/profile").json["nik"] == payload["nik"]
    assert client.get("/profil").status_code in {200, 302}
    logged = stderr(capsys) + caplog.text
    assert "/api/v1/me/profile" in logged  # the requests were logged
    assert payload["nik"] not in logged
    # Any 16-digit number standing alone (a request id is hex: digits may run inside it).
    assert not re.search(r"(?<![0-9A-Za-z])\d{16}(?![0-9A-Za-z])", logged)


@pytest.fixture
def text_logs(app):
    """`LOG_FORMAT=text` (what `make run` sets) for one test, then the app's own again."""
    configure_logging("text", "INFO")
    yield
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


def test_the_text_format_is_one_line_a_person_reads(client, capsys, text_logs):
    stderr(capsys)
    client.get("/no-such-page?email=someone@example.org", headers={"X-Request-ID": "trace-2"})
    logging.getLogger("exam_service.demo").warning("no request here")
    lines = stderr(capsys).splitlines()
    access = [line for line in lines if "trace-2" in line]
    assert len(access) == 1
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d INFO {4}exam_service\.access: GET /no-such-page 404 [\d.]+ ms"
        r" \[req trace-2\]",
        access[0],
    ), access[0]
    # Without a request, no empty request id (Alembic's handler on the root may repeat it).
    outside = [line for line in lines if line.endswith("no request here")]
    assert any(
        re.fullmatch(r"\d\d:\d\d:\d\d WARNING exam_service\.demo: no request here", line)
        for line in outside
    ), outside
    assert not json_lines("\n".join(lines))
    assert "someone" not in "\n".join(lines)


def test_json_is_the_default_format(tmp_path):
    """Production (gunicorn, docker compose) sets no LOG_FORMAT: JSON lines."""
    assert Config.from_env(tmp_path, environ={}).LOG_FORMAT == "json"


@pytest.mark.parametrize(("log_format", "level"), [("xml", "INFO"), ("json", "LOUD")])
def test_a_wrong_log_setting_is_refused(app, log_format, level):
    with pytest.raises(ValueError, match=r"LOG_FORMAT|Unknown level"):
        configure_logging(log_format, level)


def test_creating_many_apps_keeps_one_handler(app, test_config):
    for overrides in ({"LOG_FORMAT": "text"}, {}, {}):
        fresh = create_app({**test_config, "REDIS_URL": redis_store.url, **overrides})
        with fresh.app_context():
            db.engine.dispose()
    assert len(logging.getLogger("exam_service").handlers) == 1


# --- /metrics: access ------------------------------------------------------------


def test_metrics_from_localhost_without_a_token(client):
    client.get("/healthz")
    samples = scrape(client)
    labels = (("endpoint", "main.healthz"), ("method", "GET"), ("status_class", "2xx"))
    assert samples[(f"{HISTOGRAM}_count", labels)] >= 1


def test_metrics_label_the_endpoint_never_the_raw_path(client):
    client.get("/no-such-page-3c9d1")
    text = client.get("/metrics").get_data(as_text=True)
    assert "no-such-page" not in text
    assert 'endpoint="unmatched"' in text


@pytest.mark.parametrize("address", ["10.0.0.7", "192.168.1.20", "2001:db8::1"])
def test_metrics_is_404_from_elsewhere_without_a_token(client, address):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 404
    assert HISTOGRAM not in response.get_data(as_text=True)


def test_metrics_with_a_token(app, client, monkeypatch):
    token = secrets.token_urlsafe(24)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", token)
    refused = [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {token}x"},
        {"Authorization": f"Basic {token}"},
        {"Authorization": token},
    ]
    for headers in refused:
        assert client.get("/metrics", headers=headers).status_code == 404, headers
    remote = {"REMOTE_ADDR": "10.0.0.7"}
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}, environ_base=remote)
    assert ok.status_code == 200
    assert HISTOGRAM in ok.get_data(as_text=True)


def test_metrics_is_not_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    assert not any("metrics" in path for path in document["paths"])


# --- /metrics: the exam ----------------------------------------------------------


def test_a_saved_answer_counts_once(candidate, client):
    _, candidate_client = candidate
    start_attempt(candidate_client)
    before = gauge(client, "exam_answers_saved_total")
    saved = candidate_client.put("/api/v1/me/attempt/answers/1", json={"choice": "B", "seq": 1})
    assert saved.status_code == 200
    assert gauge(client, "exam_answers_saved_total") == before + 1
    refused = candidate_client.put("/api/v1/me/attempt/answers/9", json={"choice": "B", "seq": 2})
    assert refused.status_code == 422
    assert gauge(client, "exam_answers_saved_total") == before + 1


def test_active_attempts_and_worker_lag(app, candidate, client):
    _, candidate_client = candidate
    assert gauge(client, "exam_active_attempts") == 0
    attempt_id = start_attempt(candidate_client)
    assert gauge(client, "exam_active_attempts") == 1
    assert gauge(client, "exam_worker_lag_seconds") == 0  # the deadline is an hour away

    make_overdue(app, attempt_id, seconds_late=7)
    assert 7 <= gauge(client, "exam_worker_lag_seconds") < 60

    assert Worker(app).tick() == 1
    samples = scrape(client)
    assert samples[("exam_active_attempts", ())] == 0
    assert samples[("exam_worker_lag_seconds", ())] == 0


def test_without_redis_the_database_answers(app, candidate, client, redis_down):
    _, candidate_client = candidate
    attempt_id = start_attempt(candidate_client)
    make_overdue(app, attempt_id, seconds_late=30)
    redis_down()
    samples = scrape(client)
    assert samples[("exam_active_attempts", ())] == 1
    assert 30 <= samples[("exam_worker_lag_seconds", ())] < 90


def test_without_any_back_end_metrics_still_answer(app, client, redis_down, monkeypatch):
    redis_down()

    def database_down(*args, **kwargs):
        from sqlalchemy.exc import OperationalError

        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", database_down)
    samples = scrape(client)
    assert ("exam_active_attempts", ()) not in samples
    assert any(name == f"{HISTOGRAM}_count" for name, _ in samples)


# --- several gunicorn workers -----------------------------------------------------


@pytest.mark.slow
def test_gunicorn_workers_share_their_metrics(fault_server, tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR every scrape sums all workers, whichever answers,
    and a worker's counts survive its death (gunicorn's child_exit hook runs)."""
    server = fault_server(workers=2, threads=1, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    for _ in range(20):
        assert requests.get(f"{server.url}/no-such-page", timeout=10).status_code == 404
    labels = (("endpoint", "unmatched"), ("method", "GET"), ("status_class", "4xx"))

    def unmatched_count() -> float:
        response = requests.get(f"{server.url}/metrics", timeout=10)
        assert response.status_code == 200
        return parse(response.text)[(f"{HISTOGRAM}_count", labels)]

    assert [unmatched_count() for _ in range(6)] == [20] * 6
    server.kill_workers(server.worker_pids()[:1])
    server.wait_ready()
    assert [unmatched_count() for _ in range(6)] == [20] * 6
    assert any(tmp_path.glob("histogram_*.db"))
