"""Practice attempts live in Redis only, and only for a while.

Nothing of a practice test reaches the database: no attempt row, no answer, no
grading event. So it can never show up in a feed, a result, the item statistics
or an export, by construction. Each candidate has at most one practice attempt:
two keys sharing the hash tag `{practice:USER}` (so the Lua scripts also run on
Redis Cluster), both dropped by Redis `LIFETIME` after the start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..core.extensions import redis_store
from ..core.lua import LuaScripts

# How long a practice attempt (and its result) stays after its start.
LIFETIME = timedelta(hours=2)


def attempt_key(user_id: int) -> str:
    return f"{{practice:{user_id}}}:attempt"


def answers_key(user_id: int) -> str:
    return f"{{practice:{user_id}}}:answers"


_scripts = LuaScripts(__package__)


@dataclass(frozen=True)
class Stored:
    """A practice attempt as Redis holds it (times in ms since the epoch)."""

    id: int
    status: str  # in_progress | finished
    started_ms: int
    deadline_ms: int
    finished_ms: int | None
    finish_reason: str | None  # submitted | time_over
    # [(question version id, option order), ...] in form order.
    items: list[tuple[int, tuple[int, ...]]]
    # position -> (seq, choice or None)
    answers: dict[int, tuple[int, str | None]]


def start(
    user_id: int,
    *,
    restart: bool,
    now_ms: int,
    grace_ms: int,
    new_id: int,
    deadline_ms: int,
    items: list[tuple[int, tuple[int, ...]]],
    option_counts: list[int],
) -> int:
    """Write a new attempt (unless `restart` is false and one is still open): its id."""
    attempt_id = _scripts["start"](
        keys=[attempt_key(user_id), answers_key(user_id)],
        args=[
            "restart" if restart else "resume",
            now_ms,
            grace_ms,
            int(LIFETIME.total_seconds() * 1000),
            new_id,
            deadline_ms,
            ",".join(str(n) for n in option_counts),
            json.dumps([[version_id, list(order)] for version_id, order in items]),
        ],
    )
    return int(attempt_id)


def load(user_id: int) -> Stored | None:
    pipe = redis_store.client.pipeline(transaction=True)
    pipe.hgetall(attempt_key(user_id))
    pipe.hgetall(answers_key(user_id))
    state, answers = pipe.execute()
    if not state:
        return None
    return Stored(
        id=int(state["id"]),
        status=state["status"],
        started_ms=int(state["started_ms"]),
        deadline_ms=int(state["deadline_ms"]),
        finished_ms=int(state["finished_ms"]) if state.get("finished_ms") else None,
        finish_reason=state.get("finish_reason"),
        items=[(int(v), tuple(int(i) for i in order)) for v, order in json.loads(state["items"])],
        answers={int(p): _seq_choice(value) for p, value in answers.items()},
    )


def _seq_choice(value: str) -> tuple[int, str | None]:
    seq, _, choice = value.partition(":")
    return int(seq), choice or None


@dataclass(frozen=True)
class SaveVerdict:
    verdict: str  # missing | finished | time_over | invalid | stale | ok (save_answer.lua)
    deadline_ms: int
    stored: tuple[int, str | None] | None = None


def save_answer(
    user_id: int,
    position: int,
    seq: int,
    choice: str | None,
    option_index: int,
    now_ms: int,
    grace_ms: int,
) -> SaveVerdict:
    verdict, deadline_ms, stored = _scripts["save_answer"](
        keys=[attempt_key(user_id), answers_key(user_id)],
        args=[position, seq, choice or "", option_index, now_ms, grace_ms],
    )
    return SaveVerdict(
        verdict, int(deadline_ms), _seq_choice(stored) if verdict == "stale" else None
    )


def finish(user_id: int, now_ms: int, grace_ms: int, *, only_if_due: bool) -> str:
    """missing | finished (already) | open (not due) | done (finish.lua)."""
    result: Any = _scripts["finish"](
        keys=[attempt_key(user_id)], args=[now_ms, grace_ms, "due" if only_if_due else "submit"]
    )
    return str(result)
