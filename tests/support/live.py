"""A real multi-worker server (gunicorn) on 127.0.0.1, sharing the tests' database and Redis.

Concurrency claims are proven against it, not against the single-threaded test client.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask

from exam_service.core.extensions import redis_store

ROOT = Path(__file__).resolve().parents[2]
# Upper bounds on a process's start-up, not expectations: the waits below return as soon
# as the process says it is ready (gunicorn answers /healthz; the finishing worker has
# ticked), so a quiet machine never waits for them. On a busy one (load average 10 on
# two cores) importing the app alone took 11-30 s.
SERVER_START_SECONDS = 120.0
WORKER_START_SECONDS = 120.0


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "exam_service:create_app()",
        ],
        cwd=ROOT,
        env=server_env(app),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass  # still booting
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the live server did not start")
        time.sleep(0.2)
    yield LiveServer(url=url, process=process)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


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
    command = [sys.executable, "-m", "flask", "--app", "exam_service", "worker"]
    command += ["--poll", str(poll)]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=server_env(app, **env)) for _ in range(count)
    ]
    ends = time.monotonic() + WORKER_START_SECONDS
    while not redis_store.client.exists(live.EPOCH_KEY):
        if time.monotonic() > ends or any(p.poll() is not None for p in processes):
            for process in processes:
                stop_process(process)
            raise RuntimeError("the finishing worker did not start")
        time.sleep(0.1)
    return processes


def stop_process(process: subprocess.Popen, seconds: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `seconds`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)
