"""Request ids, structured logs and Prometheus metrics.

Why each piece exists:

- A request id ties together every log line of one request, and nginx's access log
  line of it (nginx sends its `$request_id` as `X-Request-ID`), so an operator can
  follow one failed save from the edge to the app.
- Logs are JSON lines on stderr so that the log collector can index their fields
  without parsing free text (`LOG_FORMAT=text` gives lines for a person instead,
  as `make run` does on the console). Paths only, never query strings or bodies:
  those may carry personal data. The single-use tokens of mailed links
  (activation, password reset, e-mail change) are redacted.
- Metrics answer "is the test running well?" during a session: request latency per
  endpoint, how many attempts are in progress, how many answers are saved per
  second, and how late the finishing worker is (a late worker means candidates'
  tests end late).

Under gunicorn every worker process keeps its own counters; with
PROMETHEUS_MULTIPROC_DIR set, prometheus_client shares them through files in that
folder and /metrics adds them up.
"""

from __future__ import annotations

import atexit
import hmac
import logging
import os
import queue
import re
import sys
import time
import uuid
from collections.abc import Callable
from logging.handlers import QueueHandler, QueueListener
from typing import TextIO

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request
from flask.logging import default_handler
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter

from .extensions import csrf, limiter

REQUEST_ID_HEADER = "X-Request-ID"
# A client's (or nginx's) id is kept only when it cannot garble a log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The same pattern gunicorn.conf.py redacts from gunicorn's own logs.
_TOKEN_IN_PATH = re.compile(r"(/(?:activate|atur-ulang-sandi|surel/konfirmasi)/)[^/?\s\"]+")
_LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1"})
# Anything else becomes "other": a client must not be able to mint label values.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

log = logging.getLogger(__name__)
# One line per request that failed or was slow; every other request at DEBUG. A line
# for each of thousands of answer saves a second cost 7 % of the app's CPU
# (docs/performance.md), and nginx's access log already has every request with its id.
access_log = logging.getLogger("exam_service.access")
SLOW_REQUEST = 1.0  # seconds

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from the first request hook to the response, by Flask endpoint.",
    ["method", "endpoint", "status_class"],
)
ANSWERS_SAVED = Counter(
    "exam_answers_saved",
    "Answer saves the service accepted (rate() gives saves per second).",
)


def init_observability(app: Flask) -> None:
    """Configure logging, the request hooks and GET /metrics for `app`."""
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    # First of the before-request hooks, so that a request refused by CSRF or a
    # rate limit still gets an id and a duration.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    # After-request hooks run in reverse: inserted first, this one runs last and
    # logs the final status (after the commit in `_end_transaction`).
    app.after_request_funcs.setdefault(None, []).insert(0, _finish_request)
    app.register_blueprint(metrics)


# --- logs ------------------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):
    """Writes to the current `sys.stderr`, like `logging.lastResort`: test runners
    replace it after the app was created."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr


class RequestContextFilter(logging.Filter):
    """Adds `request_id` to every record and redacts activation tokens from the message.

    On the handler, not on a logger, so that records of every `exam_service.*`
    logger pass through it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id") if has_request_context() else None
        message = record.getMessage()
        redacted = redact_path(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class TextFormatter(logging.Formatter):
    """One line a person reads on a console (`LOG_FORMAT=text`, what `make run` uses):
    local time, level, logger, message, and the request id when there is one.

        14:03:07 INFO    exam_service.access: GET /no-such-page 404 2.1 ms [req 3f2a...]
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [req {request_id}]" if request_id else line


def configure_logging(log_format: str, level: str) -> None:
    """Log records of the `exam_service` loggers (`app.logger` too) as lines on stderr.

    Request threads only put records on a queue; one listener thread formats and
    writes them. A handler writing to the stream directly holds a lock around
    every write: under load, request threads queued on it and the benchmark's
    answer saves lost more than a third of their throughput (docs/performance.md).

    Not the root logger: Alembic's `fileConfig` replaces the root's handlers
    whenever migrations run. Records still propagate to the root, where pytest's
    caplog listens. Calling this again (one app per test) replaces the handler.
    """
    global _listener
    if log_format == "json":
        formatter: logging.Formatter = JsonFormatter(
            ["levelname", "name", "message", "request_id"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # UTC, ISO 8601
        )
    elif log_format == "text":
        formatter = TextFormatter()
    else:
        raise ValueError(f"LOG_FORMAT must be 'json' or 'text', not {log_format!r}")
    logger = logging.getLogger("exam_service")
    logger.setLevel(level.upper())
    for old in [h for h in logger.handlers if isinstance(h, _AppQueueHandler)]:
        logger.removeHandler(old)
    logger.removeHandler(default_handler)
    if _listener is not None:
        _listener.stop()
    writer = _StderrHandler()
    writer.setFormatter(formatter)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = _AppQueueHandler(records)
    # In the request's thread: the id lives in flask.g, and the message is final here.
    handler.addFilter(RequestContextFilter())
    logger.addHandler(handler)
    _listener = QueueListener(records, writer)
    _listener.start()


def flush_logs() -> None:
    """Write every record logged so far (the listener drains its queue on stop)."""
    if _listener is not None:
        _listener.stop()
        _listener.start()


class _AppQueueHandler(QueueHandler):
    """The handler `configure_logging` installs (and replaces)."""


_listener: QueueListener | None = None


@atexit.register
def _drain_at_exit() -> None:
    if _listener is not None:
        _listener.stop()


def redact_path(path: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1[redacted]", path)


def _request_id(offered: str | None) -> str:
    if offered and _SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def _start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = _request_id(request.headers.get(REQUEST_ID_HEADER))


def _finish_request(response: Response) -> Response:
    duration = time.perf_counter() - g.request_started
    method = request.method if request.method in _METHODS else "other"
    endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
    REQUEST_DURATION.labels(method, endpoint, f"{response.status_code // 100}xx").observe(duration)
    response.headers[REQUEST_ID_HEADER] = g.request_id
    level = (
        logging.INFO if response.status_code >= 400 or duration >= SLOW_REQUEST else logging.DEBUG
    )
    if access_log.isEnabledFor(level):
        _log_access(level, method, response.status_code, duration)
    return response


def _log_access(level: int, method: str, status: int, duration: float) -> None:
    path = redact_path(request.path)
    duration_ms = round(duration * 1000, 1)
    access_log.log(
        level,
        "%s %s %s %.1f ms",
        method,
        path,
        status,
        duration_ms,
        extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms},
    )


# --- metrics ---------------------------------------------------------------------

metrics = Blueprint("metrics", __name__)
_SCRAPE_COLLECTORS = "exam_service.scrape_collectors"


def add_scrape_collector(app: Flask, make_collector: Callable[[Flask], Collector]) -> None:
    """Read a domain's gauges at every scrape (they are read from Redis or the
    database, not kept in this process). Called by the app's composition."""
    app.extensions.setdefault(_SCRAPE_COLLECTORS, []).append(make_collector)


@metrics.get("/metrics")
def metrics_endpoint() -> Response:
    """Prometheus exposition. A 404 for anyone else, so as not to advertise it."""
    if not _scrape_allowed():
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    for make_collector in current_app.extensions.get(_SCRAPE_COLLECTORS, []):
        registry.register(make_collector(current_app))
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encoder(registry), content_type=content_type)


csrf.exempt(metrics)
limiter.exempt(metrics)


def _scrape_allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        return request.remote_addr in _LOCAL_ADDRESSES
    offered = request.authorization
    return (
        offered is not None
        and offered.type == "bearer"
        and offered.token is not None
        and hmac.compare_digest(offered.token.encode(), token.encode())
    )
