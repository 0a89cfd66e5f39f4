"""The admin's overview of one recruitment: how many candidates reached each step.

The funnel crosses every domain below (recruitment, scheduling, exam, selection),
so it lives here. Every figure comes from a fixed number of aggregate queries,
whatever the number of applications: the page stays fast at thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func

from ..accounts.models import Document, Office, Profile, Role, User
from ..accounts.profiles import DOCUMENT_LABELS
from ..core.clock import utcnow
from ..core.extensions import db
from ..exam.models import Attempt, AttemptStatus
from ..recruitment import service as recruitment
from ..recruitment.models import Activity, Application, ApplicationStatus
from ..scheduling.models import Booking, TestSession
from ..selection.models import ReviewRequest, SelectionOutcome, SelectionRule

# Statuses of applications that passed the administrative selection (the final
# selection later turns ACCEPTED into PASSED or NOT_PASSED).
ACCEPTED_OR_LATER = (
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.PASSED,
    ApplicationStatus.NOT_PASSED,
)


class PhaseState(StrEnum):
    NOT_YET = "not_yet"
    OPEN = "open"
    OVER = "over"
    UNSET = "unset"


PHASE_LABELS = {
    "registration": _l("Pendaftaran"),
    "paper": _l("Penyerahan berkas fisik"),
    "selection": _l("Seleksi administrasi"),
    "booking": _l("Pemilihan sesi"),
    "tests": _l("Sesi ujian"),
    "announcement": _l("Pengumuman"),
}

STATE_LABELS = {
    PhaseState.NOT_YET: _l("Belum dimulai"),
    PhaseState.OPEN: _l("Sedang berlangsung"),
    PhaseState.OVER: _l("Selesai"),
    PhaseState.UNSET: _l("Belum dijadwalkan"),
}


@dataclass(frozen=True)
class Phase:
    key: str  # a key of PHASE_LABELS
    starts_at: datetime | None
    ends_at: datetime | None
    state: PhaseState


@dataclass(frozen=True)
class SessionFigures:
    session: TestSession
    booked: int
    started: int
    finished: int
    graded: int


@dataclass
class Funnel:
    activity: Activity
    registered_in_region: int
    applied: int
    by_status: dict[str, int]
    documents_complete: int
    paper_received: int
    accepted: int  # passed the administrative selection (whatever came after)
    booked: int
    started: int
    finished: int
    graded: int
    published: bool
    scheduled: bool
    passed: int
    not_passed: int
    reviews: int
    reviews_open: int
    phases: list[Phase] = field(default_factory=list)
    sessions: list[SessionFigures] = field(default_factory=list)

    @property
    def current_phases(self) -> list[Phase]:
        return [p for p in self.phases if p.state is PhaseState.OPEN]

    @property
    def undecided_after_deadline(self) -> int:
        """Applications still waiting once the decision deadline has passed (0 before)."""
        selection = next((p for p in self.phases if p.key == "selection"), None)
        late = selection is not None and selection.state is PhaseState.OVER
        return self.by_status[ApplicationStatus.SUBMITTED.value] if late else 0


def activity_funnel(admin: User, activity_id: int, now: datetime | None = None) -> Funnel:
    """The funnel of one activity of the admin's office (404 for another office's)."""
    activity = recruitment.activity_for_admin(admin, activity_id)
    now = now or utcnow()
    by_status, paper_received = _status_counts(activity.id)
    sessions = _session_figures(activity.id)
    rule = db.session.get(SelectionRule, activity.id)
    outcomes = dict(
        db.session.execute(
            db.select(SelectionOutcome.passed, func.count())
            .where(SelectionOutcome.activity_id == activity.id)
            .group_by(SelectionOutcome.passed)
        ).all()
    )
    reviews, reviews_open = db.session.execute(
        db.select(
            func.count(ReviewRequest.id),
            func.count(case((ReviewRequest.answered_at.is_(None), ReviewRequest.id))),
        )
        .join(Application, Application.id == ReviewRequest.application_id)
        .where(Application.activity_id == activity.id)
    ).one()
    return Funnel(
        activity=activity,
        registered_in_region=_registered_in_region(activity.office_id),
        applied=sum(by_status.values()),
        by_status=by_status,
        documents_complete=_documents_complete(activity.id),
        paper_received=paper_received,
        accepted=sum(by_status[s.value] for s in ACCEPTED_OR_LATER),
        booked=sum(s.booked for s in sessions),
        started=sum(s.started for s in sessions),
        finished=sum(s.finished for s in sessions),
        graded=sum(s.graded for s in sessions),
        published=rule is not None and rule.published_at is not None,
        scheduled=rule is not None and rule.scheduled_at is not None,
        passed=outcomes.get(True, 0),
        not_passed=outcomes.get(False, 0),
        reviews=reviews or 0,
        reviews_open=reviews_open or 0,
        phases=_phases(activity, sessions, rule, now),
        sessions=sessions,
    )


def _status_counts(activity_id: int) -> tuple[dict[str, int], int]:
    """Applications per status, and how many have handed in their printed documents."""
    counts = {s.value: 0 for s in ApplicationStatus}
    rows = db.session.execute(
        db.select(
            Application.status, func.count(), func.count(Application.paper_documents_received_at)
        )
        .where(Application.activity_id == activity_id)
        .group_by(Application.status)
    ).all()
    for status, count, _paper in rows:
        counts[str(status)] = count
    return counts, sum(paper for _status, _count, paper in rows)


def _documents_complete(activity_id: int) -> int:
    """Applicants who have uploaded every document kind of the announcement."""
    kinds = [kind.value for kind in DOCUMENT_LABELS]
    complete_users = (
        db.select(Document.user_id)
        .where(Document.kind.in_(kinds))
        .group_by(Document.user_id)
        .having(func.count(func.distinct(Document.kind)) == len(kinds))
    )
    return (
        db.session.scalar(
            db.select(func.count(Application.id)).where(
                Application.activity_id == activity_id,
                Application.user_id.in_(complete_users),
            )
        )
        or 0
    )


def _registered_in_region(office_id: int) -> int:
    """Active candidates whose domicile is in the office's region."""
    region = db.select(Office.region_code).where(Office.id == office_id).scalar_subquery()
    return (
        db.session.scalar(
            db.select(func.count(User.id))
            .join(Profile, Profile.user_id == User.id)
            .where(
                User.role == Role.CANDIDATE,
                User.activated_at.is_not(None),
                User.disabled_at.is_(None),
                Profile.regency_code == region,
            )
        )
        or 0
    )


def _session_figures(activity_id: int) -> list[SessionFigures]:
    sessions = db.session.scalars(
        db.select(TestSession)
        .where(TestSession.activity_id == activity_id)
        .order_by(TestSession.starts_at, TestSession.id)
    ).all()
    ids = [s.id for s in sessions]
    if not ids:
        return []
    booked = dict(
        db.session.execute(
            db.select(Booking.session_id, func.count())
            .where(Booking.session_id.in_(ids))
            .group_by(Booking.session_id)
        ).all()
    )
    attempts = {
        session_id: (started, finished, graded)
        for session_id, started, finished, graded in db.session.execute(
            db.select(
                Attempt.session_id,
                func.count(Attempt.started_at),
                func.count(case((Attempt.status == AttemptStatus.FINISHED, Attempt.id))),
                func.count(Attempt.graded_at),
            )
            .where(Attempt.session_id.in_(ids))
            .group_by(Attempt.session_id)
        ).all()
    }
    return [
        SessionFigures(s, booked.get(s.id, 0), *attempts.get(s.id, (0, 0, 0))) for s in sessions
    ]


def _state(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> PhaseState:
    if starts_at is None:
        return PhaseState.UNSET
    if now < starts_at:
        return PhaseState.NOT_YET
    if ends_at is None or now < ends_at:
        return PhaseState.OPEN
    return PhaseState.OVER


def _phases(
    activity: Activity,
    sessions: list[SessionFigures],
    rule: SelectionRule | None,
    now: datetime,
) -> list[Phase]:
    first = min((s.session.starts_at for s in sessions), default=None)
    last = max((s.session.ends_at for s in sessions), default=None)
    announced = activity.announcement_at
    if rule is not None and rule.published_at is not None:
        announcement = PhaseState.OVER
    elif announced is None:
        announcement = PhaseState.UNSET
    else:
        # Open from the announcement time until the worker publishes.
        announcement = PhaseState.NOT_YET if now < announced else PhaseState.OPEN
    opens = activity.registration_opens_at
    # Without a deadline, decisions matter until the session choice closes.
    decided_by = activity.decision_deadline_at or activity.booking_closes_at
    paper = activity.paper_documents_due_at
    return [
        Phase(
            "registration",
            opens,
            activity.registration_closes_at,
            _state(opens, activity.registration_closes_at, now),
        ),
        *([Phase("paper", opens, paper, _state(opens, paper, now))] if paper else []),
        Phase("selection", opens, decided_by, _state(opens, decided_by, now)),
        Phase(
            "booking",
            activity.booking_opens_at,
            activity.booking_closes_at,
            _state(activity.booking_opens_at, activity.booking_closes_at, now),
        ),
        Phase("tests", first, last, _state(first, last, now)),
        Phase("announcement", announced, None, announcement),
    ]
