"""The benchmark's report and guards: what load testers read must say what was measured."""

from __future__ import annotations

import pytest

from loadtest.bench import PROFILES, _guard, markdown, parse_args


def _results(reference: float = 1000.0) -> dict:
    row = {"count": 10, "rps": 250.0, "p50": 5, "p95": 9, "p99": 12, "failures": 0}
    return {
        "started_at": "2026-11-25T00:00:00Z",
        "profile_name": "full",
        "scale": 1.0,
        "wall_seconds": 12.0,
        "reference_rps": reference,
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "memory": "4 GiB",
            "os": "Linux",
            "python": "3.11",
            "database": "PostgreSQL 15",
            "redis": "7.0",
            "gunicorn": "2 gthread workers x 4 threads",
            "load_average_at_start": (0.5, 0.4, 0.3),
        },
        "scenarios": [
            {
                "name": "answer saves, saturated",
                "users": 40,
                "requests": {"save answer": row},
                "saturated": ["save answer"],
                "checks": [{"name": "no acknowledged answer lost", "passed": True, "detail": "ok"}],
                "errors": [],
            },
            {
                "name": "steady test",
                "users": 1000,
                "requests": {"save answer": row},
                "saturated": [],
                "checks": [],
                "errors": ["save answer: 503 database_unavailable"],
            },
        ],
        "targets": [
            {
                "name": "answer-save throughput",
                "goal": ">= 0.5",
                "measured": "0.25",
                "passed": False,
            }
        ],
    }


def test_the_ratio_is_given_only_for_saturated_rows():
    lines = markdown(_results()).splitlines()

    saturated = next(ln for ln in lines if ln.startswith("| answer saves, saturated |"))
    paced = next(ln for ln in lines if ln.startswith("| steady test |"))
    assert saturated.endswith("| 0.25 |")
    assert paced.endswith("| - |")


def test_missed_targets_failed_checks_and_errors_are_visible():
    text = markdown(_results())

    assert "| answer-save throughput | >= 0.5 | 0.25 | NO |" in text
    assert "| answer saves, saturated | no acknowledged answer lost | yes | ok |" in text
    assert "- steady test: `save answer: 503 database_unavailable`" in text
    assert "Test CPU, 2 cores" in text


def test_scaling_shrinks_the_crowds_but_keeps_the_scenario_shape():
    small = PROFILES["full"].scaled(0.4)

    assert small.booking_candidates == 800
    assert small.booking_seats * small.booking_sessions == 200  # still four candidates a seat
    assert small.start_candidates == 800
    assert small.burst_candidates == 400
    assert small.burst_test_seconds == PROFILES["full"].burst_test_seconds
    assert small.steady_duration == PROFILES["full"].steady_duration


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://postgres@127.0.0.1/exam", "postgresql+psycopg://u@db.example/prod"],
)
def test_the_bench_refuses_to_reset_a_database_not_named_for_it(url):
    with pytest.raises(SystemExit, match="refusing to reset"):
        _guard(parse_args(["--database-url", url]))


def test_a_bench_or_test_database_is_accepted():
    _guard(parse_args(["--database-url", "postgresql+psycopg://postgres@127.0.0.1/exam_bench"]))
    _guard(parse_args(["--database-url", "postgresql+psycopg://postgres@127.0.0.1/x", "--force"]))
