"""Retention of candidates' documents (UU 27/2022): purge them once no longer needed.

An activity's documents may go DOCUMENT_RETENTION_DAYS after its final
announcement, i.e. when its selection was published (the review of an
outcome happens in that period). Documents belong to a user, not to an
application: one scan of a KTP serves every activity the person applies to.
So an applicant's documents are deleted only when the retention period of
every activity they applied to is over; anyone still taking part in another
activity (or inside its retention period) keeps them.

Rows are deleted in the caller's transaction and the files removed only after
it commits, so the upload folder always matches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..accounts.documents import stored_path
from ..accounts.models import Document
from ..core.audit import record
from ..core.clock import format_local, utcnow
from ..core.database import after_commit
from ..core.errors import Conflict, NotFound
from ..core.extensions import db
from ..recruitment.models import Activity, Application
from ..selection.models import SelectionRule

PURGED = "documents_purged"


class RetentionNotOver(Conflict):
    code = "retention_not_over"


@dataclass(frozen=True)
class PurgeReport:
    """Counts only: never who, so the report can be printed and audited as it is."""

    applicants: int
    # Applicants whose documents another activity still needs.
    kept_applicants: int
    # Documents deleted (or, on a dry run, that would be).
    documents: int
    dry_run: bool


def retention_days() -> int:
    return current_app.config["DOCUMENT_RETENTION_DAYS"]


def purge_documents(
    activity_id: int, *, dry_run: bool = False, now: datetime | None = None
) -> PurgeReport:
    """Delete the documents of the activity's applicants once its retention period is over."""
    now = now or utcnow()
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("Kegiatan tidak ditemukan."))
    _require_retention_over(activity, now)
    applicants = set(
        db.session.scalars(
            select(Application.user_id).where(Application.activity_id == activity_id)
        )
    )
    kept = _still_needed(applicants, now)
    purged = applicants - kept
    rows = list(db.session.scalars(select(Document).where(Document.user_id.in_(purged))))
    report = PurgeReport(len(applicants), len(kept), len(rows), dry_run)
    if not dry_run:
        _delete(rows)
        record(
            None,
            PURGED,
            "activity",
            activity_id,
            documents=report.documents,
            applicants=report.applicants,
            kept_applicants=report.kept_applicants,
            retention_days=retention_days(),
        )
    return report


def _require_retention_over(activity: Activity, now: datetime) -> None:
    announced = db.session.scalar(
        select(SelectionRule.published_at).where(SelectionRule.activity_id == activity.id)
    )
    if announced is None:
        raise RetentionNotOver(
            _("Hasil akhir kegiatan ini belum diumumkan; dokumen pelamar masih disimpan.")
        )
    ends_at = announced + timedelta(days=retention_days())
    if now < ends_at:
        raise RetentionNotOver(
            _(
                "Masa simpan dokumen kegiatan ini (%(days)d hari setelah pengumuman) "
                "baru berakhir %(at)s.",
                days=retention_days(),
                at=format_local(ends_at, activity.office.zone),
            )
        )


def _still_needed(user_ids: set[int], now: datetime) -> set[int]:
    """Those of `user_ids` who applied to an activity whose retention period is not over."""
    if not user_ids:
        return set()
    over_before = now - timedelta(days=retention_days())
    rows = db.session.execute(
        select(Application.user_id, SelectionRule.published_at)
        .outerjoin(SelectionRule, SelectionRule.activity_id == Application.activity_id)
        .where(Application.user_id.in_(user_ids))
    )
    return {user_id for user_id, announced in rows if announced is None or announced > over_before}


def _delete(rows: list[Document]) -> None:
    if not rows:
        return
    paths = [path for row in rows if (path := stored_path(row.storage_name)) is not None]
    db.session.execute(delete(Document).where(Document.id.in_([row.id for row in rows])))

    def remove_files() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    after_commit(remove_files)
