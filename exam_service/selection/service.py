"""Final selection: the rule, the ranking, publication at the announcement time,
the public announcement and human review of the outcome.

Ranking (documented for candidates and admins alike):
1. candidates who meet every category minimum come before those who do not;
2. higher total score first;
3. on equal totals, the higher score in the blueprint's first category, then in
   its second, and so on;
4. then whoever finished the test earlier;
5. then the lower application number (earlier application).
The order is strict, so a quota of N passes exactly N candidates (or fewer when
fewer qualify). Candidates who never sat the test, or whose attempt is not
finished and graded, do not pass and are not ranked.

Publication: the admin schedules the rule for the activity's `announcement_at`.
Until the worker publishes it at that time, candidates see nothing of the
outcome: application statuses are set (passed / not passed), the outcomes are
stored and `signals.result_published` is sent, whose receiver (feeds) writes
the `result.published` events, all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Profile, User
from ..accounts.offices import office_of
from ..authoring.models import Category
from ..core.audit import record
from ..core.clock import format_local, utcnow
from ..core.errors import Conflict, Invalid, NotFound
from ..core.extensions import db
from ..core.formatting import decimal_text
from ..core.privacy import mask_nik
from ..exam.models import Attempt, AttemptStatus
from ..recruitment.models import Activity, Application, ApplicationStatus
from ..recruitment.service import activity_for_admin, candidate_application
from ..scheduling.models import Booking, TestSession
from . import signals
from .models import OutcomeReason, ReviewRequest, SelectionMethod, SelectionOutcome, SelectionRule

MAX_QUOTA = 100_000
MAX_SCORE_VALUE = Decimal(1_000_000)
REVIEW_REASON_RANGE = (10, 2000)
MAX_ANSWER_LENGTH = 2000
# Applications that took part in the test stage (accepted), also once published.
TAKING_PART = (ApplicationStatus.ACCEPTED, ApplicationStatus.PASSED, ApplicationStatus.NOT_PASSED)

REASON_LABELS = {
    OutcomeReason.PASSED: _l("Lulus"),
    OutcomeReason.NO_RESULT: _l("Tidak mengikuti ujian atau ujian belum dinilai"),
    OutcomeReason.BELOW_CATEGORY_MINIMUM: _l("Di bawah nilai minimal kategori"),
    OutcomeReason.BELOW_THRESHOLD: _l("Di bawah nilai ambang batas"),
    OutcomeReason.OUTSIDE_QUOTA: _l("Di luar kuota"),
}
TIE_BREAK_RULE = _l(
    "Peringkat: skor total tertinggi; jika sama, skor tertinggi pada kategori pertama "
    "kisi-kisi, lalu kategori berikutnya; lalu yang selesai ujian lebih awal; lalu nomor "
    "lamaran terkecil. Peserta yang tidak memenuhi nilai minimal kategori berada di bawah "
    "peserta yang memenuhi."
)


# --- the rule -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleData:
    method: str
    quota: int | None = None
    threshold: Decimal | str | None = None
    # {category slug: minimum score}
    category_minimums: dict[str, Any] | None = None


@dataclass(frozen=True)
class SelectionState:
    activity: Activity
    rule: SelectionRule | None
    categories: list[str]

    @property
    def scheduled(self) -> bool:
        return self.rule is not None and self.rule.scheduled_at is not None

    @property
    def published(self) -> bool:
        return self.rule is not None and self.rule.published_at is not None


def state_for_admin(admin: User, activity_id: int) -> SelectionState:
    activity = activity_for_admin(admin, activity_id)
    return SelectionState(
        activity, db.session.get(SelectionRule, activity.id), _categories(activity)
    )


def set_rule(admin: User, activity_id: int, data: RuleData) -> SelectionRule:
    """Create or change the rule; possible until the outcome is published."""
    activity = activity_for_admin(admin, activity_id)
    rule = _rule_for_update(activity.id)
    _require_unpublished(rule)
    columns = _validated_rule(data, _categories(activity))
    if rule is None:
        rule = SelectionRule(activity_id=activity.id, **columns)
        db.session.add(rule)
    else:
        for key, value in columns.items():
            setattr(rule, key, value)
    rule.updated_by_id = admin.id
    rule.updated_at = utcnow()
    db.session.flush()
    record(
        admin.id,
        "selection_rule_set",
        "activity",
        activity.id,
        method=rule.method,
        quota=rule.quota,
        threshold=None if rule.threshold is None else str(rule.threshold),
        category_minimums=rule.category_minimums,
    )
    return rule


def _validated_rule(data: RuleData, categories: list[str]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    method = data.method if data.method in {m.value for m in SelectionMethod} else None
    if method is None:
        errors["method"] = _("Pilih kuota atau nilai ambang batas.")
    quota = threshold = None
    if method == SelectionMethod.QUOTA:
        quota = data.quota
        if not isinstance(quota, int) or isinstance(quota, bool) or not 1 <= quota <= MAX_QUOTA:
            errors["quota"] = _("Kuota harus antara 1 dan %(max)d.", max=MAX_QUOTA)
    elif method == SelectionMethod.THRESHOLD:
        threshold = _score_value(data.threshold)
        if threshold is None:
            errors["threshold"] = _("Nilai ambang batas harus angka 0 atau lebih.")
    minimums: dict[str, str] = {}
    for slug, value in (data.category_minimums or {}).items():
        if value is None or value == "":
            continue  # no minimum for this category
        minimum = _score_value(value)
        if slug not in categories:
            errors["category_minimums"] = _("Kategori tidak ada di kisi-kisi: %(slug)s.", slug=slug)
        elif minimum is None:
            errors["category_minimums"] = _("Nilai minimal kategori harus angka 0 atau lebih.")
        else:
            minimums[slug] = str(minimum)
    if errors:
        raise Invalid(_("Aturan seleksi akhir tidak valid."), details=errors)
    return {
        "method": SelectionMethod(method),
        "quota": quota,
        "threshold": threshold,
        "category_minimums": minimums,
    }


def _score_value(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number > MAX_SCORE_VALUE:
        return None
    return number.quantize(Decimal("0.001"))


def schedule(admin: User, activity_id: int, announcement_at: datetime) -> SelectionRule:
    """Fix the announcement time; the worker publishes the outcome then."""
    activity = activity_for_admin(admin, activity_id)
    rule = _rule_for_update(activity.id)
    if rule is None:
        raise Conflict(_("Tetapkan dahulu aturan seleksi akhir."), code="no_selection_rule")
    _require_unpublished(rule)
    _check_announcement_time(activity, announcement_at)
    activity.announcement_at = announcement_at
    rule.scheduled_at = utcnow()
    rule.scheduled_by_id = admin.id
    db.session.flush()
    record(
        admin.id,
        "selection_scheduled",
        "activity",
        activity.id,
        announcement_at=announcement_at.isoformat(),
    )
    return rule


def _check_announcement_time(activity: Activity, at: datetime) -> None:
    last_end = db.session.scalar(
        db.select(db.func.max(TestSession.ends_at)).where(TestSession.activity_id == activity.id)
    )
    if at <= utcnow():
        message = _("Waktu pengumuman harus di masa depan.")
    elif at <= activity.booking_closes_at:
        message = _("Pengumuman harus setelah pemilihan sesi ditutup.")
    elif last_end is not None and at <= last_end:
        message = _(
            "Pengumuman harus setelah sesi ujian terakhir berakhir (%(end)s).",
            end=format_local(last_end, activity.office.zone),
        )
    else:
        return
    raise Invalid(message, details={"announcement_at": message})


def unschedule(admin: User, activity_id: int) -> SelectionRule:
    activity = activity_for_admin(admin, activity_id)
    rule = _rule_for_update(activity.id)
    if rule is None:
        raise Conflict(_("Tetapkan dahulu aturan seleksi akhir."), code="no_selection_rule")
    _require_unpublished(rule)
    rule.scheduled_at = None
    rule.scheduled_by_id = None
    db.session.flush()
    record(admin.id, "selection_unscheduled", "activity", activity.id)
    return rule


def _require_unpublished(rule: SelectionRule | None) -> None:
    if rule is not None and rule.published_at is not None:
        raise Conflict(
            _("Hasil seleksi akhir sudah diumumkan dan tidak dapat diubah."),
            code="selection_published",
        )


def _rule_for_update(activity_id: int) -> SelectionRule | None:
    """The rule row, locked: publication and admin changes are serialised on it."""
    return db.session.scalar(
        db.select(SelectionRule)
        .where(SelectionRule.activity_id == activity_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


# --- ranking and preview ------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    application_id: int
    user_id: int
    full_name: str
    nik: str
    attempt_id: int | None
    score: Decimal | None
    max_score: Decimal | None
    # {category: score} of the graded attempt.
    category_scores: dict[str, Decimal]
    finished_at: datetime | None
    # {category: the most it could earn} of the graded attempt.
    category_max: dict[str, Decimal] = field(default_factory=dict)

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik)

    @property
    def has_result(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    rank: int | None
    passed: bool
    reason: OutcomeReason

    @property
    def reason_label(self) -> str:
        return str(REASON_LABELS[self.reason])


def preview(admin: User, activity_id: int) -> list[Ranked]:
    """Who would pass under the current rule and scores (nothing is stored)."""
    activity = activity_for_admin(admin, activity_id)
    rule = db.session.get(SelectionRule, activity.id)
    if rule is None:
        raise Conflict(_("Tetapkan dahulu aturan seleksi akhir."), code="no_selection_rule")
    return rank(_candidates(activity.id), rule, _categories(activity))


def rank(candidates: list[Candidate], rule: SelectionRule, categories: list[str]) -> list[Ranked]:
    """Apply the rule: ranked candidates with a result first, then those without one."""
    minimums = {slug: Decimal(v) for slug, v in (rule.category_minimums or {}).items()}

    def qualifies(c: Candidate) -> bool:
        return all(c.category_scores.get(slug, Decimal(0)) >= m for slug, m in minimums.items())

    def order(c: Candidate) -> tuple:
        per_category = [-c.category_scores.get(slug, Decimal(0)) for slug in categories]
        finished = c.finished_at.timestamp() if c.finished_at else float("inf")
        return (not qualifies(c), -(c.score or 0), *per_category, finished, c.application_id)

    with_result = sorted((c for c in candidates if c.has_result), key=order)
    ranked: list[Ranked] = []
    passed_count = 0
    for position, candidate in enumerate(with_result, start=1):
        reason = _reason(candidate, qualifies(candidate), passed_count, rule)
        passed_count += reason is OutcomeReason.PASSED
        ranked.append(Ranked(candidate, position, reason is OutcomeReason.PASSED, reason))
    without = sorted((c for c in candidates if not c.has_result), key=lambda c: c.application_id)
    ranked += [Ranked(c, None, False, OutcomeReason.NO_RESULT) for c in without]
    return ranked


def _reason(
    candidate: Candidate, qualifies: bool, passed_so_far: int, rule: SelectionRule
) -> OutcomeReason:
    if not qualifies:
        return OutcomeReason.BELOW_CATEGORY_MINIMUM
    if rule.method == SelectionMethod.QUOTA:
        return (
            OutcomeReason.PASSED
            if passed_so_far < (rule.quota or 0)
            else OutcomeReason.OUTSIDE_QUOTA
        )
    if candidate.score is not None and candidate.score >= (rule.threshold or 0):
        return OutcomeReason.PASSED
    return OutcomeReason.BELOW_THRESHOLD


def _candidates(activity_id: int) -> list[Candidate]:
    """Every application that took part in the test stage, with its graded attempt if any."""
    rows = db.session.execute(
        db.select(Application.id, User.id, User.full_name, Profile.full_name, Profile.nik, Attempt)
        .join(User, User.id == Application.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(Booking, Booking.application_id == Application.id)
        .outerjoin(
            Attempt,
            (Attempt.booking_id == Booking.id)
            & (Attempt.status == AttemptStatus.FINISHED)
            & Attempt.graded_at.is_not(None),
        )
        .where(Application.activity_id == activity_id, Application.status.in_(TAKING_PART))
    ).all()
    return [
        Candidate(
            application_id=application_id,
            user_id=user_id,
            full_name=legal_name or name,
            nik=nik or "",
            attempt_id=attempt.id if attempt else None,
            score=attempt.score if attempt else None,
            max_score=attempt.max_score if attempt else None,
            category_scores={
                slug: Decimal(str(part["score"]))
                for slug, part in ((attempt.category_scores or {}) if attempt else {}).items()
            },
            finished_at=attempt.finished_at if attempt else None,
            category_max={
                slug: Decimal(str(part["max"]))
                for slug, part in ((attempt.category_scores or {}) if attempt else {}).items()
            },
        )
        for application_id, user_id, name, legal_name, nik, attempt in rows
    ]


def _categories(activity: Activity) -> list[str]:
    """The blueprint's categories in its order: the order of the tie-break."""
    return list(((activity.blueprint or {}).get("categories") or {}).keys())


# --- publication (the worker) ---------------------------------------------------------------


def due_publications(now: datetime | None = None) -> list[int]:
    """Activities whose scheduled announcement time has come and that are not yet published."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            db.select(SelectionRule.activity_id)
            .join(Activity, Activity.id == SelectionRule.activity_id)
            .where(
                SelectionRule.scheduled_at.is_not(None),
                SelectionRule.published_at.is_(None),
                Activity.announcement_at <= now,
            )
            .order_by(Activity.announcement_at)
        )
    )


def publish(activity_id: int, now: datetime | None = None) -> bool:
    """Publish the outcome if due; False when not due or already published (idempotent)."""
    now = now or utcnow()
    rule = _rule_for_update(activity_id)
    activity = db.session.get_one(Activity, activity_id)
    due = activity.announcement_at is not None and activity.announcement_at <= now
    if rule is None or rule.scheduled_at is None or rule.published_at is not None or not due:
        return False
    ranked = rank(_candidates(activity_id), rule, _categories(activity))
    applications = {
        a.id: a
        for a in db.session.scalars(
            db.select(Application).where(
                Application.id.in_([r.candidate.application_id for r in ranked])
            )
        )
    }
    categories = _categories(activity)
    for row in ranked:
        _store_outcome(activity, applications[row.candidate.application_id], row, now, categories)
        signals.result_published.send(activity, data=_event_data(activity, row, now))
    rule.published_at = now
    db.session.flush()
    passed = sum(r.passed for r in ranked)
    record(
        None,
        "selection_published",
        "activity",
        activity_id,
        passed=passed,
        not_passed=len(ranked) - passed,
    )
    return True


def _store_outcome(
    activity: Activity, application: Application, row: Ranked, now: datetime, categories: list[str]
) -> None:
    candidate = row.candidate
    # The blueprint's order first (the tie-break's), then any other category graded.
    order = categories + [c for c in candidate.category_scores if c not in categories]
    db.session.add(
        SelectionOutcome(
            application_id=application.id,
            activity_id=activity.id,
            passed=row.passed,
            reason=row.reason,
            rank=row.rank,
            score=candidate.score,
            max_score=candidate.max_score,
            category_scores={
                slug: {
                    "score": decimal_text(candidate.category_scores[slug]),
                    "max": decimal_text(candidate.category_max.get(slug)),
                }
                for slug in order
                if slug in candidate.category_scores
            }
            if candidate.has_result
            else None,
            published_at=now,
        )
    )
    application.status = ApplicationStatus.PASSED if row.passed else ApplicationStatus.NOT_PASSED


def _event_data(activity: Activity, row: Ranked, now: datetime) -> dict[str, Any]:
    candidate = row.candidate
    return {
        "application_id": candidate.application_id,
        "activity_id": activity.id,
        "attempt_id": candidate.attempt_id,
        "candidate": {
            "id": candidate.user_id,
            "full_name": candidate.full_name,
            "nik": candidate.masked_nik,
        },
        "status": (ApplicationStatus.PASSED if row.passed else ApplicationStatus.NOT_PASSED).value,
        "reason": row.reason.value,
        "rank": row.rank,
        "score": None if candidate.score is None else decimal_text(candidate.score),
        "max_score": None if candidate.max_score is None else decimal_text(candidate.max_score),
        "published_at": now.isoformat(),
    }


# --- what candidates see -----------------------------------------------------------------


@dataclass(frozen=True)
class CategoryResult:
    """One category of a published result, by its name, with the rule's minimum."""

    slug: str
    name: str
    score: Decimal
    max_score: Decimal
    minimum: Decimal | None


@dataclass(frozen=True)
class PublishedResult:
    application_id: int
    passed: bool
    published_at: datetime
    # Only where the activity shows scores to candidates.
    score: Decimal | None
    max_score: Decimal | None
    rank: int | None
    # Also only where scores are shown: per category, and the rule that decided.
    categories: tuple[CategoryResult, ...] = ()
    method: SelectionMethod | None = None
    threshold: Decimal | None = None
    quota: int | None = None

    @property
    def status(self) -> ApplicationStatus:
        return ApplicationStatus.PASSED if self.passed else ApplicationStatus.NOT_PASSED

    def as_dict(self) -> dict[str, Any]:
        """The `result` of the candidate's application in GET /api/v1/me/applications."""
        return {
            "status": self.status.value,
            "published_at": self.published_at.isoformat(),
            "score": None if self.score is None else decimal_text(self.score),
            "max_score": None if self.max_score is None else decimal_text(self.max_score),
            "rank": self.rank,
        }


def published_result(application: Application) -> PublishedResult | None:
    """The application's final result once published; None before (nothing leaks).

    For the recruitment views: `result` of a candidate's own application.
    """
    outcome = db.session.get(SelectionOutcome, application.id)
    if outcome is None:
        return None
    if not application.activity.show_score_to_candidates:
        return PublishedResult(
            application_id=application.id,
            passed=outcome.passed,
            published_at=outcome.published_at,
            score=None,
            max_score=None,
            rank=None,
        )
    rule = db.session.get(SelectionRule, application.activity_id)
    return PublishedResult(
        application_id=application.id,
        passed=outcome.passed,
        published_at=outcome.published_at,
        score=outcome.score,
        max_score=outcome.max_score,
        rank=outcome.rank,
        categories=_category_results(outcome, rule),
        method=rule.method if rule else None,
        threshold=rule.threshold if rule else None,
        quota=rule.quota if rule else None,
    )


def _category_results(
    outcome: SelectionOutcome, rule: SelectionRule | None
) -> tuple[CategoryResult, ...]:
    parts = outcome.category_scores or {}
    minimums = (rule.category_minimums or {}) if rule else {}
    names = dict(
        db.session.execute(
            db.select(Category.slug, Category.name).where(Category.slug.in_(list(parts)))
        ).all()
    )
    return tuple(
        CategoryResult(
            slug=slug,
            name=names.get(slug, slug),
            score=Decimal(part["score"]),
            max_score=Decimal(part["max"]),
            minimum=Decimal(minimums[slug]) if slug in minimums else None,
        )
        for slug, part in parts.items()
    )


@dataclass(frozen=True)
class MyResult:
    """The candidate's result page, also printed: who, for what, and the result."""

    application: Application
    result: PublishedResult | None
    full_name: str
    masked_nik: str


def my_result(user: User, application_id: int) -> MyResult:
    """The candidate's own application and its result (None until published)."""
    application = candidate_application(user, application_id)
    profile = db.session.get(Profile, user.id)
    return MyResult(
        application=application,
        result=published_result(application),
        full_name=(profile.full_name if profile else None) or user.full_name,
        masked_nik=mask_nik(profile.nik if profile and profile.nik else ""),
    )


# --- human review ---------------------------------------------------------------------------


def request_review(user: User, application_id: int, reason: str) -> ReviewRequest:
    """A candidate objects to the automated outcome and asks a person to review it."""
    application = candidate_application(user, application_id)
    if published_result(application) is None:
        raise Conflict(
            _("Peninjauan dapat diminta setelah hasil akhir diumumkan."), code="not_published"
        )
    reason = (reason or "").strip()
    low, high = REVIEW_REASON_RANGE
    if not low <= len(reason) <= high:
        message = _("Alasan harus %(low)d sampai %(high)d karakter.", low=low, high=high)
        raise Invalid(message, details={"reason": message})
    review = ReviewRequest(application_id=application.id, user_id=user.id, reason=reason)
    try:
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        raise Conflict(
            _("Permintaan peninjauan untuk lamaran ini sudah dikirim."), code="review_exists"
        ) from None
    record(user.id, "review_requested", "application", application.id)
    return review


def my_review(user: User, application_id: int) -> ReviewRequest | None:
    application = candidate_application(user, application_id)
    return db.session.scalar(
        db.select(ReviewRequest).where(ReviewRequest.application_id == application.id)
    )


@dataclass(frozen=True)
class ReviewRow:
    review: ReviewRequest
    full_name: str
    masked_nik: str
    outcome: SelectionOutcome | None


def reviews_for_admin(admin: User, activity_id: int) -> list[ReviewRow]:
    activity = activity_for_admin(admin, activity_id)
    rows = db.session.execute(
        db.select(ReviewRequest, User.full_name, Profile.full_name, Profile.nik, SelectionOutcome)
        .join(Application, Application.id == ReviewRequest.application_id)
        .join(User, User.id == ReviewRequest.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(SelectionOutcome, SelectionOutcome.application_id == Application.id)
        .where(Application.activity_id == activity.id)
        .order_by(ReviewRequest.answered_at.is_not(None), ReviewRequest.created_at)
    ).all()
    return [
        ReviewRow(review, legal_name or name, mask_nik(nik or ""), outcome)
        for review, name, legal_name, nik, outcome in rows
    ]


def answer_review(admin: User, review_id: int, answer: str) -> ReviewRequest:
    review = db.session.scalar(
        db.select(ReviewRequest)
        .join(Application, Application.id == ReviewRequest.application_id)
        .join(Activity, Activity.id == Application.activity_id)
        .where(ReviewRequest.id == review_id, Activity.office_id == office_of(admin))
        .with_for_update(of=ReviewRequest)
    )
    if review is None:
        raise NotFound(_("Permintaan peninjauan tidak ditemukan."))
    if review.answered_at is not None:
        raise Conflict(_("Permintaan ini sudah dijawab."), code="review_answered")
    answer = (answer or "").strip()
    if not answer or len(answer) > MAX_ANSWER_LENGTH:
        message = _("Jawaban wajib diisi, paling panjang %(n)d karakter.", n=MAX_ANSWER_LENGTH)
        raise Invalid(message, details={"answer": message})
    review.answer = answer
    review.answered_by_id = admin.id
    review.answered_at = utcnow()
    db.session.flush()
    record(admin.id, "review_answered", "application", review.application_id, review_id=review.id)
    return review


# --- the public announcement ------------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncedCandidate:
    number: int
    full_name: str
    masked_nik: str


@dataclass(frozen=True)
class Announcement:
    activity: Activity
    # None until published: then the page only says when it will be.
    published_at: datetime | None
    passed: list[AnnouncedCandidate]


def announcement(activity_id: int) -> Announcement:
    """The public list of those who passed (names and masked NIKs, by name), once published."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("Pengumuman tidak ditemukan."))
    rule = db.session.get(SelectionRule, activity_id)
    if rule is None or rule.published_at is None:
        return Announcement(activity, None, [])
    rows = db.session.execute(
        db.select(User.full_name, Profile.full_name, Profile.nik)
        .select_from(SelectionOutcome)
        .join(Application, Application.id == SelectionOutcome.application_id)
        .join(User, User.id == Application.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(SelectionOutcome.activity_id == activity_id, SelectionOutcome.passed.is_(True))
    ).all()
    people = sorted(((legal or name, mask_nik(nik or "")) for name, legal, nik in rows))
    return Announcement(
        activity,
        rule.published_at,
        [AnnouncedCandidate(n, name, nik) for n, (name, nik) in enumerate(people, start=1)],
    )
