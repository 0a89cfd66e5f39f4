"""The Lua scripts against real Redis, at the boundaries of the deadline."""

from __future__ import annotations

import pytest

from exam_service.exam import live

DEADLINE = 1_900_000_000_000  # ms
GRACE = 5_000
ATTEMPT = 42


@pytest.fixture
def attempt_state(app_ctx):
    live.load_state(ATTEMPT, "in_progress", DEADLINE, [4, 4, 5], {2: (7, "B")})


@pytest.mark.parametrize(
    ("now", "verdict"),
    [
        (DEADLINE - 1_000, "ok"),
        (DEADLINE, "ok"),
        (DEADLINE + GRACE, "ok"),
        (DEADLINE + GRACE + 1, "time_over"),
        (DEADLINE + GRACE + 1_000, "time_over"),
    ],
)
def test_deadline_boundaries(attempt_state, now, verdict):
    assert live.check_answer(ATTEMPT, 1, 0, 1, now, GRACE).verdict == verdict


@pytest.mark.parametrize(
    ("position", "option", "verdict"),
    [
        (1, 3, "ok"),
        (1, 4, "invalid"),
        (3, 4, "ok"),
        (3, 5, "invalid"),
        (4, 0, "invalid"),
        (0, 0, "invalid"),
        (1, -1, "ok"),
    ],
)
def test_positions_and_options_of_the_form(attempt_state, position, option, verdict):
    assert live.check_answer(ATTEMPT, position, option, 1, DEADLINE, GRACE).verdict == verdict


def test_stale_seq_reports_the_stored_answer(attempt_state):
    check = live.check_answer(ATTEMPT, 2, 0, 7, DEADLINE - 1, GRACE)
    assert (check.verdict, check.stored_seq, check.stored_choice) == ("stale", 7, "B")
    assert live.check_answer(ATTEMPT, 2, 0, 8, DEADLINE - 1, GRACE).verdict == "ok"


def test_record_answer_never_goes_back(attempt_state):
    live.record_answer(ATTEMPT, 2, 9, "C", DEADLINE)
    live.record_answer(ATTEMPT, 2, 8, "A", DEADLINE)  # late, older write
    check = live.check_answer(ATTEMPT, 2, 0, 9, DEADLINE - 1, GRACE)
    assert (check.stored_seq, check.stored_choice) == (9, "C")


def test_cleared_answer_is_recorded(attempt_state):
    live.record_answer(ATTEMPT, 1, 3, None, DEADLINE)
    check = live.check_answer(ATTEMPT, 1, 0, 3, DEADLINE - 1, GRACE)
    assert (check.verdict, check.stored_seq, check.stored_choice) == ("stale", 3, None)


def test_missing_state_and_finished_state(app_ctx):
    assert live.check_answer(7, 1, 0, 1, DEADLINE, GRACE).verdict == "missing"
    live.load_state(7, "in_progress", DEADLINE, [4], {})
    live.mark_finished(7)
    assert live.check_answer(7, 1, 0, 1, DEADLINE - 1, GRACE).verdict == "finished"


def test_keys_of_one_attempt_share_a_hash_tag():
    assert live.state_key(5).startswith("{attempt:5}")
    assert live.answers_key(5).startswith("{attempt:5}")


def test_claim_due_hands_each_attempt_to_one_claimer(app_ctx):
    for attempt_id in range(1, 11):
        live.schedule_finish(attempt_id, DEADLINE + attempt_id)
    first = live.claim_due(DEADLINE + 5, 30_000, 100)
    second = live.claim_due(DEADLINE + 5, 30_000, 100)
    assert sorted(first) == [1, 2, 3, 4, 5]
    assert second == []  # leased to the first claimer
    # A claimer that died: after the lease the attempts are due again.
    assert sorted(live.claim_due(DEADLINE + 5 + 30_001, 30_000, 100)) == list(range(1, 11))


def test_memory_per_attempt_is_small(app_ctx):
    from exam_service.core.extensions import redis_store

    answers = {p: (p, "ABCD"[p % 4]) for p in range(1, 31)}
    live.load_state(99, "in_progress", DEADLINE, [4] * 30, answers)
    client = redis_store.client
    used = sum(client.memory_usage(k) for k in (live.state_key(99), live.answers_key(99)))
    assert used < 4096
