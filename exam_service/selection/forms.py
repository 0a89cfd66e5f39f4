"""Page forms of the final selection (Flask-WTF: CSRF on every unsafe one)."""

from __future__ import annotations

from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.formatting import decimal_from_input, decimal_input
from ..core.forms import ServiceForm, ZonedLabel, datetime_field, local_input
from .models import SelectionMethod, SelectionRule
from .service import MAX_ANSWER_LENGTH, MAX_QUOTA, REVIEW_REASON_RANGE, RuleData


class RuleForm(ServiceForm):
    """The rule; one "minimum" input per blueprint category is added by `rule_form`."""

    method = RadioField(
        _l("Cara penetapan kelulusan"),
        choices=[
            SelectChoice(SelectionMethod.QUOTA.value, _l("Kuota: N peringkat teratas lulus")),
            SelectChoice(SelectionMethod.THRESHOLD.value, _l("Ambang batas: skor total minimal")),
        ],
        default=SelectionMethod.QUOTA.value,
        validators=[DataRequired()],
    )
    quota = IntegerField(
        _l("Kuota (orang)"), validators=[Optional(), NumberRange(min=1, max=MAX_QUOTA)]
    )
    threshold = StringField(_l("Skor total minimal"), validators=[Optional(), Length(max=12)])

    categories: ClassVar[list[str]] = []

    def minimum_fields(self) -> list[tuple[str, Field]]:
        return [(slug, getattr(self, f"min_{n}")) for n, slug in enumerate(self.categories)]

    def to_data(self) -> RuleData:
        return RuleData(
            method=self.method.data,
            quota=self.quota.data,
            threshold=decimal_from_input(self.threshold.data),
            category_minimums={
                slug: decimal_from_input(f.data) or "" for slug, f in self.minimum_fields()
            },
        )

    def fill(self, rule: SelectionRule) -> None:
        self.method.data = rule.method
        self.quota.data = rule.quota
        self.threshold.data = decimal_input(rule.threshold)
        for slug, field in self.minimum_fields():
            field.data = decimal_input((rule.category_minimums or {}).get(slug) or None)

    def field_for(self, key: str) -> Field | None:
        if key == "category_minimums" and self.categories:
            return self.minimum_fields()[0][1]
        return super().field_for(key)


def rule_form(categories: list[str], names: dict[str, str], **kwargs: Any) -> RuleForm:
    """A RuleForm with a minimum-score input for each category of the blueprint
    (labelled with the category's name, `names` by slug)."""
    attributes: dict[str, Any] = {"categories": list(categories)}
    for n, slug in enumerate(categories):
        attributes[f"min_{n}"] = StringField(
            _l("Nilai minimal %(category)s (boleh kosong)", category=names.get(slug, slug)),
            validators=[Optional(), Length(max=12)],
        )
    return type("CategoryRuleForm", (RuleForm,), attributes)(**kwargs)


class ScheduleForm(ServiceForm):
    announcement_at = datetime_field(ZonedLabel(_l("Waktu pengumuman")))

    def fill(self, announcement_at: Any, zone: ZoneInfo) -> None:
        """Show the scheduled time in the office's `zone`."""
        if announcement_at is not None and not self.announcement_at.data:
            self.announcement_at.data = local_input(announcement_at, zone)


class ReviewForm(ServiceForm):
    reason = TextAreaField(
        _l("Alasan permintaan peninjauan"),
        validators=[DataRequired(), Length(min=REVIEW_REASON_RANGE[0], max=REVIEW_REASON_RANGE[1])],
    )


class AnswerForm(ServiceForm):
    answer = TextAreaField(
        _l("Jawaban"), validators=[DataRequired(), Length(max=MAX_ANSWER_LENGTH)]
    )
