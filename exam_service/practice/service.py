"""The practice test ("Ujian latihan"): a few practice questions, on the real test's
page and clock rules, at any time, as often as a candidate likes.

- The pool is the bank's active practice questions (`authoring.bank.practice_questions`),
  which real forms never draw (`authoring.bank.active_questions` leaves them out).
- An attempt lives in Redis only (`store`): never in the attempts table, so never in
  a feed, a result, the item statistics or an export. It is gone `store.LIFETIME`
  after its start.
- The server owns the clock as in the real test: the deadline is fixed at the start,
  answers are refused after deadline + `ANSWER_GRACE_SECONDS`, and an attempt past
  that is finished at its deadline by the next request that reads it.
- On finishing, the score and each question's key (and its explanation, if the author
  wrote one) are shown at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from question_bank import (
    OPTION_LETTERS,
    Blueprint,
    Question,
    apportion,
    available_per_category,
    draw_form,
    score_item,
)

from ..authoring import bank
from ..authoring.images import image_url
from ..core.clock import utcnow
from ..core.errors import Conflict, Invalid, NotFound
from ..exam.service import check_event_kind, option_index
from . import store

QUESTION_COUNT = 5
DURATION = timedelta(minutes=10)
# Practice ids are random and far above the real attempts' ids: the test page keeps
# its queue in the browser under the attempt's id, so the two never share one.
_ID_LOW, _ID_HIGH = 2**40, 2**52


@dataclass(frozen=True)
class PracticeItem:
    position: int
    version_id: int
    option_order: tuple[int, ...]


@dataclass(frozen=True)
class PracticeAttempt:
    id: int
    status: str  # in_progress | finished
    started_at: datetime
    deadline: datetime
    finished_at: datetime | None
    finish_reason: str | None
    items: tuple[PracticeItem, ...]
    # position -> the letter chosen (unanswered positions are left out)
    answers: dict[int, str]

    @property
    def in_progress(self) -> bool:
        return self.status == "in_progress"


def _grace_ms() -> int:
    return int(current_app.config["ANSWER_GRACE_SECONDS"]) * 1000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# --- starting -------------------------------------------------------------------------


def start(user_id: int, *, restart: bool = False, now: datetime | None = None) -> PracticeAttempt:
    """A new practice attempt, or (unless `restart`) the one still open for answers."""
    now = now or utcnow()
    if not restart:
        current = _read(user_id, now)
        if current is not None and current.in_progress:
            return current
    pool = bank.practice_questions()
    if not pool:
        raise Conflict(
            _("Soal latihan belum tersedia. Silakan coba lagi nanti."),
            code="no_practice_questions",
        )
    form = _draw(pool)
    by_id = {q.id: q for q in pool}
    store.start(
        user_id,
        restart=restart,
        now_ms=_ms(now),
        grace_ms=_grace_ms(),
        new_id=_ID_LOW + secrets.randbelow(_ID_HIGH - _ID_LOW),
        deadline_ms=_ms(now + DURATION),
        items=[(int(item.question_id), item.option_order) for item in form],
        option_counts=[len(by_id[item.question_id].options) for item in form],
    )
    attempt = _read(user_id, now)
    assert attempt is not None
    return attempt


def _draw(pool: list[Question]) -> tuple[Any, ...]:
    """Up to QUESTION_COUNT questions, spread over the categories as the pool is."""
    available = available_per_category(pool)
    count = min(QUESTION_COUNT, len(pool))
    shares = apportion(count, {c: Fraction(n) for c, n in sorted(available.items())})
    blueprint = Blueprint({c: n for c, n in shares.items() if n > 0})
    return draw_form(pool, blueprint, secrets.randbelow(2**31))


# --- reading ------------------------------------------------------------------------------


def current(user_id: int, now: datetime | None = None) -> PracticeAttempt:
    """The candidate's practice attempt (finished at its deadline if its time is over)."""
    attempt = _read(user_id, now or utcnow())
    if attempt is None:
        raise NotFound(_("Belum ada ujian latihan yang dimulai."), code="no_attempt")
    return attempt


def _read(user_id: int, now: datetime) -> PracticeAttempt | None:
    stored = store.load(user_id)
    if stored is None:
        return None
    if stored.status == "in_progress" and _ms(now) > stored.deadline_ms + _grace_ms():
        store.finish(user_id, _ms(now), _grace_ms(), only_if_due=True)
        stored = store.load(user_id)
        if stored is None:
            return None
    return PracticeAttempt(
        id=stored.id,
        status=stored.status,
        started_at=_time(stored.started_ms),
        deadline=_time(stored.deadline_ms),
        finished_at=_time(stored.finished_ms) if stored.finished_ms is not None else None,
        finish_reason=stored.finish_reason,
        items=tuple(
            PracticeItem(position, version_id, order)
            for position, (version_id, order) in enumerate(stored.items, start=1)
        ),
        answers={p: choice for p, (_seq, choice) in stored.answers.items() if choice},
    )


def remaining_seconds(attempt: PracticeAttempt, now: datetime) -> int:
    if not attempt.in_progress:
        return 0
    return max(0, int((attempt.deadline - now).total_seconds()))


# --- answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedAnswer:
    position: int
    choice: str | None
    seq: int
    deadline: datetime


def save_answer(
    user_id: int, position: int, choice: str | None, seq: int, now: datetime | None = None
) -> SavedAnswer:
    """Save one answer; a write whose seq is not newer than the stored one changes nothing."""
    now = now or utcnow()
    index = option_index(choice)
    check = store.save_answer(user_id, position, seq, choice, index, _ms(now), _grace_ms())
    if check.verdict == "missing":
        raise NotFound(_("Belum ada ujian latihan yang dimulai."), code="no_attempt")
    if check.verdict == "finished":
        raise Conflict(_("Ujian latihan sudah selesai."), code="attempt_finished")
    if check.verdict == "time_over":
        raise Conflict(
            _("Waktu ujian latihan sudah habis. Jawaban tidak disimpan."), code="time_over"
        )
    if check.verdict == "invalid":
        raise Invalid(
            _("Nomor soal atau pilihan jawaban tidak ada."),
            details={"position": str(position), "choice": str(choice)},
        )
    deadline = _time(check.deadline_ms)
    if check.verdict == "stale":
        assert check.stored is not None
        stored_seq, stored_choice = check.stored
        return SavedAnswer(position, stored_choice, stored_seq, deadline)
    return SavedAnswer(position, choice, seq, deadline)


def check_event(kind: str) -> None:
    """The test page reports tab and network changes; practice keeps none of them."""
    check_event_kind(kind)


# --- finishing and the result ----------------------------------------------------------------


def submit(user_id: int, now: datetime | None = None) -> PracticeAttempt:
    """Finish now (harmless when repeated); after deadline + grace it ends at the deadline."""
    now = now or utcnow()
    if store.finish(user_id, _ms(now), _grace_ms(), only_if_due=False) == "missing":
        raise NotFound(_("Belum ada ujian latihan yang dimulai."), code="no_attempt")
    return current(user_id, now)


@dataclass(frozen=True)
class CategoryScore:
    name: str
    score: Decimal
    max_score: Decimal


@dataclass(frozen=True)
class ReviewOption:
    key: str
    text: str
    # Earns the most points of the question: the right answer.
    correct: bool


@dataclass(frozen=True)
class ReviewItem:
    position: int
    text: str
    image_url: str | None
    options: list[ReviewOption]
    chosen: str | None
    points: Decimal
    max_points: Decimal
    explanation: str | None

    @property
    def correct_keys(self) -> list[str]:
        return [o.key for o in self.options if o.correct]


@dataclass(frozen=True)
class PracticeResult:
    score: Decimal
    max_score: Decimal
    answered: int
    categories: list[CategoryScore]
    items: list[ReviewItem]


def result(attempt: PracticeAttempt) -> PracticeResult | None:
    """The score and every question with its key, once the attempt is finished."""
    if attempt.in_progress:
        return None
    versions = bank.versions(item.version_id for item in attempt.items)
    explanations = bank.explanations(versions)
    names = bank.category_names(q.category for q in versions.values())
    items: list[ReviewItem] = []
    by_category: dict[str, list[Decimal]] = {}
    for item in attempt.items:
        question = versions[item.version_id]
        chosen = attempt.answers.get(item.position)
        original = item.option_order[OPTION_LETTERS.index(chosen)] if chosen else None
        scored = score_item(question, original)
        best = max(option.points for option in question.options)
        items.append(
            ReviewItem(
                position=item.position,
                text=question.stem,
                image_url=image_url(question.image),
                options=[
                    ReviewOption(
                        key=OPTION_LETTERS[shown],
                        text=question.options[index].text,
                        correct=question.options[index].points == best,
                    )
                    for shown, index in enumerate(item.option_order)
                ],
                chosen=chosen,
                points=scored.points,
                max_points=scored.max,
                explanation=explanations.get(item.version_id),
            )
        )
        totals = by_category.setdefault(question.category, [Decimal(0), Decimal(0)])
        totals[0] += scored.points
        totals[1] += scored.max
    return PracticeResult(
        score=sum((i.points for i in items), Decimal(0)),
        max_score=sum((i.max_points for i in items), Decimal(0)),
        answered=sum(1 for i in items if i.chosen),
        categories=[
            CategoryScore(names.get(slug, slug), score, maximum)
            for slug, (score, maximum) in by_category.items()
        ],
        items=items,
    )


def questions_payload(attempt: PracticeAttempt) -> list[dict[str, Any]]:
    """The form as shown (as the real test's): texts and option keys, never points."""
    versions = bank.versions(item.version_id for item in attempt.items)
    return [
        {
            "position": item.position,
            "text": versions[item.version_id].stem,
            "image_url": image_url(versions[item.version_id].image),
            "options": [
                {"key": OPTION_LETTERS[shown], "text": versions[item.version_id].options[i].text}
                for shown, i in enumerate(item.option_order)
            ],
        }
        for item in attempt.items
    ]
