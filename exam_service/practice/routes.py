"""Practice test views: the API under /api/v1/me/practice (the real attempt API's shapes)
and the page, which is the real test's page pointed at this API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template
from flask_login import current_user

from ..accounts.auth import candidate_required
from ..core.api import (
    API_PREFIX,
    SESSION_AUTH,
    MessageOut,
    api_blueprint,
    json_response,
    out,
    responses,
    validate_request,
)
from ..core.clock import utcnow
from ..core.formatting import decimal_text
from ..exam.schemas import AnswerIn, AnswerOut, AnswerPath, IntegrityEventIn
from . import service
from .schemas import (
    PracticeAttemptOut,
    PracticeCategoryOut,
    PracticeOptionOut,
    PracticeResultOut,
    PracticeReviewItemOut,
)

api = api_blueprint("practice_api", __name__, "practice")
pages = Blueprint("practice", __name__)

API_BASE = f"{API_PREFIX}/me/practice"


def _result_out(result: service.PracticeResult | None) -> PracticeResultOut | None:
    if result is None:
        return None
    return out(
        PracticeResultOut,
        result,
        score=decimal_text(result.score),
        max_score=decimal_text(result.max_score),
        categories=[
            out(
                PracticeCategoryOut,
                c,
                score=decimal_text(c.score),
                max_score=decimal_text(c.max_score),
            )
            for c in result.categories
        ],
        items=[
            out(
                PracticeReviewItemOut,
                item,
                options=[PracticeOptionOut.model_validate(o) for o in item.options],
                points=decimal_text(item.points),
                max_points=decimal_text(item.max_points),
            )
            for item in result.items
        ],
    )


def _attempt_out(attempt: service.PracticeAttempt) -> PracticeAttemptOut:
    now = utcnow()
    in_progress = attempt.in_progress
    return out(
        PracticeAttemptOut,
        attempt,
        attempt_id=attempt.id,
        server_time=now,
        remaining_seconds=service.remaining_seconds(attempt, now),
        question_count=len(attempt.items),
        questions=service.questions_payload(attempt) if in_progress else [],
        answers=attempt.answers if in_progress else {},
        receipt=None,
        result=_result_out(service.result(attempt)),
    )


@api.post("/me/practice", responses=responses(200, PracticeAttemptOut), security=SESSION_AUTH)
@candidate_required
def api_start_practice() -> Response:
    """Start a practice test, or resume the one under way (a finished one starts anew)."""
    return json_response(_attempt_out(service.start(current_user.id)))


@api.post(
    "/me/practice/restart", responses=responses(200, PracticeAttemptOut), security=SESSION_AUTH
)
@candidate_required
def api_restart_practice() -> Response:
    """Leave the practice test under way, if any, and start a new one."""
    return json_response(_attempt_out(service.start(current_user.id, restart=True)))


@api.get("/me/practice", responses=responses(200, PracticeAttemptOut), security=SESSION_AUTH)
@candidate_required
def api_get_practice() -> Response:
    """The practice test under way, or the last one with its result (kept for 2 hours)."""
    return json_response(_attempt_out(service.current(current_user.id)))


@api.put(
    "/me/practice/answers/<int:position>",
    responses=responses(200, AnswerOut),
    security=SESSION_AUTH,
)
@candidate_required
@validate_request()
def api_save_practice_answer(path: AnswerPath, body: AnswerIn) -> Response:
    saved = service.save_answer(current_user.id, path.position, body.choice, body.seq)
    now = utcnow()
    return json_response(
        out(
            AnswerOut,
            saved,
            saved=True,
            remaining_seconds=max(0, int((saved.deadline - now).total_seconds())),
            server_time=now,
        )
    )


@api.post(
    "/me/practice/submit", responses=responses(200, PracticeAttemptOut), security=SESSION_AUTH
)
@candidate_required
def api_submit_practice() -> Response:
    """Finish now: the score and every question's key come back at once."""
    return json_response(_attempt_out(service.submit(current_user.id)))


@api.post("/me/practice/events", responses=responses(201, MessageOut), security=SESSION_AUTH)
@candidate_required
@validate_request()
def api_practice_event(body: IntegrityEventIn) -> Response:
    """Accepted like the real test's, and kept nowhere."""
    service.check_event(body.kind)
    return json_response(MessageOut(message="ok"), 201)


@pages.route("/ujian-latihan")
@candidate_required
def practice_page() -> Any:
    """The real test's page (exam/test.html) on the practice API, with the result below."""
    return render_template(
        "practice/test.html",
        api_base=API_BASE,
        practice=True,
        question_count=service.QUESTION_COUNT,
        minutes=int(service.DURATION.total_seconds() // 60),
    )
