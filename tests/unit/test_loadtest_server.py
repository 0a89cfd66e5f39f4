"""The one launcher of gunicorn (loadtest.server): its command line, and a server that
dies while starting is reported at once, not at the start-up deadline."""

from __future__ import annotations

import os
import time

import pytest

from loadtest.server import (
    APP,
    GUNICORN_CONF,
    Server,
    ServerDidNotStart,
    free_port,
    gunicorn_command,
)


def test_the_command_uses_the_repository_config_and_overrides_only_what_is_given():
    plain = gunicorn_command(8123)
    tuned = gunicorn_command(8123, workers=3, threads=1, options=["--log-level", "debug"])

    assert plain[-5:] == ["-c", str(GUNICORN_CONF), "--bind", "127.0.0.1:8123", APP]
    assert "--workers" not in plain
    assert "--threads" not in plain
    assert tuned[-7:] == ["--workers", "3", "--threads", "1", "--log-level", "debug", APP]


def test_a_server_that_exits_while_starting_fails_at_once(tmp_path):
    began = time.monotonic()

    with pytest.raises(ServerDidNotStart, match="exited with status"):
        Server.start(
            dict(os.environ),
            options=["--no-such-gunicorn-option"],
            log=tmp_path / "server.log",
            start_seconds=120,
        )

    assert time.monotonic() - began < 60, "waited for the deadline, not for the exit"
    assert "--no-such-gunicorn-option" in (tmp_path / "server.log").read_text()


def test_a_port_nobody_answers_on_is_not_ready():
    assert not Server(f"http://127.0.0.1:{free_port()}", process=None).answers()  # type: ignore[arg-type]
