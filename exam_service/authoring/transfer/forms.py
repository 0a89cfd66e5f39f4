"""Page forms of bank import and the blueprint editor (Flask-WTF: CSRF on both)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from question_bank import FORMATS, Difficulty

from ...core.forms import ServiceForm
from ..forms import DIFFICULTY_LABELS, STATUS_LABELS
from ..models import QuestionStatus
from .service import IMPORT_STATUSES, ImportOptions

FORMAT_LABELS = {
    "csv": "CSV",
    "xlsx": "Excel (XLSX)",
    "aiken": "Aiken",
    "gift": "GIFT (Moodle)",
    "qti": "QTI 2.1 (ZIP)",
}


class ImportForm(ServiceForm):
    format = SelectField(
        _l("Format berkas"), choices=[SelectChoice(f, FORMAT_LABELS[f]) for f in FORMATS]
    )
    file = FileField(_l("Berkas"), validators=[FileRequired(_l("Pilih berkas terlebih dahulu."))])
    partial = BooleanField(_l("Impor butir yang benar walaupun ada butir yang ditolak"))
    status = SelectField(
        _l("Status soal hasil impor"),
        choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in IMPORT_STATUSES],
        default=QuestionStatus.DRAFT.value,
    )
    category = StringField(
        _l("Kode kategori untuk butir tanpa kategori (Aiken)"),
        validators=[Optional(), Length(max=64)],
    )
    difficulty = SelectField(
        _l("Tingkat kesulitan untuk butir tanpa tingkat kesulitan (Aiken)"),
        choices=[SelectChoice(d.value, label) for d, label in DIFFICULTY_LABELS.items()],
        default=Difficulty.MEDIUM.value,
    )

    def to_options(self) -> ImportOptions:
        return ImportOptions(
            fmt=self.format.data,
            partial=bool(self.partial.data),
            status=QuestionStatus(self.status.data),
            category=(self.category.data or "").strip(),
            difficulty=Difficulty(self.difficulty.data),
        )
