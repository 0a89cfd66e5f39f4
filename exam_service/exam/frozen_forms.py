"""Once a form of an activity is drawn, the shape of its test is frozen.

Every candidate of an activity must get a form of the same shape (question count
and blueprint), so recruitment's changes to either are refused from the first
drawn form on: an attempt exists, started or prepared ahead.
"""

from __future__ import annotations

from flask_babel import gettext as _

from ..core.errors import Conflict
from ..core.extensions import db
from ..recruitment import signals as recruitment_signals
from ..recruitment.models import Activity
from ..scheduling.models import TestSession
from .models import Attempt


def activities_with_forms(activity_id: int | None = None) -> set[int]:
    """Activities (all, or just `activity_id`) of which a form has been drawn."""
    query = (
        db.select(TestSession.activity_id)
        .join(Attempt, Attempt.session_id == TestSession.id)
        .distinct()
    )
    if activity_id is not None:
        query = query.where(TestSession.activity_id == activity_id)
    return set(db.session.scalars(query))


def refuse_when_drawn(activity: Activity) -> None:
    """Receiver of `recruitment.signals.form_shape_changing`."""
    if activity.id in activities_with_forms(activity.id):
        raise Conflict(
            _("Soal ujian kegiatan ini sudah diundi; kisi-kisi tidak dapat diubah lagi."),
            code="forms_already_drawn",
        )


def connect_signals() -> None:
    recruitment_signals.form_shape_changing.connect(refuse_when_drawn)
