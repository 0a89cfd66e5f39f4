"""The real server on 127.0.0.1: gunicorn with the repository's gunicorn.conf.py, and
the finishing worker (`flask --app exam_service worker`).

The one launcher of the benchmark (loadtest.bench) and of the tests that need a real
multi-worker server (tests/support/live.py, tests/support/faults.py and the tests
that use them): `Server.start(env, workers=..., threads=...)` starts gunicorn and
returns once it answers; `server.stop()` (or leaving a `with` block) stops it.

    with Server.start(env, workers=3) as server:
        requests.get(f"{server.url}/api/v1/me")

It imports nothing of the service: the service runs in the processes started here.
"""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
APP = "exam_service:create_app()"
# Upper bounds, not expectations: the wait ends as soon as the server answers, so a quiet
# machine never waits for them. On a busy one (load average 10 on two cores) importing
# the app alone took 11-30 s, and gunicorn over 30 s to boot.
SERVER_START_SECONDS = 120.0
STOP_SECONDS = 15.0
# Between two readiness probes the launcher waits for the process to exit, at most this
# long: a server that dies while starting is noticed at once, not at the deadline.
PROBE_INTERVAL_SECONDS = 0.1
PROBE_TIMEOUT_SECONDS = 2.0
# Readiness is asked of the server directly, never through a proxy of the environment.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(
    port: int,
    *,
    workers: int | None = None,
    threads: int | None = None,
    options: Sequence[str] = (),
    app: str = APP,
    root: Path = ROOT,
) -> list[str]:
    """gunicorn with the config of `root` (the repository's) serving `app`, bound to
    127.0.0.1:`port`; `workers` and `threads` override the config (else
    GUNICORN_WORKERS / GUNICORN_THREADS decide)."""
    command = [sys.executable, "-m", "gunicorn", "-c", str(root / GUNICORN_CONF.name)]
    command += ["--bind", f"127.0.0.1:{port}"]
    if workers is not None:
        command += ["--workers", str(workers)]
    if threads is not None:
        command += ["--threads", str(threads)]
    return [*command, *options, app]


def _popen(
    command: list[str], env: dict[str, str], log: Path | None, root: Path = ROOT
) -> subprocess.Popen:
    """Start `command` in `root` (the repository); its output goes to `log` (appended)
    or ours."""
    if log is None:
        return subprocess.Popen(command, cwd=root, env=env)  # noqa: S603 (fixed arguments)
    with log.open("a") as out:
        return subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def stop_process(
    process: subprocess.Popen, seconds: float = STOP_SECONDS, how: int = signal.SIGTERM
) -> None:
    """Send `how` (SIGTERM by default), then SIGKILL if it has not exited within `seconds`."""
    if process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)


@dataclass
class Server:
    """A gunicorn master process serving `url`; ready when `ready_path` answers 200."""

    url: str
    process: subprocess.Popen
    ready_path: str = "/healthz"

    @classmethod
    def launch(
        cls,
        env: dict[str, str],
        *,
        workers: int | None = None,
        threads: int | None = None,
        options: Sequence[str] = (),
        port: int | None = None,
        log: Path | None = None,
        ready_path: str = "/healthz",
        app: str = APP,
        root: Path = ROOT,
    ) -> Self:
        """Start gunicorn with `env` as its whole environment; do not wait for it.

        `options` are more gunicorn options; `port` is a free one unless given; `log`
        gets the server's output (appended), else it goes to ours. `app` is the WSGI
        application (the service by default; loadtest.hello:app for the reference),
        imported in `root` with its gunicorn.conf.py (another checkout of the
        repository serves the benchmark's baseline).
        """
        port = port or free_port()
        command = gunicorn_command(
            port, workers=workers, threads=threads, options=options, app=app, root=root
        )
        return cls(f"http://127.0.0.1:{port}", _popen(command, env, log, root), ready_path)

    @classmethod
    def start(
        cls, env: dict[str, str], *, start_seconds: float = SERVER_START_SECONDS, **launch: Any
    ) -> Self:
        """`launch(env, **launch)`, then wait until it is ready (at most `start_seconds`);
        the process is killed if it never is."""
        server = cls.launch(env, **launch)
        try:
            server.wait_ready(start_seconds)
        except BaseException:
            stop_process(server.process, how=signal.SIGKILL)
            raise
        return server

    def answers(self, path: str | None = None) -> bool:
        """Whether `path` (the readiness path by default) answers 200 right now."""
        try:
            with _direct.open(
                f"{self.url}{path or self.ready_path}", timeout=PROBE_TIMEOUT_SECONDS
            ) as r:
                return r.status == 200
        except (OSError, http.client.HTTPException):  # refused, reset, 503, still booting
            return False

    def wait_ready(self, seconds: float = SERVER_START_SECONDS) -> None:
        """Return once the readiness path answers 200 (also after killed workers are
        replaced); ServerDidNotStart when the master exits or after `seconds`."""
        ends = time.monotonic() + seconds
        while not self.answers():
            if time.monotonic() > ends:
                raise ServerDidNotStart(
                    f"{self.url}{self.ready_path} did not answer 200 within {seconds:g} s"
                )
            try:
                code = self.process.wait(timeout=PROBE_INTERVAL_SECONDS)
            except subprocess.TimeoutExpired:
                continue  # still running: probe again
            raise ServerDidNotStart(f"gunicorn exited with status {code} while starting")

    def stop(self, how: int = signal.SIGTERM, seconds: float = STOP_SECONDS) -> None:
        """SIGTERM (graceful; SIGQUIT is gunicorn's quick shutdown), SIGKILL after `seconds`."""
        stop_process(self.process, seconds, how)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_worker(env: dict[str, str], *options: str, log: Path | None = None) -> subprocess.Popen:
    """One finishing worker (`flask --app exam_service worker *options`), not waited for."""
    command = [sys.executable, "-m", "flask", "--app", "exam_service", "worker", *options]
    return _popen(command, env, log)
