"""Which office an admin acts for: the root of invariant 8 (an admin sees only their office).

Every domain scopes its admin queries with `office_of`; the activity, session and
attempt guards built on it (`recruitment.service.activity_for_admin`,
`scheduling.service.session_for_admin`, `exam.supervision`) answer NotFound for
another office's records, so their existence is not revealed.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..core.errors import Forbidden
from .models import User


def office_of(admin: User) -> int:
    """The admin's office id; Forbidden for an admin account not linked to an office."""
    if admin.office_id is None:
        raise Forbidden(_("Akun admin ini belum terhubung ke kantor mana pun."))
    return admin.office_id


def office_zone(admin: User) -> ZoneInfo:
    """The zone the admin's office shows and enters times in (Forbidden without an office)."""
    office_of(admin)
    assert admin.office is not None
    return admin.office.zone
