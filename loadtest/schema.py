"""An empty database at the newest migration: the one schema reset of the tests
(tests/conftest.py, once per session: the CI database is reused) and of the benchmark
(loadtest.bench, before every run), and the emptying of every table between tests.

Every function works on the database of the current application context.
"""

from __future__ import annotations

import time

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from exam_service.core.extensions import db


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database `url` names when it does not exist yet (through the
    server's maintenance database `postgres`); other back ends need nothing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).first()
            if not exists:
                quoted = conn.dialect.identifier_preparer.quote(parsed.database)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()


def drop_schema() -> None:
    """Drop every table (and, on PostgreSQL, everything else in the public schema),
    Alembic's version table included."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def recreate_schema() -> None:
    """`drop_schema()`, then every migration (`flask_migrate.upgrade`), in the current
    application context; the session is removed afterwards."""
    drop_schema()
    upgrade()
    db.session.remove()


def empty_tables(attempts: int = 5) -> None:
    """Delete every row of every table (the schema stays); the session is removed first.

    On PostgreSQL one TRUNCATE takes every table's lock; a live-server request still
    running from a test (a browser's last autosave) may hold row locks, and PostgreSQL
    may pick the TRUNCATE as a deadlock victim: then it is tried again, `attempts` times.
    """
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name != "postgresql":
        with db.engine.begin() as conn:
            # questions and question_versions reference each other: check at commit.
            conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (our table names)
        return
    for attempt in range(attempts):
        try:
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
