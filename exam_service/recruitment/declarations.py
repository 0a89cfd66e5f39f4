"""The announcement's declarations: what a candidate states when applying.

Each is a column of `Application` (True "ya", False "tidak", None not answered)
and one line of the eligibility summary. "Not a civil servant (ASN)" is a hard
rule: an application that does not state it is not eligible. The others are the
announcement's preferences: they inform the admin's decision, and the list of
applications filters and sorts by them. Everything that asks, shows, filters or
exports a declaration reads this table, so adding one is one row here, a column
and a migration.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from .models import Application


@dataclass(frozen=True)
class Declaration:
    key: str  # the Application column, the API field and the filter value
    # What the candidate answers "Ya" or "Tidak" to.
    question: LazyString
    # A hard rule must be "ya"; a preference only informs the decision.
    hard: bool
    # The eligibility line for "ya" and for "tidak".
    met: LazyString
    unmet: LazyString
    # A short name for filters, badges and export columns.
    short: LazyString


DECLARATIONS: tuple[Declaration, ...] = (
    Declaration(
        "not_civil_servant",
        _l("Saya bukan Aparatur Sipil Negara (ASN: PNS atau PPPK)."),
        hard=True,
        met=_l("Menyatakan bukan ASN."),
        unmet=_l("Menyatakan berstatus ASN; ASN tidak dapat menjadi mitra statistik."),
        short=_l("Bukan ASN"),
    ),
    Declaration(
        "can_use_android",
        _l("Saya dapat mengoperasikan ponsel Android."),
        hard=False,
        met=_l("Dapat mengoperasikan ponsel Android."),
        unmet=_l("Belum dapat mengoperasikan ponsel Android."),
        short=_l("Ponsel Android"),
    ),
    Declaration(
        "can_use_computer",
        _l("Saya dapat mengoperasikan komputer atau laptop."),
        hard=False,
        met=_l("Dapat mengoperasikan komputer."),
        unmet=_l("Belum dapat mengoperasikan komputer."),
        short=_l("Komputer"),
    ),
    Declaration(
        "owns_motorbike",
        _l("Saya memiliki sepeda motor yang dapat dipakai bertugas."),
        hard=False,
        met=_l("Memiliki sepeda motor."),
        unmet=_l("Tidak memiliki sepeda motor."),
        short=_l("Sepeda motor"),
    ),
    Declaration(
        "has_survey_experience",
        _l("Saya pernah menjadi petugas survei atau sensus BPS."),
        hard=False,
        met=_l("Berpengalaman dalam survei atau sensus BPS."),
        unmet=_l("Belum berpengalaman dalam survei atau sensus BPS."),
        short=_l("Pengalaman survei BPS"),
    ),
    Declaration(
        "no_other_contract",
        _l(
            "Saya tidak terikat kontrak kerja dengan instansi pemerintah lain pada periode "
            "kegiatan ini."
        ),
        hard=False,
        met=_l("Tidak terikat kontrak pemerintah lain pada periode yang sama."),
        unmet=_l("Terikat kontrak pemerintah lain pada periode yang sama."),
        short=_l("Tanpa kontrak lain"),
    ),
)

BY_KEY = {d.key: d for d in DECLARATIONS}
KEYS = tuple(BY_KEY)
PREFERENCE_KEYS = tuple(d.key for d in DECLARATIONS if not d.hard)


def answers_of(application: Application) -> dict[str, bool | None]:
    """The application's declarations by key (None where not answered)."""
    return {key: getattr(application, key) for key in KEYS}
