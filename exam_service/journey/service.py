"""The applicant's way through a recruitment, as the candidate and the admin see it.

An application's timeline spans every domain below: the administrative decision
(recruitment), the booked session (scheduling), the test (exam) and the
published result (selection). Composing them here keeps each of those domains
free of the ones above it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..accounts.models import Office, Profile, Role, User
from ..accounts.profiles import (
    PROFILE_KEY,
    DocumentSlot,
    MissingItem,
    document_checklist,
    missing_for_application,
)
from ..core.audit import record
from ..core.clock import format_local, zone_of
from ..core.extensions import db
from ..core.privacy import mask_nik
from ..exam.service import finished_at
from ..recruitment import service as recruitment
from ..recruitment.models import Activity, Application, ApplicationStatus
from ..scheduling.models import Booking
from ..scheduling.service import SessionChoice, booking_for_application, session_choices


def time_zone_of(user: Any) -> ZoneInfo | None:
    """The zone a person's pages show times in (None: the default, WIB).

    An admin sees their office's zone; a candidate the zone of the office of the
    activity they applied to last (their session and test belong to it); anyone
    else (an author, a visitor) the default. A page listing several offices' things
    passes each thing's zone itself.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if user.role == Role.CANDIDATE:
        name = db.session.scalar(
            db.select(Office.timezone)
            .join(Activity, Activity.office_id == Office.id)
            .join(Application, Application.activity_id == Activity.id)
            .where(Application.user_id == user.id)
            .order_by(Application.submitted_at.desc(), Application.id.desc())
            .limit(1)
        )
        return zone_of(name) if name else None
    return user.office.zone if user.office is not None else None


class StepState(StrEnum):
    DONE = "done"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True)
class TimelineStep:
    key: str
    label: str
    state: StepState
    # When the step happened (done/failed steps).
    at: datetime | None = None
    # A reason, a session, or the schedule of a step still to come.
    note: str | None = None


def _timeline(application: Application, booking: Booking | None) -> list[TimelineStep]:
    status = ApplicationStatus(application.status)
    steps = [
        TimelineStep("submitted", _("Lamaran dikirim"), StepState.DONE, application.submitted_at),
        _decision_step(application, status),
    ]
    if status is ApplicationStatus.REJECTED:
        return steps
    return [
        *steps,
        _session_step(application.activity, booking),
        _test_step(status, booking),
        _result_step(application.activity, status),
    ]


def _decision_step(application: Application, status: ApplicationStatus) -> TimelineStep:
    if status is ApplicationStatus.SUBMITTED:
        return TimelineStep("decision", _("Seleksi administrasi"), StepState.PENDING)
    # Passed and not passed come after an acceptance.
    rejected = status is ApplicationStatus.REJECTED
    shown = ApplicationStatus.REJECTED if rejected else ApplicationStatus.ACCEPTED
    return TimelineStep(
        "decision",
        str(recruitment.STATUS_LABELS[shown]),
        StepState.FAILED if rejected else StepState.DONE,
        application.decided_at,
        application.decision_reason,
    )


def _session_step(activity: Activity, booking: Booking | None) -> TimelineStep:
    if booking is None:
        note = _(
            "Pemilihan sesi dibuka %(opens)s sampai %(closes)s.",
            opens=format_local(activity.booking_opens_at, activity.office.zone),
            closes=format_local(activity.booking_closes_at, activity.office.zone),
        )
        return TimelineStep("session", _("Memilih sesi ujian"), StepState.PENDING, note=note)
    session = booking.session
    zone = activity.office.zone
    note = f"{format_local(session.starts_at, zone)} - {format_local(session.ends_at, zone)}"
    if session.place:
        note += f", {session.place}"
    return TimelineStep(
        "session", _("Sesi ujian dipilih"), StepState.DONE, booking.created_at, note
    )


def _test_step(status: ApplicationStatus, booking: Booking | None) -> TimelineStep:
    finished = finished_at(booking.id) if booking is not None else None
    if finished is not None or status in recruitment.FINAL_STATUSES:
        return TimelineStep("test", _("Ujian selesai"), StepState.DONE, finished)
    return TimelineStep("test", _("Mengikuti ujian"), StepState.PENDING)


def _result_step(activity: Activity, status: ApplicationStatus) -> TimelineStep:
    if status is ApplicationStatus.PASSED:
        return TimelineStep("result", str(recruitment.STATUS_LABELS[status]), StepState.DONE)
    if status is ApplicationStatus.NOT_PASSED:
        return TimelineStep("result", str(recruitment.STATUS_LABELS[status]), StepState.FAILED)
    note = None
    if activity.announcement_at is not None:
        note = _(
            "Diumumkan %(at)s.", at=format_local(activity.announcement_at, activity.office.zone)
        )
    return TimelineStep("result", _("Pengumuman hasil akhir"), StepState.PENDING, note=note)


@dataclass(frozen=True)
class SessionAction:
    """The "Pilih sesi" button of an accepted application without a booking: usable
    when a session can be chosen now, otherwise shown disabled with the reason."""

    can_choose: bool
    # Why no session can be chosen now (booking not yet open, closed, no sessions).
    reason: str | None = None


@dataclass(frozen=True)
class MyApplication:
    application: Application
    booking: Booking | None
    timeline: list[TimelineStep]
    # Set for an accepted application without a booking (the card's "Pilih sesi").
    session_action: SessionAction | None = None

    @property
    def status_label(self) -> str:
        return str(recruitment.STATUS_LABELS[ApplicationStatus(self.application.status)])

    @property
    def test_ahead(self) -> bool:
        """Booked and the test not yet over: the card links to the test page."""
        if self.booking is None:
            return False
        test = next((step for step in self.timeline if step.key == "test"), None)
        return test is not None and test.state is StepState.PENDING


@dataclass(frozen=True)
class CandidateOverview:
    applications: list[MyApplication]
    # Activities open for registration that the candidate has not applied to.
    open_activities: list[Activity]
    # What the candidate still has to complete before applying (labels).
    missing: list[MissingItem]

    @property
    def missing_profile(self) -> bool:
        return any(item.key == PROFILE_KEY for item in self.missing)

    @property
    def missing_documents(self) -> int:
        return sum(1 for item in self.missing if item.key != PROFILE_KEY)

    @property
    def why_no_apply(self) -> str | None:
        """Beside the disabled "Lamar": what is still missing, said in one line."""
        documents = self.missing_documents
        if self.missing_profile and documents:
            return _("Lengkapi profil dan %(n)d dokumen lagi dulu.", n=documents)
        if self.missing_profile:
            return _("Lengkapi profil dulu.")
        if documents:
            return _("Unggah %(n)d dokumen lagi dulu.", n=documents)
        return None


def my_applications(user: User, now: datetime | None = None) -> list[MyApplication]:
    applications = list(
        db.session.scalars(
            db.select(Application)
            .where(Application.user_id == user.id)
            .order_by(Application.submitted_at.desc(), Application.id.desc())
        )
    )
    choices = _session_choices(user, applications, now)
    return [_mine(a, choices.get(a.id)) for a in applications]


def my_application(user: User, application_id: int, now: datetime | None = None) -> MyApplication:
    """One of the candidate's own applications; anybody else's is "not found"."""
    application = recruitment.candidate_application(user, application_id)
    choices = _session_choices(user, [application], now)
    return _mine(application, choices.get(application.id))


def candidate_overview(user: User, now: datetime | None = None) -> CandidateOverview:
    mine = my_applications(user, now)
    applied = {m.application.activity_id for m in mine}
    activities = [a for a in recruitment.open_activities(now) if a.id not in applied]
    return CandidateOverview(mine, activities, missing_for_application(user.id))


def _session_choices(
    user: User, applications: list[Application], now: datetime | None
) -> dict[int, SessionChoice]:
    """Scheduling's view of the accepted applications (why a session can or cannot be
    chosen now), asked only when one of them is accepted."""
    if not any(a.status == ApplicationStatus.ACCEPTED for a in applications):
        return {}
    wanted = {a.id for a in applications}
    return {
        choice.application.id: choice
        for choice in session_choices(user, now)
        if choice.application.id in wanted
    }


def _mine(application: Application, choice: SessionChoice | None = None) -> MyApplication:
    booking = booking_for_application(application.id)
    action = None
    if booking is None and application.status == ApplicationStatus.ACCEPTED:
        reason = choice.reason if choice is not None else None
        action = SessionAction(can_choose=reason is None, reason=reason)
    return MyApplication(application, booking, _timeline(application, booking), action)


@dataclass(frozen=True)
class ApplicationDetail:
    application: Application
    profile: Profile
    eligibility: recruitment.Eligibility
    documents: list[DocumentSlot]
    booking: Booking | None
    timeline: list[TimelineStep]
    history: list[recruitment.HistoryEntry]

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.profile.nik)

    @property
    def status_label(self) -> str:
        return str(recruitment.STATUS_LABELS[ApplicationStatus(self.application.status)])

    @property
    def decidable(self) -> bool:
        return self.booking is None and self.application.status not in recruitment.FINAL_STATUSES

    @property
    def grouped_history(self) -> list[HistoryGroup]:
        return group_history(self.history)


# Audit actions that repeat without changing anything: shown once per run.
REPEATED_ACTIONS = frozenset({recruitment.VIEW_PERSONAL_DATA, recruitment.DOWNLOAD_DOCUMENT})


@dataclass(frozen=True)
class HistoryGroup:
    """One line of an application's history: an event, or a run of the same view.

    "Dilihat 12x oleh ..., terakhir ...": consecutive identical views (same
    actor, action and details) are one group; anything else in between (a
    decision, another admin's view) starts a new one, so the order stays true.
    """

    first_at: datetime
    last_at: datetime
    actor: str
    action: str
    details: dict[str, Any]
    count: int = 1

    @property
    def at(self) -> datetime:
        return self.last_at

    @property
    def repeated(self) -> bool:
        return self.count > 1


def group_history(entries: list[recruitment.HistoryEntry]) -> list[HistoryGroup]:
    """Collapse runs of repeated views; every other event stays its own line."""
    groups: list[HistoryGroup] = []
    for entry in entries:
        last = groups[-1] if groups else None
        if (
            last is not None
            and entry.action in REPEATED_ACTIONS
            and (last.action, last.actor, last.details)
            == (entry.action, entry.actor, entry.details)
        ):
            groups[-1] = replace(last, last_at=entry.at, count=last.count + 1)
        else:
            groups.append(
                HistoryGroup(entry.at, entry.at, entry.actor, entry.action, entry.details)
            )
    return groups


def admin_application_detail(admin: User, application_id: int) -> ApplicationDetail:
    """Everything the admin needs to decide; the access to NIK and documents is audited."""
    application = recruitment.application_for_admin(admin, application_id)
    profile = recruitment.profile_of(application)
    record(
        admin.id,
        recruitment.VIEW_PERSONAL_DATA,
        "application",
        application.id,
        fields=["nik", "documents"],
    )
    booking = booking_for_application(application.id)
    return ApplicationDetail(
        application=application,
        profile=profile,
        eligibility=recruitment.eligibility_of(application, profile),
        documents=document_checklist(application.user_id),
        booking=booking,
        timeline=_timeline(application, booking),
        history=recruitment.history_of(application.id),
    )
