"""The load tests' CI smoke run: every locust scenario with tiny numbers, then its checks.

It runs the benchmark's own code (loadtest.bench.Bench: seed, locust headless,
loadtest.checks) against the live gunicorn server, so the scenarios, the seeder and
the checks cannot rot without a failing test. Speed is not asserted here: numbers
from a CI machine are noise; `make bench` measures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from loadtest.bench import PROFILES, Bench
from loadtest.checks import check_started
from loadtest.seed import SeedSpec
from tests.support.live import LiveServer, start_finishing_workers, stop_process

pytestmark = pytest.mark.slow

SMOKE = PROFILES["smoke"]
# pytest-timeout's limit for the steady test, above the suite's 300 s: on a busy machine
# its compressed test is stretched (Bench.steady_seconds) up to 12 x 20 s.
STEADY_TIMEOUT_SECONDS = 900


@pytest.fixture
def bench(app: Flask, live_server: LiveServer, tmp_path: Path) -> Bench:
    return Bench(app, live_server.url, tmp_path, SMOKE)


@pytest.fixture
def finishing_worker(app: Flask, live_server: LiveServer) -> Iterator[None]:
    """The finishing worker, for the candidates who let their time run out; the test
    begins once it has ticked (its start-up takes seconds on a busy machine)."""
    [process] = start_finishing_workers(app)
    yield
    stop_process(process)


def assert_clean(bench: Bench) -> None:
    """Every check passed and no request failed, in every scenario run."""
    assert bench.scenarios
    for scenario in bench.scenarios:
        failed = [c for c in scenario.checks if not c.passed]
        assert not failed, (scenario.name, failed)
        assert scenario.checks, scenario.name
        errors = {name: r["failures"] for name, r in scenario.requests.items() if r["failures"]}
        assert not errors, (scenario.name, errors, scenario.errors)


def test_registration_burst_and_booking_storm(bench: Bench) -> None:
    bench.registration()
    bench.booking()

    assert_clean(bench)
    registration, booking = bench.scenarios
    assert registration.requests["register"]["count"] == SMOKE.registrations
    seats = SMOKE.booking_sessions * SMOKE.booking_seats
    assert booking.outcomes["booked"] == seats
    # Everyone else was told the sessions were full, none gave up with seats left.
    assert booking.outcomes.get("no_seat_left", 0) + booking.outcomes.get("refused_session_full", 0)
    assert not booking.outcomes.get("gave_up")
    assert [t.passed for t in bench.targets if t.name == "booking storm"] == [True]


@pytest.mark.timeout(STEADY_TIMEOUT_SECONDS)
def test_steady_test_and_results_feed(bench: Bench, finishing_worker: None) -> None:
    steady = bench.steady()
    bench.results_feed(steady)
    bench.answers_target()

    assert_clean(bench)
    outcomes = bench.scenarios[0].outcomes
    assert outcomes["started"] == SMOKE.steady_candidates
    # The test is long enough for this machine as it is now (Bench.steady_seconds), but
    # the machine may get busier during it: a candidate may still run out of time before
    # the last answers. The scenario counts them; everyone else answered every question.
    finished_answering = SMOKE.steady_candidates - outcomes.get("ran_out_of_time", 0)
    assert finished_answering > 0
    assert outcomes["answers_acknowledged"] >= finished_answering * 30
    assert outcomes.get("reloaded", 0) >= SMOKE.steady_candidates - 2
    assert outcomes.get("submitted", 0) + outcomes.get("left_to_time_out", 0) == (
        SMOKE.steady_candidates
    )
    met = {t.name: t.passed for t in bench.targets}
    assert met == {"Redis memory per active attempt": True, "acknowledged answers lost": True}


def test_start_storm_then_the_real_pace(bench: Bench) -> None:
    bench.start_storm()

    assert_clean(bench)
    outcomes = bench.scenarios[0].outcomes
    assert outcomes["started"] == SMOKE.start_candidates
    assert outcomes["answers_acknowledged"] > 0
    # They leave with their tests running, as the window of a long test ends.
    assert outcomes["left_in_progress"] == SMOKE.start_candidates
    assert {t.name for t in bench.targets} == {"start storm", "answer save latency"}


def test_end_of_test_burst(bench: Bench, finishing_worker: None) -> None:
    bench.submit_burst()

    assert_clean(bench)
    outcomes = bench.scenarios[0].outcomes
    assert outcomes["started"] == SMOKE.burst_candidates
    assert outcomes["answers_acknowledged"] == SMOKE.burst_candidates * SMOKE.burst_answers
    # Sent in the window or (on a busy machine) late, every submit was answered "finished".
    assert outcomes["submitted"] == SMOKE.burst_candidates
    assert outcomes.get("submit_sent_in_window", 0) + outcomes.get("submit_sent_late", 0) == (
        SMOKE.burst_candidates
    )
    assert [t.name for t in bench.targets] == ["end-of-test burst"]


def test_start_storm_alone(bench: Bench) -> None:
    candidates = 8
    seeded, path = bench.seed(SeedSpec(candidates=candidates, book=True))

    report = bench.locust(
        "StartStorm", candidates, path, bench.login_seconds(candidates) + 1, "--start-window", "1"
    )

    assert report["outcomes"]["started"] == candidates
    assert report["requests"]["start attempt"]["failures"] == 0
    with bench.app.app_context():
        assert check_started(seeded.session_ids, candidates).passed


def test_saturated_saves_and_the_reference(bench: Bench) -> None:
    bench.reference()
    bench.throughput()
    bench.throughput_target()

    assert_clean(bench)
    names = [s.name for s in bench.scenarios]
    assert names == [
        "reference: GET /healthz",
        "logged-in GET /api/v1/me",
        "answer saves, saturated",
    ]
    assert bench.reference_ratio_base() > 0
    assert bench.scenarios[2].requests["save answer"]["count"] > 0
    assert [t.name for t in bench.targets] == ["answer-save throughput"]
