"""Imports every domain's models, so that SQLAlchemy and Alembic know all tables."""

from .accounts import models as accounts_models
from .authoring import models as authoring_models
from .core.audit import AuditEvent
from .core.mail import OutgoingMail
from .exam import models as exam_models
from .feeds import models as feeds_models
from .notifications import models as notifications_models
from .recruitment import models as recruitment_models
from .scheduling import models as scheduling_models
from .selection import models as selection_models

__all__ = [
    "AuditEvent",
    "OutgoingMail",
    "accounts_models",
    "authoring_models",
    "exam_models",
    "feeds_models",
    "notifications_models",
    "recruitment_models",
    "scheduling_models",
    "selection_models",
]
