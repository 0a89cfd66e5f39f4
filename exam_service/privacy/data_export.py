"""A candidate's copy of their own personal data (UU 27/2022: the right of access).

Everything is gathered through the owning domains' services, with the same
rules as the candidate's own pages: a final result (and a score, where the
activity shows scores) only once published, documents as a list without their
bytes (each one is downloadable on its own). The export itself is audited,
without any of its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..accounts import documents, profiles, service
from ..accounts.models import ConsentRecord, Document, Profile, User
from ..core.audit import record
from ..core.clock import utcnow
from ..exam import service as exam
from ..journey import service as journey
from ..selection import service as selection
from ..selection.models import ReviewRequest

EXPORTED = "personal_data_exported"


@dataclass(frozen=True)
class ExportedApplication:
    mine: journey.MyApplication
    test_finished_at: datetime | None
    result: selection.PublishedResult | None
    review: ReviewRequest | None


@dataclass(frozen=True)
class PersonalData:
    exported_at: datetime
    user: User
    consents: list[ConsentRecord]
    profile: Profile | None
    documents: list[Document]
    applications: list[ExportedApplication]


def export_own_data(user: User) -> PersonalData:
    """All the data the service holds about `user`, for `user`; records that it was taken."""
    data = PersonalData(
        exported_at=utcnow(),
        user=user,
        consents=service.consent_records(user.id),
        profile=profiles.get_profile(user.id),
        documents=documents.list_documents(user.id),
        applications=[_application(user, mine) for mine in journey.my_applications(user)],
    )
    record(user.id, EXPORTED, "user", user.id)
    return data


def _application(user: User, mine: journey.MyApplication) -> ExportedApplication:
    application = mine.application
    return ExportedApplication(
        mine=mine,
        test_finished_at=exam.finished_at(mine.booking.id) if mine.booking else None,
        result=selection.published_result(application),
        review=selection.my_review(user, application.id),
    )
