"""What admins do during and after a session: watch, extend, rule on faulty items.

Every action is scoped to the admin's office and written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func

from question_bank import FaultyRule

from ..accounts.models import User
from ..accounts.offices import office_of
from ..authoring import bank
from ..core.audit import record
from ..core.clock import utcnow
from ..core.database import after_commit
from ..core.errors import Conflict, Invalid, NotFound
from ..core.extensions import db
from ..recruitment.models import Activity, Application
from ..recruitment.service import activity_for_admin
from ..scheduling.models import Booking, TestSession
from ..scheduling.service import session_for_admin
from . import live, signals
from .models import (
    Answer,
    Attempt,
    AttemptItem,
    AttemptStatus,
    Extension,
    IntegrityEvent,
    ItemRuling,
)
from .service import grade, remaining_seconds

MAX_EXTENSION_SECONDS = 2 * 3600


@dataclass(frozen=True)
class MonitorRow:
    booking_id: int
    candidate_name: str
    attempt_id: int | None
    status: str  # not_started | ready | in_progress | finished
    started_at: datetime | None
    answered: int
    remaining_seconds: int
    finished_at: datetime | None
    finish_reason: str | None
    extension_seconds: int
    integrity_events: int


def monitor(admin: User, session_id: int, now: datetime | None = None) -> list[MonitorRow]:
    """Who has started, how far they are, how long they have left."""
    now = now or utcnow()
    session_for_admin(admin, session_id)
    answered = (
        db.select(Answer.attempt_id, func.count().label("n"))
        .where(Answer.choice.is_not(None))
        .group_by(Answer.attempt_id)
        .subquery()
    )
    events = (
        db.select(IntegrityEvent.attempt_id, func.count().label("n"))
        .group_by(IntegrityEvent.attempt_id)
        .subquery()
    )
    rows = db.session.execute(
        db.select(Booking.id, User.full_name, Attempt, answered.c.n, events.c.n)
        .join(Application, Application.id == Booking.application_id)
        .join(User, User.id == Application.user_id)
        .outerjoin(Attempt, Attempt.booking_id == Booking.id)
        .outerjoin(answered, answered.c.attempt_id == Attempt.id)
        .outerjoin(events, events.c.attempt_id == Attempt.id)
        .where(Booking.session_id == session_id)
        .order_by(User.full_name)
    ).all()
    return [
        MonitorRow(
            booking_id=booking_id,
            candidate_name=name,
            attempt_id=attempt.id if attempt else None,
            status=str(attempt.status) if attempt else "not_started",
            started_at=attempt.started_at if attempt else None,
            answered=answered_count or 0,
            remaining_seconds=remaining_seconds(attempt, now) if attempt else 0,
            finished_at=attempt.finished_at if attempt else None,
            finish_reason=attempt.finish_reason if attempt else None,
            extension_seconds=attempt.extension_seconds if attempt else 0,
            integrity_events=event_count or 0,
        )
        for booking_id, name, attempt, answered_count, event_count in rows
    ]


def integrity_events(admin: User, attempt_id: int) -> list[IntegrityEvent]:
    attempt = _attempt_for_admin(admin, attempt_id)
    return list(
        db.session.scalars(
            db.select(IntegrityEvent)
            .where(IntegrityEvent.attempt_id == attempt.id)
            .order_by(IntegrityEvent.at)
        )
    )


def _attempt_for_admin(admin: User, attempt_id: int) -> Attempt:
    attempt = db.session.scalar(
        db.select(Attempt)
        .join(TestSession, Attempt.session_id == TestSession.id)
        .join(Activity, TestSession.activity_id == Activity.id)
        .where(Attempt.id == attempt_id, Activity.office_id == office_of(admin))
    )
    if attempt is None:
        raise NotFound(_("Ujian tidak ditemukan."))
    return attempt


def extend(admin: User, attempt_id: int, seconds: int, reason: str) -> Attempt:
    """Give one candidate more time. Their open test page learns the new deadline at its
    next request (a save, or its poll every 30 s); `signals.time_extended` tells the
    domains above (a mail to the candidate) in the same transaction."""
    reason = reason.strip()
    if not 1 <= seconds <= MAX_EXTENSION_SECONDS:
        raise Invalid(_("Tambahan waktu tidak valid."), details={"seconds": str(seconds)})
    if not reason:
        raise Invalid(_("Alasan wajib diisi."), details={"reason": _("Alasan wajib diisi.")})
    attempt = _attempt_for_admin(admin, attempt_id)
    old_deadline = attempt.deadline
    if attempt.status != AttemptStatus.IN_PROGRESS or old_deadline is None:
        raise Conflict(_("Ujian ini tidak sedang berlangsung."), code="attempt_not_in_progress")
    # Optimistic: computed here (date arithmetic differs between databases), applied
    # only if nobody changed the deadline or finished the attempt meanwhile.
    extended = db.session.execute(
        db.update(Attempt)
        .where(
            Attempt.id == attempt.id,
            Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.deadline == old_deadline,
        )
        .values(
            deadline=old_deadline + timedelta(seconds=seconds),
            extension_seconds=Attempt.extension_seconds + seconds,
        )
    ).rowcount
    if not extended:
        raise Conflict(
            _("Ujian ini baru saja berubah. Muat ulang lalu coba lagi."), code="attempt_changed"
        )
    db.session.add(
        Extension(attempt_id=attempt.id, seconds=seconds, reason=reason, granted_by_id=admin.id)
    )
    record(admin.id, "extend_attempt", "attempt", attempt.id, seconds=seconds, reason=reason)
    db.session.refresh(attempt)
    assert attempt.deadline is not None
    deadline_ms = live.to_ms(attempt.deadline)
    due_ms = deadline_ms + current_app.config["ANSWER_GRACE_SECONDS"] * 1000
    after_commit(lambda: live.set_deadline(attempt_id, deadline_ms, due_ms))
    signals.time_extended.send(attempt, seconds=seconds, reason=reason)
    return attempt


def rule_item(
    admin: User, activity_id: int, question_version_id: int, rule: FaultyRule, reason: str
) -> int:
    """Declare an item faulty for one activity and regrade every affected attempt.

    Returns how many attempts were regraded; each gets a new grading version.
    """
    activity_for_admin(admin, activity_id)
    if not reason.strip():
        raise Invalid(_("Alasan wajib diisi."), details={"reason": _("Alasan wajib diisi.")})
    if not bank.versions([question_version_id]):
        raise NotFound(_("Versi soal tidak ditemukan."), code="question_version_not_found")
    ruling = db.session.get(ItemRuling, (activity_id, question_version_id))
    if ruling is None:
        ruling = ItemRuling(activity_id=activity_id, question_version_id=question_version_id)
        db.session.add(ruling)
    ruling.rule = rule.value
    ruling.reason = reason.strip()
    ruling.decided_by_id = admin.id
    ruling.decided_at = utcnow()
    db.session.flush()
    affected = db.session.scalars(
        db.select(Attempt)
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(TestSession, TestSession.id == Attempt.session_id)
        .where(
            TestSession.activity_id == activity_id,
            AttemptItem.question_version_id == question_version_id,
            Attempt.status == AttemptStatus.FINISHED,
        )
    ).all()
    for attempt in affected:
        grade(attempt)
    record(
        admin.id,
        "rule_item",
        "question_version",
        question_version_id,
        activity_id=activity_id,
        rule=rule.value,
        reason=reason.strip(),
        regraded=len(affected),
    )
    return len(affected)
