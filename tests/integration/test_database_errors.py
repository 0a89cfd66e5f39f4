"""A connection that PostgreSQL ended in the middle of a request is a 503, not a 500."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from exam_service.core.extensions import db

# An upper bound on PostgreSQL ending the idle transaction; the wait ends when it has.
ENDED_WITHIN_SECONDS = 30


def _backend_alive(pid: int) -> bool:
    with db.engine.connect() as other:
        found = other.execute(
            text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).first()
    return found is not None


def test_a_transaction_ended_for_idling_is_answered_503(app: Flask) -> None:
    """A login storm on a machine too busy to go on with a request leaves its transaction
    idle: PostgreSQL ends it after idle_in_transaction_session_timeout, and its driver
    reports that as an InternalError, not an OperationalError. The request is refused as
    the database being unavailable (retrying is safe), never as the server's own fault."""
    with app.test_request_context("/api/v1/me"):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("idle_in_transaction_session_timeout is PostgreSQL's")
        db.session.execute(text("SET LOCAL idle_in_transaction_session_timeout = 50"))
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        ends = time.monotonic() + ENDED_WITHIN_SECONDS
        while _backend_alive(pid) and time.monotonic() < ends:
            time.sleep(0.05)
        with pytest.raises(DBAPIError) as ended:
            db.session.execute(text("SELECT 1"))
        response = app.make_response(app.handle_user_exception(ended.value))
        db.session.rollback()

    assert ended.value.connection_invalidated
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
