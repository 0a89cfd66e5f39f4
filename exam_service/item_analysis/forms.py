"""The item ruling form (admins): how a faulty item is scored from now on, and why."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from question_bank import FaultyRule

from ..core.forms import ServiceForm

RULE_LABELS = {
    FaultyRule.FULL_CREDIT.value: _l("Semua pilihan dianggap benar"),
    FaultyRule.DROP.value: _l("Soal dibatalkan"),
}
RULE_HINTS = {
    FaultyRule.FULL_CREDIT.value: _l(
        "Setiap peserta yang menjawab soal ini mendapat nilai penuh soal ini; yang tidak "
        "menjawab tetap 0."
    ),
    FaultyRule.DROP.value: _l(
        "Soal ini tidak dihitung, baik dalam skor maupun dalam skor maksimal."
    ),
}


class RulingForm(ServiceForm):
    rule = RadioField(
        _l("Keputusan"),
        choices=[
            SelectChoice(value, f"{label}: {RULE_HINTS[value]}")
            for value, label in RULE_LABELS.items()
        ],
        validators=[InputRequired(_l("Pilih keputusan."))],
    )
    reason = TextAreaField(
        _l("Alasan (dicatat di riwayat)"),
        validators=[DataRequired(_l("Alasan wajib diisi.")), Length(max=2000)],
    )
    confirm = BooleanField(
        _l("Saya yakin: semua ujian yang memuat soal ini dinilai ulang sekarang."),
        validators=[DataRequired(_l("Centang untuk memastikan penilaian ulang."))],
    )
