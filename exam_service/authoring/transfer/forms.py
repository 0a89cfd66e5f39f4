"""Page forms of bank import and the blueprint editor (Flask-WTF: CSRF on both)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from question_bank import FORMATS, Difficulty

from ..coverage import BlueprintCoverage
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
MIX_FIELDS = {
    Difficulty.EASY: "mix_easy",
    Difficulty.MEDIUM: "mix_medium",
    Difficulty.HARD: "mix_hard",
}


class ImportForm(FlaskForm):
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


class CategoryCountForm(Form):
    """One category's row: its code (hidden) and how many questions it contributes."""

    slug = HiddenField()
    count = IntegerField(
        _l("Jumlah soal"), default=0, validators=[Optional(), NumberRange(min=0, max=200)]
    )


class BlueprintForm(FlaskForm):
    rows = FieldList(FormField(CategoryCountForm), min_entries=0, max_entries=500)
    mix_easy = IntegerField(_l("Mudah (%)"), validators=[Optional(), NumberRange(0, 100)])
    mix_medium = IntegerField(_l("Sedang (%)"), validators=[Optional(), NumberRange(0, 100)])
    mix_hard = IntegerField(_l("Sulit (%)"), validators=[Optional(), NumberRange(0, 100)])

    def fill(self, found: BlueprintCoverage) -> None:
        """Show the saved blueprint: a row per category (0 = not in the test)."""
        for row in found.rows:
            self.rows.append_entry({"slug": row.slug, "count": row.needed})
        mix = (found.activity.blueprint or {}).get("difficulty_mix")
        for difficulty, name in MIX_FIELDS.items():
            getattr(self, name).data = round(mix.get(difficulty.value, 0) * 100) if mix else None

    def validate_mix_hard(self, field: IntegerField) -> None:
        shares = self._percentages()
        if shares is not None and sum(shares.values()) != 100:
            raise ValidationError(_l("Komposisi tingkat kesulitan harus berjumlah 100%."))

    def to_blueprint(self) -> dict[str, Any]:
        categories = {
            row.form.slug.data: row.form.count.data
            for row in self.rows
            if row.form.slug.data and row.form.count.data
        }
        shares = self._percentages()
        mix = None if shares is None else {d.value: p / 100 for d, p in shares.items()}
        return {"categories": categories, "difficulty_mix": mix}

    def _percentages(self) -> dict[Difficulty, int] | None:
        """The mix in percent; None when every field is empty (no difficulty balance)."""
        values = {d: getattr(self, name).data for d, name in MIX_FIELDS.items()}
        if all(v is None for v in values.values()):
            return None
        return {d: v or 0 for d, v in values.items()}
