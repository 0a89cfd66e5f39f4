"""Back ends of one pytest-xdist worker, so that parallel workers never share state.

Under xdist (`make test` runs the suite on several processes) each worker process
rewrites DATABASE_URL and REDIS_URL in its own environment before the app is built,
so the app and every server process a test starts (tests/support/live.py) use them:

- the database gets the worker's name as a suffix (`test` -> `test_gw0`; a SQLite file
  `test.sqlite3` -> `test_gw0.sqlite3`), created on the same server if missing;
- Redis gets its own database index: the base index plus the worker's number, modulo 16.

Without xdist (`-n 0`, or a single file run serially) nothing changes. The embedded
default needs nothing here: each process has its own temporary folder (tests/conftest.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis.connection import parse_url
from sqlalchemy.engine import make_url

from loadtest.schema import ensure_database

# Redis has 16 databases unless configured otherwise (`databases` in redis.conf).
REDIS_DATABASES = 16


def isolate_worker() -> None:
    """Point DATABASE_URL and REDIS_URL, when set, at this xdist worker's own back ends."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = worker_database(os.environ["DATABASE_URL"], worker)
    if os.environ.get("REDIS_URL"):
        number = int(worker.removeprefix("gw"))
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        if workers > REDIS_DATABASES:
            raise RuntimeError(f"{workers} workers cannot each have one of 16 Redis databases")
        os.environ["REDIS_URL"] = worker_redis(os.environ["REDIS_URL"], number)


def worker_database(url: str, worker: str) -> str:
    """The worker's own database beside the one `url` names, created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        own = parsed.set(database=str(path.with_stem(f"{path.stem}_{worker}")))
    else:
        own = parsed.set(database=f"{parsed.database}_{worker}")
    own_url = own.render_as_string(hide_password=False)
    ensure_database(own_url)
    return own_url


def worker_redis(url: str, number: int) -> str:
    """`url` with database index (its own + `number`) modulo 16."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):  # a Redis Cluster has one database
        raise RuntimeError(f"{parts.scheme}: URLs have no database per worker; run with -n 0")
    index = (parse_url(url).get("db", 0) + number) % REDIS_DATABASES
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "db"]
    if parts.scheme == "unix":  # a socket's path is the URL's path: the index goes in the query
        return f"{url.partition('?')[0]}?{urlencode([*query, ('db', index)])}"
    return urlunsplit(parts._replace(path=f"/{index}", query=urlencode(query)))
