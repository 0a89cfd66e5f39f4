"""`make run` (`python -m exam_service.embedded`) as a newcomer meets it: on the port
given, "Serving on" only once the app answers, the demo test open to kandidat1, and
log lines a person reads on the console."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from exam_service.embedded import DEFAULT_PORT, port_from
from loadtest.server import free_port

ROOT = Path(__file__).resolve().parents[2]
# Upper bounds, not expectations (see loadtest.server.SERVER_START_SECONDS): migrating,
# seeding and booting gunicorn took 30 s on a quiet machine.
START_SECONDS = 180.0
LINE_SECONDS = 30.0
STOP_SECONDS = 60.0
# Settings a developer's shell may hold that would change what `make run` does.
_THEIRS = ("DATABASE_URL", "REDIS_URL", "LOG_FORMAT", "LOG_LEVEL", "BASE_URL", "PORT")


class Console:
    """The merged stdout and stderr of the process, line by line, as a person sees it."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def seen(self, pattern: str, seconds: float) -> re.Match:
        """A line matching `pattern`, printed already or within `seconds`."""
        for line in self.lines:
            match = re.search(pattern, line)
            if match:
                return match
        return self.expect(pattern, seconds)

    def expect(self, pattern: str, seconds: float) -> re.Match:
        """The first new line matching `pattern`, waiting at most `seconds` for it."""
        ends = time.monotonic() + seconds
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, ends - time.monotonic()))
            except queue.Empty:
                tail = "\n".join(self.lines[-30:])
                raise AssertionError(f"no line /{pattern}/ within {seconds:g} s:\n{tail}") from None
            if line is None:
                raise AssertionError(f"output ended before /{pattern}/:\n" + "\n".join(self.lines))
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Console, str]]:
    """`PORT=<free port> make run`'s process in a fresh instance folder; stopped after."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in _THEIRS}
    env.update(EXAM_INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(port))
    process = subprocess.Popen(
        [sys.executable, "-m", "exam_service.embedded"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, to kill whatever is left
    )
    try:
        yield process, Console(process), f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)


@pytest.mark.slow
def test_make_run_serves_the_demo_test_on_the_port_given(make_run):
    process, console, url = make_run
    serving = console.expect(r"Serving on (\S+)", START_SECONDS)
    assert serving.group(1) == url
    # Printed only once the app answers: it answers at once, not some seconds later.
    assert requests.get(f"{url}/healthz", timeout=2).status_code == 200
    printed = "\n".join(console.lines)
    assert "Demo accounts (invented data):" in printed
    try_it = console.expect(r"Try the test as (kandidat1@demo\.example) / (\S+)", LINE_SECONDS)

    # kandidat1 begins the demo test at once, with the password printed.
    http = requests.Session()
    login = http.post(
        f"{url}/api/v1/auth/login",
        json={"email": try_it.group(1), "password": try_it.group(2)},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    http.headers["X-CSRFToken"] = login.json()["csrf_token"]
    started = http.post(f"{url}/api/v1/me/attempt", timeout=30)
    assert started.status_code == 200, started.text
    assert started.json()["question_count"] == 30

    # The console's log lines are for a person: text, with the request id, no JSON.
    http.get(f"{url}/no-such-page", headers={"X-Request-ID": "newcomer-1"}, timeout=30)
    access = console.expect(r"exam_service\.access: .*newcomer-1", LINE_SECONDS).string
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d INFO {4}exam_service\.access: GET /no-such-page 404 [\d.]+ ms"
        r" \[req newcomer-1\]",
        access,
    ), access
    # The worker is its own process: its first line may come after the web server's.
    assert console.seen(r"INFO {4}exam_service\.worker: worker started$", LINE_SECONDS)
    assert not [line for line in console.lines if line.lstrip().startswith("{")]

    # SIGTERM stops it all: the web server too.
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=STOP_SECONDS) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/healthz", timeout=2)


def test_the_port_comes_from_port():
    assert port_from({}) == port_from({"PORT": ""}) == DEFAULT_PORT == 5000
    assert port_from({"PORT": "5055"}) == 5055
    for wrong in ("0", "65536", "http", "-1", "50 55"):
        with pytest.raises(SystemExit, match="PORT must be a TCP port number"):
            port_from({"PORT": wrong})
