"""Column types and transaction hooks shared by every domain."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from .clock import as_utc
from .extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every back end (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


_AFTER_COMMIT = "after_commit_callbacks"
_AFTER_ROLLBACK = "after_rollback_callbacks"
# Set while the session's transaction holds a database connection (see session_has_work).
_CONNECTED = "connected"


def committed(
    step: Callable[[], T], failure: str, *args: object, logger: logging.Logger = log
) -> T | None:
    """Run `step` as one unit of work: commit it, or roll back, log `failure` and
    return None. For background loops (the worker, the dispatcher), where one
    step's failure must not stop the next step or the loop."""
    try:
        result = step()
        db.session.commit()
    except Exception:
        db.session.rollback()
        logger.exception(failure, *args)
        return None
    return result


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction has committed (never on rollback).

    For side effects that must not happen for work that is rolled back: a
    Redis copy of committed state, a mail about a booking, removing a replaced file.
    """
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def after_rollback(callback: Callable[[], None]) -> None:
    """Run `callback` if the current transaction is rolled back (e.g. remove a new file)."""
    db.session.info.setdefault(_AFTER_ROLLBACK, []).append(callback)


def session_has_work() -> bool:
    """Whether this context's session has anything for a commit or a rollback to do.

    A request that never used the database (a health check, a logged-in request whose
    login came from the cache) has no session, or one whose transaction began without
    ever taking a connection (merging the cached user begins one); committing it would
    only run the session's empty flush. Objects changed but not yet flushed, and
    callbacks waiting for the end of the transaction, count as work.
    """
    if not db.session.registry.has():
        return False
    session = db.session()
    info = session.info
    return (
        _CONNECTED in info
        or _AFTER_COMMIT in info
        or _AFTER_ROLLBACK in info
        or bool(session.new or session.deleted or session.dirty)
    )


@event.listens_for(Session, "after_begin")
def _note_connection(session: Session, _transaction: Any, _connection: Connection) -> None:
    session.info[_CONNECTED] = True


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the real transaction goes on
    session.info.pop(_CONNECTED, None)
    session.info.pop(_AFTER_ROLLBACK, None)
    for callback in session.info.pop(_AFTER_COMMIT, []):
        # The work is committed: a failed side effect (Redis down while its copy of a
        # started or finished attempt is written) must neither turn the response into
        # an error nor skip the other side effects. Each one's owner can rebuild it
        # (the Redis copy is rebuilt from the database); the failure is logged.
        try:
            callback()
        except Exception as e:
            name = getattr(callback, "__qualname__", "callback")
            log.error("side effect after commit failed (%s): %s", name, type(e).__name__)


@event.listens_for(Session, "after_rollback")
def _run_after_rollback(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # only a savepoint was rolled back
    session.info.pop(_CONNECTED, None)
    session.info.pop(_AFTER_COMMIT, None)
    for callback in session.info.pop(_AFTER_ROLLBACK, []):
        callback()


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite transactions behave like PostgreSQL's for our purposes.

    Python's sqlite3 driver begins transactions lazily and lets a SAVEPOINT's
    release commit everything; we take over: every transaction starts with
    BEGIN IMMEDIATE (the single write lock, taken up front, so two read-then-
    write transactions never deadlock; others wait up to the busy timeout), and
    WAL lets readers run while one writer works. See README, "SQLite".
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None  # we send BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
