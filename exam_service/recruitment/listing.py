"""The administrative selection at scale: the filtered, sorted, paged list of an
office's applications, bulk decisions and the export.

An office handles hundreds to a few thousand applications. The list is built
in two queries, never one per application:

1. a query of the whole filtered set (the application, profile, activity and
   office rows, and whether all documents are uploaded, counted in SQL),
   filtered and sorted in SQL where the columns are stored; the eligibility
   rules (service.eligibility, the one home of them) run on each row, and the
   filters and sorts on what they compute (age, domicile, hard rules, the
   preferences) are applied to the resulting light rows;
2. the full rows of the one page shown (or of a chunk, for the export).

Bulk decisions go through `service.decide` one application at a time (each is
audited and tells the candidate), in one transaction, each in a savepoint: a
refused decision (e.g. the candidate booked a session) is reported for that
application and the rest go on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func
from sqlalchemy.orm import joinedload

from ..accounts.models import Document, DocumentKind, Office, Profile, User
from ..accounts.offices import office_of, office_zone
from ..core.audit import record
from ..core.errors import ServiceError
from ..core.extensions import db
from ..core.formatting import number_text
from ..core.privacy import mask_nik
from ..core.spreadsheets import csv_bytes, local_cell, xlsx_bytes, zoned_title
from . import declarations, service
from .models import Activity, Application, ApplicationStatus

PAGE_SIZE = 50
DEFAULT_SORT = "submitted"
# Sort keys of the list: the column, oldest/A-Z first; "-" in front reverses.
SORT_LABELS = {
    "submitted": _l("Waktu kirim (terlama dahulu)"),
    "-submitted": _l("Waktu kirim (terbaru dahulu)"),
    "name": _l("Nama (A-Z)"),
    "-name": _l("Nama (Z-A)"),
    "status": _l("Status"),
    "preferences": _l("Preferensi terpenuhi (terbanyak dahulu)"),
    "age": _l("Usia (termuda dahulu)"),
    "-age": _l("Usia (tertua dahulu)"),
}
# Sorts by what the rules compute, done on the light rows after the query's order.
_COMPUTED_SORTS = {
    "preferences": lambda light: -len(light.preferences),
    "age": lambda light: light.age,
    "-age": lambda light: -light.age,
}
SORTS = tuple(SORT_LABELS)
_STATUS_ORDER = {status.value: rank for rank, status in enumerate(ApplicationStatus)}
# Ids per IN (...) when loading full rows (well below every database's limit).
_CHUNK = 500

# Audit action: an export with the full NIKs.
EXPORT_FULL_NIK = "export_full_nik"

# Why a bulk decision skipped an application (the key) and what the admin reads.
SKIP_LABELS = {
    "already_accepted": _l("sudah diterima"),
    "already_rejected": _l("sudah ditolak"),
    "final": _l("hasil akhir sudah ditetapkan"),
    "not_eligible": _l("tidak memenuhi syarat atau dokumen belum lengkap"),
    "decision_locked": _l("sudah memilih sesi"),
    "refused": _l("ditolak sistem"),
}


# --- the light rows of the whole filtered set -----------------------------------


@dataclass(frozen=True)
class Light:
    """One application of the filtered set, with what the computed rules say of it."""

    application_id: int
    status: str
    age: int
    in_region: bool
    meets_hard_rules: bool
    documents_complete: bool
    nik_flagged: bool
    paper_received: bool
    # The preferences met (keys of service.PREFERENCE_FILTERS).
    preferences: frozenset[str]

    @property
    def eligible(self) -> bool:
        """Meets the hard rules and has every document: a bulk acceptance takes it."""
        return self.meets_hard_rules and self.documents_complete


def _documents_count() -> Any:
    """Per user, how many of the document kinds are uploaded (one grouped subquery)."""
    return (
        db.select(
            Document.user_id.label("user_id"),
            func.count(func.distinct(Document.kind)).label("kinds"),
        )
        .where(Document.kind.in_([k.value for k in DocumentKind]))
        .group_by(Document.user_id)
        .subquery()
    )


def _order(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "name":
        column = func.lower(Profile.full_name)
    elif key == "status":
        column = case(_STATUS_ORDER, value=Application.status, else_=len(_STATUS_ORDER))
    else:
        column = Application.submitted_at
    first = column.desc() if descending else column.asc()
    tie = Application.id.desc() if descending else Application.id.asc()
    return [first, tie]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def light_rows(
    admin: User,
    filters: service.ApplicationFilters,
    sort: str = DEFAULT_SORT,
    only_ids: Iterable[int] | None = None,
) -> list[Light]:
    """The office's applications matching `filters` (and among `only_ids` if
    given), in the order of `sort`: one query. Filters on stored columns are
    SQL; those on what the eligibility rules compute are applied to its rows."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    documents = _documents_count()
    complete = func.coalesce(documents.c.kinds, 0) == len(DocumentKind)
    query = (
        db.select(Application, Profile, Activity, Office, complete.label("complete"))
        .join(Activity, Activity.id == Application.activity_id)
        .join(Office, Office.id == Activity.office_id)
        .join(Profile, Profile.user_id == Application.user_id)
        .outerjoin(documents, documents.c.user_id == Application.user_id)
        .where(Activity.office_id == office_of(admin))
        .order_by(*_order(sort if sort not in _COMPUTED_SORTS else DEFAULT_SORT))
    )
    if only_ids is not None:
        query = query.where(Application.id.in_(list(only_ids)))
    if filters.activity_id is not None:
        query = query.where(Application.activity_id == filters.activity_id)
    if filters.status is not None:
        query = query.where(Application.status == filters.status)
    if filters.education is not None:
        query = query.where(Profile.education == filters.education)
    if filters.documents_complete is not None:
        query = query.where(complete if filters.documents_complete else ~complete)
    if filters.paper_received is not None:
        received = Application.paper_documents_received_at.is_not(None)
        query = query.where(received if filters.paper_received else ~received)
    if filters.q and filters.q.strip():
        query = query.where(Profile.full_name.ilike(_like_pattern(filters.q.strip()), escape="\\"))
    rows = [
        light
        for application, profile, activity, office, done in db.session.execute(query)
        if _accepts(filters, light := _light(application, profile, activity, office, done))
    ]
    if sort in _COMPUTED_SORTS:
        rows.sort(key=_COMPUTED_SORTS[sort])  # stable: ties keep the submission order
    return rows


def _light(
    application: Application, profile: Profile, activity: Activity, office: Office, done: bool
) -> Light:
    checked = service.eligibility(
        profile,
        activity,
        office,
        service.submitted_on(application, office),
        declarations.answers_of(application),
    )
    return Light(
        application_id=application.id,
        status=str(application.status),
        age=checked.age,
        in_region=checked.in_region,
        meets_hard_rules=checked.meets_hard_rules,
        documents_complete=bool(done),
        nik_flagged=bool(checked.nik_flags),
        paper_received=application.paper_documents_received_at is not None,
        preferences=frozenset(c.rule for c in checked.checks if not c.hard and c.ok),
    )


def _accepts(filters: service.ApplicationFilters, light: Light) -> bool:
    return (
        (filters.min_age is None or light.age >= filters.min_age)
        and (filters.max_age is None or light.age <= filters.max_age)
        and (filters.in_region is None or light.in_region == filters.in_region)
        and (filters.nik_flagged is None or light.nik_flagged == filters.nik_flagged)
        and (filters.eligible is None or light.meets_hard_rules == filters.eligible)
        and set(filters.meets) <= light.preferences
    )


def full_rows(application_ids: Sequence[int], complete: dict[int, bool]) -> list[Any]:
    """The rows of `application_ids`, in that order (a query per 500 ids)."""
    found: dict[int, service.ApplicationRow] = {}
    for start in range(0, len(application_ids), _CHUNK):
        chunk = list(application_ids[start : start + _CHUNK])
        query = (
            db.select(Application, Profile)
            .join(Profile, Profile.user_id == Application.user_id)
            .where(Application.id.in_(chunk))
            .options(joinedload(Application.activity).joinedload(Activity.office))
        )
        for application, profile in db.session.execute(query):
            found[application.id] = service.ApplicationRow(
                application,
                profile,
                service.eligibility_of(application, profile),
                complete.get(application.id),
            )
    return [found[i] for i in application_ids if i in found]


# --- the page -------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingPage:
    rows: list[Any]  # service.ApplicationRow of this page
    total: int
    page: int
    pages: int
    page_size: int
    # Of the whole filtered set: how many a bulk acceptance would take.
    eligible: int

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.total else 0

    @property
    def last_number(self) -> int:
        return min(self.page * self.page_size, self.total)


def list_page(
    admin: User,
    filters: service.ApplicationFilters,
    sort: str = DEFAULT_SORT,
    page: int | None = 1,
    page_size: int = PAGE_SIZE,
) -> ListingPage:
    """One page of the filtered list (`page` None: every row on one page); a page
    past the end shows the last one."""
    lights = light_rows(admin, filters, sort)
    total = len(lights)
    eligible = sum(1 for light in lights if light.eligible)
    if page is None:
        chosen, page, pages, page_size = lights, 1, 1, max(total, 1)
    else:
        pages = max(1, math.ceil(total / page_size))
        page = min(max(page, 1), pages)
        chosen = lights[(page - 1) * page_size : page * page_size]
    complete = {light.application_id: light.documents_complete for light in chosen}
    rows = full_rows([light.application_id for light in chosen], complete)
    return ListingPage(rows, total, page, pages, page_size, eligible)


# --- bulk decisions -----------------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    application_id: int
    reason: str  # a key of SKIP_LABELS
    message: str


@dataclass
class BulkPlan:
    """What a bulk decision would do: the applications it decides and those it skips."""

    decision: str
    to_decide: list[int] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class BulkResult:
    decision: str
    decided: list[int] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        """ "480 diterima, 20 dilewati: sudah memilih sesi"."""
        verb = _("diterima") if self.decision == ApplicationStatus.ACCEPTED else _("ditolak")
        text = f"{number_text(len(self.decided))} {verb}"
        if self.skipped:
            reasons = Counter(s.reason for s in self.skipped)
            parts = [
                f"{number_text(n)} {SKIP_LABELS[reason]}"
                if len(reasons) > 1
                else str(SKIP_LABELS[reason])
                for reason, n in reasons.most_common()
            ]
            text += _(
                ", %(n)s dilewati: %(why)s", n=number_text(len(self.skipped)), why=", ".join(parts)
            )
        return text


def _skip(application_id: int, reason: str) -> Skipped:
    return Skipped(application_id, reason, str(SKIP_LABELS[reason]))


def plan_bulk(
    admin: User,
    decision: str,
    filters: service.ApplicationFilters,
    application_ids: Iterable[int] | None = None,
) -> BulkPlan:
    """The applications of the filtered set (narrowed to `application_ids` if given)
    that the decision takes: an acceptance takes only those that meet the hard
    rules with every document; neither re-decides an application that already
    has the decision or a final result. On the whole filtered list (nothing
    ticked) it overturns no earlier decision unless the filter asks for that
    status: "accept all" never silently accepts the rejected ones."""
    status = service.decision_status(decision)
    ids = None if application_ids is None else set(application_ids)
    plan = BulkPlan(status.value)
    for light in light_rows(admin, filters, DEFAULT_SORT, ids):
        decided_before = light.status in service.DECISIONS
        if light.status in service.FINAL_STATUSES:
            plan.skipped.append(_skip(light.application_id, "final"))
        elif light.status == status or (
            decided_before and ids is None and filters.status != light.status
        ):
            plan.skipped.append(_skip(light.application_id, f"already_{light.status}"))
        elif status is ApplicationStatus.ACCEPTED and not light.eligible:
            plan.skipped.append(_skip(light.application_id, "not_eligible"))
        else:
            plan.to_decide.append(light.application_id)
    return plan


def bulk_decide(
    admin: User,
    decision: str,
    reason: str | None,
    filters: service.ApplicationFilters,
    application_ids: Iterable[int] | None = None,
) -> BulkResult:
    """Decide the planned applications in the caller's transaction, each in a
    savepoint through `service.decide`; refusals are reported per application."""
    service.checked_decision(decision, reason)
    plan = plan_bulk(admin, decision, filters, application_ids)
    result = BulkResult(plan.decision, skipped=list(plan.skipped))
    for application_id in plan.to_decide:
        try:
            with db.session.begin_nested():
                service.decide(admin, application_id, decision, reason)
        except ServiceError as error:
            reason_key = error.code if error.code in SKIP_LABELS else "refused"
            result.skipped.append(_skip(application_id, reason_key))
        else:
            result.decided.append(application_id)
    return result


@dataclass
class PaperResult:
    marked: list[int] = field(default_factory=list)
    # Already marked so (nothing changed).
    unchanged: list[int] = field(default_factory=list)

    def summary(self) -> str:
        text = _("%(n)s lamaran ditandai berkas fisiknya diterima", n=number_text(len(self.marked)))
        if self.unchanged:
            text += _(", %(n)s sudah ditandai sebelumnya", n=number_text(len(self.unchanged)))
        return text


def bulk_mark_paper(admin: User, application_ids: Iterable[int]) -> PaperResult:
    """Mark the printed documents of the office's `application_ids` received, each
    audited like a single mark; ids of other offices are not found and left out."""
    result = PaperResult()
    office_ids = [
        light.application_id
        for light in light_rows(
            admin, service.ApplicationFilters(), DEFAULT_SORT, set(application_ids)
        )
    ]
    for application_id in office_ids:
        if service.mark_paper_documents(admin, application_id, received=True):
            result.marked.append(application_id)
        else:
            result.unchanged.append(application_id)
    return result


# --- the export -----------------------------------------------------------------------


Cell = str | int | None


@dataclass(frozen=True)
class ExportTable:
    header: list[str]
    rows: list[list[Cell]]


def export_table(
    admin: User,
    filters: service.ApplicationFilters,
    sort: str = DEFAULT_SORT,
    full_nik: bool = False,
) -> ExportTable:
    """The filtered list as a table; NIKs masked unless `full_nik` (audited)."""
    lights = light_rows(admin, filters, sort)
    complete = {light.application_id: light.documents_complete for light in lights}
    rows = full_rows([light.application_id for light in lights], complete)
    if full_nik:
        record(
            admin.id,
            EXPORT_FULL_NIK,
            "office",
            office_of(admin),
            count=len(rows),
            application_ids=[row.application.id for row in rows],
        )
    yes, no = _("Ya"), _("Tidak")
    zone = office_zone(admin)
    header = [
        _("Nama"),
        _("NIK"),
        _("Kegiatan"),
        _("Pendidikan"),
        _("Usia"),
        _("Memenuhi syarat"),
        _("Dokumen lengkap"),
        _("Domisili di wilayah"),
        _("NIK bertanda"),
        *(str(d.short) for d in declarations.DECLARATIONS),
        _("Preferensi terpenuhi"),
        _("Berkas fisik diterima"),
        _("Status"),
        zoned_title(_("Dikirim"), zone),
    ]
    table = [
        [
            row.profile.full_name,
            row.profile.nik if full_nik else mask_nik(row.profile.nik),
            row.application.activity.name,
            str(row.profile.education),
            row.eligibility.age,
            yes if row.eligibility.meets_hard_rules else no,
            yes if row.documents_complete else no,
            yes if row.eligibility.in_region else no,
            yes if row.eligibility.nik_flags else no,
            *(
                _yes_no(answer, yes, no)
                for answer in declarations.answers_of(row.application).values()
            ),
            row.eligibility.preferences_met,
            yes if row.application.paper_documents_received_at else no,
            row.status_label,
            local_cell(row.application.submitted_at, zone),
        ]
        for row in rows
    ]
    return ExportTable(header, table)


def _yes_no(answer: bool | None, yes: str, no: str) -> str:
    return "-" if answer is None else yes if answer else no


def to_csv(table: ExportTable) -> bytes:
    return csv_bytes(table.header, table.rows)


def to_xlsx(table: ExportTable) -> bytes:
    return xlsx_bytes(_("Lamaran"), table.header, table.rows)
