"""Recruitment rules: activities, applications and the administrative selection.

Admins are scoped to their office: every lookup of an activity or an
application filters on the admin's office, and another office's object is
answered as "not found", so ids of other offices reveal nothing. Candidates
reach only their own applications, the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from question_bank import Blueprint, BlueprintError, Difficulty

from ..accounts import documents
from ..accounts.models import DocumentKind, Education, Office, Profile, User
from ..accounts.nik import BIRTH_DATE_MISMATCH, GENDER_MISMATCH
from ..accounts.offices import office_of
from ..accounts.profiles import EDUCATION_LABELS, missing_for_application
from ..core.audit import AuditEvent, record
from ..core.bank_problems import problem_text
from ..core.clock import to_local, utcnow
from ..core.errors import Conflict, Invalid, NotFound
from ..core.extensions import db
from ..core.privacy import mask_nik
from . import declarations, signals
from .models import Activity, Application, ApplicationStatus

DEFAULT_QUESTION_COUNT = 30
QUESTION_COUNT_RANGE = (1, 200)
DEFAULT_DURATION_SECONDS = 3600
# Seconds, not minutes: tests (and rehearsals) run exams of a few seconds.
DURATION_RANGE = (1, 4 * 3600)
# The activity's columns that shape a candidate's form: frozen once forms are drawn.
FORM_SHAPE_COLUMNS = frozenset({"blueprint", "test_question_count"})
AGE_RANGE = (0, 120)
MAX_REASON_LENGTH = 2000
DIFFICULTIES = tuple(d.value for d in Difficulty)

DECISIONS = (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED)
FINAL_STATUSES = (ApplicationStatus.PASSED, ApplicationStatus.NOT_PASSED)

STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Menunggu seleksi administrasi"),
    # The announcement's own words.
    ApplicationStatus.ACCEPTED: _l("Diterima"),
    ApplicationStatus.REJECTED: _l("Tidak diterima"),
    ApplicationStatus.PASSED: _l("Lulus"),
    ApplicationStatus.NOT_PASSED: _l("Tidak lulus"),
}

NIK_FLAG_LABELS = {
    BIRTH_DATE_MISMATCH: _l("Tanggal lahir pada NIK berbeda dengan tanggal lahir yang diisi."),
    GENDER_MISMATCH: _l("Jenis kelamin pada NIK berbeda dengan jenis kelamin yang diisi."),
}

# Audit actions of this domain.
VIEW_PERSONAL_DATA = "view_personal_data"
DOWNLOAD_DOCUMENT = "download_document"
DECISION = "application_decision"
PAPER_DOCUMENTS = "paper_documents"

AUDIT_LABELS = {
    VIEW_PERSONAL_DATA: _l("Melihat data pribadi (NIK, dokumen)"),
    DOWNLOAD_DOCUMENT: _l("Mengunduh dokumen"),
    DECISION: _l("Keputusan"),
    PAPER_DOCUMENTS: _l("Berkas fisik"),
}


# --- activities ---------------------------------------------------------------


@dataclass
class ActivityData:
    """What an admin enters for an activity (times aware, in UTC or any zone)."""

    name: str
    registration_opens_at: datetime
    registration_closes_at: datetime
    booking_opens_at: datetime
    booking_closes_at: datetime
    announcement_at: datetime | None = None
    test_question_count: int = DEFAULT_QUESTION_COUNT
    test_duration_seconds: int = DEFAULT_DURATION_SECONDS
    # {"categories": {slug: count}, "difficulty_mix": {"easy": 0.3, ...} | None}
    blueprint: dict[str, Any] | None = None
    min_education: Education = Education.SMA
    preferred_min_age: int = 18
    preferred_max_age: int = 50
    show_score_to_candidates: bool = False
    decision_deadline_at: datetime | None = None
    paper_documents_due_at: datetime | None = None


@dataclass(frozen=True)
class ActivityOverview:
    activity: Activity
    # Number of applications per status (every status present, zeros included).
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def create_activity(admin: User, data: ActivityData) -> Activity:
    """A new activity of the admin's own office."""
    office_id = office_of(admin)
    columns = _validated_columns(data)
    activity = Activity(office_id=office_id, **columns)
    db.session.add(activity)
    db.session.flush()
    record(admin.id, "activity_created", "activity", activity.id)
    return activity


def update_activity(admin: User, activity_id: int, data: ActivityData) -> Activity:
    activity = activity_for_admin(admin, activity_id)
    columns = _validated_columns(data)
    changed = sorted(k for k, v in columns.items() if getattr(activity, k) != v)
    if FORM_SHAPE_COLUMNS & set(changed):
        signals.form_shape_changing.send(activity)
    for key, value in columns.items():
        setattr(activity, key, value)
    db.session.flush()
    record(admin.id, "activity_updated", "activity", activity.id, fields=changed)
    return activity


def activity_for_admin(admin: User, activity_id: int) -> Activity:
    activity = db.session.scalar(
        db.select(Activity).where(
            Activity.id == activity_id, Activity.office_id == office_of(admin)
        )
    )
    if activity is None:
        raise NotFound(_("Kegiatan tidak ditemukan."))
    return activity


def list_activities_for_admin(admin: User) -> list[ActivityOverview]:
    activities = db.session.scalars(
        db.select(Activity)
        .where(Activity.office_id == office_of(admin))
        .order_by(Activity.registration_opens_at.desc(), Activity.id.desc())
    ).all()
    counts = _application_counts([a.id for a in activities])
    return [ActivityOverview(a, counts[a.id]) for a in activities]


def overview_of(activity: Activity) -> ActivityOverview:
    return ActivityOverview(activity, _application_counts([activity.id])[activity.id])


def open_activities(now: datetime | None = None) -> list[Activity]:
    """Activities whose registration window is open now (opens inclusive, closes exclusive)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            db.select(Activity)
            .where(Activity.registration_opens_at <= now, Activity.registration_closes_at > now)
            .order_by(Activity.registration_closes_at, Activity.id)
        )
    )


def _application_counts(activity_ids: list[int]) -> dict[int, dict[str, int]]:
    counts = {a: {s.value: 0 for s in ApplicationStatus} for a in activity_ids}
    if not activity_ids:
        return counts
    rows = db.session.execute(
        db.select(Application.activity_id, Application.status, func.count())
        .where(Application.activity_id.in_(activity_ids))
        .group_by(Application.activity_id, Application.status)
    )
    for activity_id, status, count in rows:
        counts[activity_id][str(status)] = count
    return counts


def _validated_columns(data: ActivityData) -> dict[str, Any]:
    """The activity's columns, or `Invalid` with every broken rule at once."""
    errors = {**_window_errors(data), **_test_errors(data), **_selection_errors(data)}
    if errors:
        raise Invalid(_("Data kegiatan tidak valid."), details=errors)
    columns = asdict(data)
    columns["name"] = data.name.strip()
    columns["min_education"] = Education(data.min_education)
    columns["blueprint"] = _normalized_blueprint(data.blueprint)
    return columns


def _window_errors(data: ActivityData) -> dict[str, str]:
    errors = {}
    if not data.name or not data.name.strip():
        errors["name"] = _("Nama kegiatan wajib diisi.")
    elif len(data.name.strip()) > 200:
        errors["name"] = _("Nama kegiatan paling panjang 200 karakter.")
    if data.registration_opens_at >= data.registration_closes_at:
        errors["registration_closes_at"] = _("Pendaftaran harus ditutup setelah dibuka.")
    if data.booking_opens_at < data.registration_closes_at:
        errors["booking_opens_at"] = _(
            "Pemilihan sesi dibuka paling cepat saat pendaftaran ditutup."
        )
    if data.booking_opens_at >= data.booking_closes_at:
        errors["booking_closes_at"] = _("Pemilihan sesi harus ditutup setelah dibuka.")
    if data.announcement_at is not None and data.announcement_at <= data.booking_closes_at:
        errors["announcement_at"] = _("Pengumuman harus setelah pemilihan sesi ditutup.")
    deadline = data.decision_deadline_at
    if deadline is not None and not (
        data.registration_closes_at <= deadline <= data.booking_closes_at
    ):
        errors["decision_deadline_at"] = _(
            "Batas seleksi administrasi harus antara penutupan pendaftaran dan penutupan "
            "pemilihan sesi."
        )
    due = data.paper_documents_due_at
    if due is not None and due <= data.registration_opens_at:
        errors["paper_documents_due_at"] = _(
            "Batas penyerahan berkas fisik harus setelah pendaftaran dibuka."
        )
    elif due is not None and deadline is not None and due > deadline:
        errors["paper_documents_due_at"] = _(
            "Berkas fisik harus diterima paling lambat pada batas seleksi administrasi."
        )
    return errors


def _test_errors(data: ActivityData) -> dict[str, str]:
    errors = {}
    low, high = QUESTION_COUNT_RANGE
    count_ok = _is_int(data.test_question_count) and low <= data.test_question_count <= high
    if not count_ok:
        errors["test_question_count"] = _(
            "Jumlah soal harus antara %(low)d dan %(high)d.", low=low, high=high
        )
    low, high = DURATION_RANGE
    if not (_is_int(data.test_duration_seconds) and low <= data.test_duration_seconds <= high):
        errors["test_duration_seconds"] = _(
            "Durasi ujian harus antara %(low)d dan %(high)d detik.", low=low, high=high
        )
    if data.blueprint is not None and count_ok:
        problem = _blueprint_problem(data.blueprint, data.test_question_count)
        if problem:
            errors["blueprint"] = problem
    return errors


def _selection_errors(data: ActivityData) -> dict[str, str]:
    errors = {}
    if data.min_education not in set(Education):
        errors["min_education"] = _("Jenjang pendidikan tidak dikenal.")
    low, high = AGE_RANGE
    ages = (data.preferred_min_age, data.preferred_max_age)
    if not all(_is_int(age) and low <= age <= high for age in ages):
        errors["preferred_max_age"] = _(
            "Batas usia harus antara %(low)d dan %(high)d.", low=low, high=high
        )
    elif data.preferred_min_age > data.preferred_max_age:
        errors["preferred_max_age"] = _("Usia maksimal tidak boleh di bawah usia minimal.")
    return errors


def _blueprint_problem(blueprint: dict[str, Any], question_count: int) -> str | None:
    """What is wrong with a blueprint: its own rules are question_bank's, said here
    in Indonesian; the activity adds that it must have the test's question count."""
    try:
        total = Blueprint.from_dict(blueprint).total
    except BlueprintError as e:
        return problem_text(e.problem)
    if total != question_count:
        return _(
            "Jumlah soal pada kisi-kisi (%(total)d) harus sama dengan jumlah soal ujian "
            "(%(count)d).",
            total=total,
            count=question_count,
        )
    return None


def _normalized_blueprint(blueprint: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if blueprint is None else Blueprint.from_dict(blueprint).to_dict()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- candidates: applying and following the status ----------------------------


def apply(
    user: User,
    activity_id: int,
    answers: Mapping[str, bool | None] | None = None,
    now: datetime | None = None,
) -> Application:
    """Apply inside the registration window, with a complete profile and the
    activity's minimum education, once per activity.

    `answers` are the declarations (`declarations.KEYS`); one not given stays
    unanswered, which the eligibility summary shows (and an unanswered hard rule
    makes the application ineligible, like a "tidak").
    """
    activity = activity_by_id(activity_id)
    now = now or utcnow()
    if not registration_open(activity, now):
        raise Conflict(
            _("Pendaftaran kegiatan ini tidak sedang dibuka."), code="registration_closed"
        )
    _require_complete_profile(user.id)
    _require_min_education(user.id, activity)
    if own_application(user.id, activity_id) is not None:
        raise _already_applied()
    application = Application(
        activity_id=activity_id,
        user_id=user.id,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=now,
        **{key: (answers or {}).get(key) for key in declarations.KEYS},
    )
    try:
        # The unique constraint decides between two simultaneous applications.
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        raise _already_applied() from None
    return application


def activity_by_id(activity_id: int) -> Activity:
    """Any office's activity (candidates apply to any); 404 when there is none."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("Kegiatan tidak ditemukan."))
    return activity


def registration_open(activity: Activity, now: datetime | None = None) -> bool:
    """Opens inclusive, closes exclusive."""
    now = now or utcnow()
    return activity.registration_opens_at <= now < activity.registration_closes_at


def education_shortfall(user_id: int, activity: Activity) -> str | None:
    """Why the candidate's education is below the activity's minimum (None if it is not)."""
    profile = db.session.get(Profile, user_id)
    minimum = Education(activity.min_education)
    if profile is None or Education(profile.education).rank >= minimum.rank:
        return None
    return _(
        "Pendidikan minimal untuk kegiatan ini %(min)s; pendidikan Anda %(education)s.",
        min=EDUCATION_LABELS[minimum],
        education=EDUCATION_LABELS[Education(profile.education)],
    )


def _require_min_education(user_id: int, activity: Activity) -> None:
    shortfall = education_shortfall(user_id, activity)
    if shortfall is not None:
        raise Invalid(shortfall, code="education_below_minimum", details={"education": shortfall})


def _require_complete_profile(user_id: int) -> None:
    missing = missing_for_application(user_id)
    if not missing:
        return
    raise Invalid(
        _("Lengkapi dahulu: %(missing)s.", missing=", ".join(item.label for item in missing)),
        code="incomplete_profile",
        details={item.key: item.label for item in missing},
    )


def candidate_application(user: User, application_id: int) -> Application:
    """One of the candidate's own applications; anybody else's is "not found"."""
    application = db.session.scalar(
        db.select(Application).where(
            Application.id == application_id, Application.user_id == user.id
        )
    )
    if application is None:
        raise NotFound(_("Lamaran tidak ditemukan."))
    return application


def own_application(user_id: int, activity_id: int) -> Application | None:
    return db.session.scalar(
        db.select(Application).where(
            Application.user_id == user_id, Application.activity_id == activity_id
        )
    )


def _already_applied() -> Conflict:
    return Conflict(_("Anda sudah melamar pada kegiatan ini."), code="already_applied")


# --- eligibility -----------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    rule: str
    # A hard rule must be met; a preference only informs the admin's decision.
    hard: bool
    ok: bool
    message: str


@dataclass(frozen=True)
class Eligibility:
    checks: list[Check]
    age: int
    in_region: bool
    nik_flags: list[str]

    @property
    def meets_hard_rules(self) -> bool:
        return all(c.ok for c in self.checks if c.hard)

    @property
    def meets_preferences(self) -> bool:
        return all(c.ok for c in self.checks if not c.hard)

    @property
    def preferences_met(self) -> int:
        return sum(1 for c in self.checks if not c.hard and c.ok)

    @property
    def preferences_total(self) -> int:
        return sum(1 for c in self.checks if not c.hard)


def age_on(birth_date: date, day: date) -> int:
    """Completed years of life on `day`."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def eligibility(
    profile: Profile,
    activity: Activity,
    office: Office,
    on: date,
    answers: Mapping[str, bool | None] | None = None,
) -> Eligibility:
    """The selection rules of `activity` for `profile` and the declarations
    `answers`, with the age taken on `on` (the day the application was submitted,
    in the office's zone)."""
    answers = answers or {}
    education = Education(profile.education)
    minimum = Education(activity.min_education)
    age = age_on(profile.birth_date, on)
    low, high = activity.preferred_min_age, activity.preferred_max_age
    by_address = profile.regency_code == office.region_code
    by_nik = profile.nik[:4] == office.region_code
    values = {"education": education.value, "min": minimum.value}
    checks = [
        Check(
            "education",
            hard=True,
            ok=education.rank >= minimum.rank,
            message=_("Pendidikan %(education)s memenuhi syarat minimal %(min)s.", **values)
            if education.rank >= minimum.rank
            else _("Pendidikan %(education)s di bawah syarat minimal %(min)s.", **values),
        ),
        *(_declared(d, answers.get(d.key)) for d in declarations.DECLARATIONS if d.hard),
        Check(
            "age",
            hard=False,
            ok=low <= age <= high,
            message=_(
                "Usia %(age)d tahun saat mendaftar (diutamakan %(low)d-%(high)d tahun).",
                age=age,
                low=low,
                high=high,
            ),
        ),
        Check(
            "domicile", hard=False, ok=by_address or by_nik, message=_domicile(by_address, by_nik)
        ),
        *(_declared(d, answers.get(d.key)) for d in declarations.DECLARATIONS if not d.hard),
    ]
    return Eligibility(checks, age, by_address or by_nik, list(profile.nik_flags or []))


def _declared(declaration: declarations.Declaration, answer: bool | None) -> Check:
    if answer is None:
        message = _("Belum dinyatakan: %(question)s", question=declaration.question)
    else:
        message = str(declaration.met if answer else declaration.unmet)
    return Check(declaration.key, hard=declaration.hard, ok=answer is True, message=message)


def _domicile(by_address: bool, by_nik: bool) -> str:
    if by_address and by_nik:
        return _("Berdomisili di wilayah kantor (menurut alamat dan NIK).")
    if by_address:
        return _("Berdomisili di wilayah kantor menurut alamat; NIK dari wilayah lain.")
    if by_nik:
        return _("NIK dari wilayah kantor; alamat sekarang di luar wilayah.")
    return _("Berdomisili di luar wilayah kantor (menurut alamat dan NIK).")


def eligibility_of(application: Application, profile: Profile) -> Eligibility:
    activity = application.activity
    office = activity.office
    return eligibility(
        profile,
        activity,
        office,
        submitted_on(application, office),
        declarations.answers_of(application),
    )


def submitted_on(application: Application, office: Office) -> date:
    """The day of submission in the office's zone: the day the age is taken on."""
    return to_local(application.submitted_at, office.zone).date()


# --- admins: the administrative selection ----------------------------------------


@dataclass(frozen=True)
class ApplicationFilters:
    activity_id: int | None = None
    status: ApplicationStatus | None = None
    education: Education | None = None
    min_age: int | None = None
    max_age: int | None = None
    in_region: bool | None = None
    nik_flagged: bool | None = None
    # All six documents uploaded (True), or some missing (False).
    documents_complete: bool | None = None
    # Part of the name, any case.
    q: str | None = None
    # Meets every hard rule (education, not a civil servant).
    eligible: bool | None = None
    paper_received: bool | None = None
    # Preferences that must be met (keys of PREFERENCE_FILTERS).
    meets: tuple[str, ...] = ()


# The preferences an admin can require in the list: the computed two and the declared ones.
PREFERENCE_FILTERS = {
    "age": _l("Usia sesuai preferensi"),
    "domicile": _l("Domisili di wilayah kantor"),
    **{d.key: d.short for d in declarations.DECLARATIONS if not d.hard},
}


@dataclass(frozen=True)
class ApplicationRow:
    application: Application
    profile: Profile
    eligibility: Eligibility
    # Known when the row comes from `list_page` (None otherwise).
    documents_complete: bool | None = None

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.profile.nik)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[ApplicationStatus(self.application.status)])


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


def admin_document(admin: User, application_id: int, kind: str) -> documents.StoredFile:
    """One document of an applicant of the admin's office, for download (audited)."""
    application = application_for_admin(admin, application_id)
    try:
        document_kind = DocumentKind(kind)
    except ValueError:
        raise NotFound(_("Dokumen tidak ditemukan.")) from None
    stored = documents.document_file(application.user_id, document_kind)
    if stored is None:
        raise NotFound(_("Dokumen tidak ditemukan."))
    record(admin.id, DOWNLOAD_DOCUMENT, "application", application.id, kind=document_kind.value)
    return stored


def mark_paper_documents(admin: User, application_id: int, received: bool) -> bool:
    """Mark the printed documents of an application as received (or undo a mistake);
    audited. False when the mark was already so (nothing changed)."""
    application = application_for_admin(admin, application_id, for_update=True)
    if (application.paper_documents_received_at is not None) == received:
        return False
    application.paper_documents_received_at = utcnow() if received else None
    application.paper_documents_received_by_id = admin.id if received else None
    db.session.flush()
    record(admin.id, PAPER_DOCUMENTS, "application", application.id, received=received)
    return True


def decide(admin: User, application_id: int, decision: str, reason: str | None) -> Application:
    """Accept or reject. A reason is required for a rejection (a note is optional
    otherwise). The decision can be changed until the candidate has booked a
    session; then (and after the final result) it is locked."""
    status, reason = checked_decision(decision, reason)
    application = application_for_admin(admin, application_id, for_update=True)
    _require_decidable(application)
    previous = ApplicationStatus(application.status)
    application.status = status
    application.decided_at = utcnow()
    application.decided_by_id = admin.id
    application.decision_reason = reason
    db.session.flush()
    record(
        admin.id,
        DECISION,
        "application",
        application.id,
        decision=status.value,
        previous=previous.value,
        reason=reason,
    )
    signals.decided.send(application)
    return application


def checked_decision(decision: str, reason: str | None) -> tuple[ApplicationStatus, str | None]:
    """The decision's status and its trimmed reason; Invalid (422) for an unknown
    decision, a rejection without a reason, or a reason that is too long."""
    status = decision_status(decision)
    reason = (reason or "").strip() or None
    if status is ApplicationStatus.REJECTED and reason is None:
        raise Invalid(
            _("Alasan penolakan wajib diisi."), details={"reason": _("Alasan wajib diisi.")}
        )
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise Invalid(
            _("Alasan terlalu panjang."),
            details={"reason": _("Paling panjang %(n)d karakter.", n=MAX_REASON_LENGTH)},
        )
    return status, reason


def decision_status(decision: str) -> ApplicationStatus:
    if decision not in {d.value for d in DECISIONS}:
        raise Invalid(
            _("Keputusan tidak dikenal."),
            details={"decision": _("Pilih diterima atau ditolak.")},
        )
    return ApplicationStatus(decision)


def _require_decidable(application: Application) -> None:
    """Final results lock a decision here; a booking locks it too (scheduling's
    receiver of `signals.deciding` refuses)."""
    if application.status in FINAL_STATUSES:
        raise Conflict(
            _("Hasil akhir lamaran ini sudah ditetapkan; keputusan tidak dapat diubah."),
            code="decision_locked",
        )
    signals.deciding.send(application)


def application_for_admin(
    admin: User, application_id: int, for_update: bool = False
) -> Application:
    query = (
        db.select(Application)
        .join(Activity, Activity.id == Application.activity_id)
        .where(Application.id == application_id, Activity.office_id == office_of(admin))
    )
    if for_update:
        # Two admins deciding at once are serialised on the application row.
        query = query.with_for_update(of=Application)
    application = db.session.scalar(query)
    if application is None:
        raise NotFound(_("Lamaran tidak ditemukan."))
    return application


def profile_of(application: Application) -> Profile:
    profile = db.session.get(Profile, application.user_id)
    if profile is None:  # applying requires a profile; it is never deleted
        raise NotFound(_("Profil pelamar tidak ditemukan."))
    return profile


def history_of(application_id: int) -> list[HistoryEntry]:
    rows = db.session.execute(
        db.select(AuditEvent, User.full_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "application", AuditEvent.object_id == application_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        HistoryEntry(event.at, actor or "-", event.action, dict(event.details or {}))
        for event, actor in rows
    ]


# --- the test blueprint alone (question authors' editor) --------------------------


def update_blueprint(actor: User, activity_id: int, blueprint: dict[str, Any]) -> Activity:
    """Replace an activity's blueprint, validated like the activity form's.

    Refused with 409 `forms_already_drawn` once any form of the activity was
    drawn (the exam domain's receiver of `signals.form_shape_changing`): every
    candidate must get a form of the same shape. The activity row is locked, so
    two editors queue up.
    """
    activity = db.session.scalar(
        db.select(Activity).where(Activity.id == activity_id).with_for_update()
    )
    if activity is None:
        raise NotFound(_("Kegiatan tidak ditemukan."))
    signals.form_shape_changing.send(activity)
    problem = _blueprint_problem(blueprint, activity.test_question_count)
    if problem:
        raise Invalid(_("Kisi-kisi tidak valid."), details={"blueprint": problem})
    activity.blueprint = _normalized_blueprint(blueprint)
    db.session.flush()
    record(actor.id, "activity_blueprint_updated", "activity", activity.id)
    return activity
