"""The blueprint editor's form: a count per category and an optional difficulty mix."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional, ValidationError

from question_bank import Difficulty

from ..core.forms import ServiceForm, SubForm
from .coverage import BlueprintCoverage

MIX_FIELDS = {
    Difficulty.EASY: "mix_easy",
    Difficulty.MEDIUM: "mix_medium",
    Difficulty.HARD: "mix_hard",
}


class CategoryCountForm(SubForm):
    """One category's row: its code (hidden) and how many questions it contributes."""

    slug = HiddenField()
    count = IntegerField(
        _l("Jumlah soal"), default=0, validators=[Optional(), NumberRange(min=0, max=200)]
    )


class BlueprintForm(ServiceForm):
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
