"""A real multi-worker server (gunicorn) on 127.0.0.1, sharing the tests' database and Redis.

Concurrency claims are proven against it, not against the single-threaded test client.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from flask import Flask

from exam_service.core.extensions import redis_store
from loadtest.server import Server, start_worker, stop_process

# An upper bound on the finishing worker's start-up, not an expectation: the wait below
# returns as soon as the worker has ticked (see loadtest.server.SERVER_START_SECONDS).
WORKER_START_SECONDS = 120.0


@dataclass
class LiveServer(Server):
    """gunicorn (loadtest.server.Server) on the tests' back ends, with HTTP helpers."""

    def session(self) -> requests.Session:
        return requests.Session()

    def login(self, email: str, password: str) -> requests.Session:
        """A logged-in HTTP session that sends the CSRF token like the pages do."""
        http = requests.Session()
        response = http.post(
            f"{self.url}/api/v1/auth/login",
            json={"email": email, "password": password},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        http.headers["X-CSRFToken"] = response.json()["csrf_token"]
        return http


def server_env(app: Flask, **extra: str) -> dict[str, str]:
    """The environment that makes a server process use the tests' back ends."""
    config = app.config
    env = {
        **os.environ,
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_store.url,
        "SECRET_KEY": config["SECRET_KEY"],
        "MAIL_OUTBOX": config["MAIL_OUTBOX"],
        "UPLOAD_FOLDER": config["UPLOAD_FOLDER"],
        "LOGIN_ADDRESS_RATE_LIMIT": "100000 per hour",
        "REGISTER_RATE_LIMIT": "100000 per hour",
    }
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer.start(server_env(app), workers=3) as server:
        yield server


def start_finishing_workers(
    app: Flask, count: int = 1, poll: float = 0.2, **env: str
) -> list[subprocess.Popen]:
    """`count` `flask worker` processes on the tests' back ends, returned once ready.

    Ready means a worker has ticked: on a tick that finds the Redis key `exam:epoch`
    missing the worker sets it, so the key is removed first (the worker then rebuilds
    the deadline schedule from the database, which loses nothing). The processes are
    started together, so the others are booting alongside the first. A test that
    measures how late the worker finishes an attempt starts it this way, before the
    attempt, so that the worker's own start-up is not counted as lateness.
    """
    from exam_service.exam import live

    redis_store.client.delete(live.EPOCH_KEY)
    processes = [start_worker(server_env(app, **env), "--poll", str(poll)) for _ in range(count)]
    ends = time.monotonic() + WORKER_START_SECONDS
    while not redis_store.client.exists(live.EPOCH_KEY):
        if time.monotonic() > ends or any(p.poll() is not None for p in processes):
            for process in processes:
                stop_process(process)
            raise RuntimeError("the finishing worker did not start")
        time.sleep(0.1)
    return processes
