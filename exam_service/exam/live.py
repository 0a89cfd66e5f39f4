"""The live state of attempts in Redis: a fast, rebuildable copy of the database.

Keys of one attempt share the hash tag `{attempt:ID}`, so the Lua scripts run
unchanged on Redis Cluster. Nothing here is the source of truth: when Redis has
lost an attempt's keys, `load_state` rebuilds them from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..core.extensions import redis_store
from ..core.lua import LuaScripts

DEADLINES_KEY = "exam:deadlines"
# Present while Redis still holds what the worker put there; gone after a flush or an
# empty restart, which tells the worker to rebuild the deadlines from the database.
EPOCH_KEY = "exam:epoch"
# Live keys outlive the attempt's deadline by this much, then Redis drops them.
KEY_TTL_MS = 24 * 3600 * 1000


def state_key(attempt_id: int) -> str:
    return f"{{attempt:{attempt_id}}}:state"


def answers_key(attempt_id: int) -> str:
    return f"{{attempt:{attempt_id}}}:answers"


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """A moment Redis keeps in milliseconds, as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


scripts = LuaScripts(__package__)


@dataclass(frozen=True)
class SaveCheck:
    verdict: str  # missing | invalid | finished | time_over | stale | ok (check_answer.lua)
    deadline_ms: int
    stored_seq: int | None = None
    stored_choice: str | None = None


def check_answer(
    attempt_id: int, position: int, option_index: int, seq: int, now_ms: int, grace_ms: int
) -> SaveCheck:
    """`option_index` is 0-based, -1 for clearing the answer."""
    verdict, deadline_ms, stored = scripts["check_answer"](
        keys=[state_key(attempt_id), answers_key(attempt_id)],
        args=[position, seq, now_ms, grace_ms, option_index],
    )
    if verdict == "stale":
        stored_seq, _, stored_choice = stored.partition(":")
        return SaveCheck(verdict, int(deadline_ms), int(stored_seq), stored_choice or None)
    return SaveCheck(verdict, int(deadline_ms))


def record_answer(
    attempt_id: int, position: int, seq: int, choice: str | None, deadline_ms: int
) -> None:
    scripts["record_answer"](
        keys=[answers_key(attempt_id)],
        args=[position, seq, choice or "", deadline_ms + KEY_TTL_MS],
    )


def load_state(
    attempt_id: int,
    status: str,
    deadline_ms: int,
    option_counts: list[int],
    answers: dict[int, tuple[int, str | None]],
) -> None:
    """Replace Redis's copy with the database's: status, deadline, form shape, answers."""
    flat: list[Any] = []
    for position, (seq, choice) in answers.items():
        flat += [position, f"{seq}:{choice or ''}"]
    shape = ",".join(str(n) for n in option_counts)
    scripts["load_state"](
        keys=[state_key(attempt_id), answers_key(attempt_id)],
        args=[status, deadline_ms, deadline_ms + KEY_TTL_MS, shape, *flat],
    )


def status_and_deadline(attempt_id: int) -> tuple[str | None, int | None]:
    """Redis's copy of an attempt's status and deadline (ms); (None, None) without one.

    Asked through the quick client: whoever asks can ask the database instead.
    """
    status, deadline_ms = redis_store.quick_client.hmget(
        state_key(attempt_id), "status", "deadline_ms"
    )
    return status, int(deadline_ms) if deadline_ms else None


def set_deadline(attempt_id: int, deadline_ms: int, due_ms: int) -> None:
    """After an extension: the new deadline for saves, and the new due time for the worker."""
    client = redis_store.client
    client.hset(state_key(attempt_id), "deadline_ms", deadline_ms)
    client.zadd(DEADLINES_KEY, {str(attempt_id): due_ms})


def drifted(expected_deadlines_ms: dict[int, int]) -> list[int]:
    """The in-progress attempts (id -> the database's deadline) whose Redis copy says
    otherwise: another status or another deadline. Attempts without a copy are not
    listed; the next save rebuilds them."""
    ids = list(expected_deadlines_ms)
    if not ids:
        return []
    pipe = redis_store.client.pipeline(transaction=False)
    for attempt_id in ids:
        pipe.hmget(state_key(attempt_id), "status", "deadline_ms")
    drifted = []
    for attempt_id, (status, deadline_ms) in zip(ids, pipe.execute(), strict=True):
        if status is None:
            continue
        if status != "in_progress" or int(deadline_ms) != expected_deadlines_ms[attempt_id]:
            drifted.append(attempt_id)
    return drifted


def mark_finished(attempt_id: int) -> None:
    client = redis_store.client
    client.hset(state_key(attempt_id), "status", "finished")
    client.zrem(DEADLINES_KEY, str(attempt_id))


def schedule_finish(attempt_id: int, due_ms: int) -> None:
    redis_store.client.zadd(DEADLINES_KEY, {str(attempt_id): due_ms})


def claim_due(now_ms: int, lease_ms: int, batch: int) -> list[int]:
    due = scripts["claim_due"](keys=[DEADLINES_KEY], args=[now_ms, lease_ms, batch])
    return [int(member) for member in due]


def unschedule(attempt_id: int) -> None:
    redis_store.client.zrem(DEADLINES_KEY, str(attempt_id))


def epoch_present() -> bool:
    return bool(redis_store.client.exists(EPOCH_KEY))


def set_epoch(value: str) -> None:
    redis_store.client.set(EPOCH_KEY, value)
