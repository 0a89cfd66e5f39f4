"""Page forms of the authoring module (Flask-WTF: CSRF on every unsafe one)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from question_bank import Difficulty, Option

from ..core.forms import ServiceForm, SubForm
from .models import Category, QuestionStatus, QuestionVersion
from .schemas import MAX_STEM_CHARS
from .service import MAX_EXPLANATION_CHARS, QuestionDraft

MAX_OPTIONS = 6
DIFFICULTY_LABELS = {
    Difficulty.EASY: _l("Mudah"),
    Difficulty.MEDIUM: _l("Sedang"),
    Difficulty.HARD: _l("Sulit"),
}
STATUS_LABELS = {
    QuestionStatus.DRAFT: _l("Draf"),
    QuestionStatus.ACTIVE: _l("Aktif"),
    QuestionStatus.RETIRED: _l("Dipensiunkan"),
}

ALL = SelectChoice("", _l("Semua"))
# The list's filter on the practice column: query value -> label.
PRACTICE_FILTER_LABELS = {"ujian": _l("Soal ujian"), "latihan": _l("Soal latihan")}


class OptionForm(SubForm):
    """One option row; rows left empty are ignored."""

    text = StringField(_l("Teks pilihan"), validators=[Length(max=1000)])
    points = DecimalField(
        _l("Poin"),
        default=Decimal(0),
        places=None,
        validators=[InputRequired(), NumberRange(min=-100, max=100)],
    )
    keep_last = BooleanField(_l("Selalu terakhir"))


class QuestionForm(ServiceForm):
    category_id = SelectField(_l("Kategori"), coerce=int, validators=[InputRequired()])
    difficulty = SelectField(
        _l("Tingkat kesulitan"),
        choices=[SelectChoice(d.value, label) for d, label in DIFFICULTY_LABELS.items()],
        default=Difficulty.MEDIUM.value,
    )
    stem = TextAreaField(
        _l("Teks soal"),
        validators=[DataRequired(), Length(max=MAX_STEM_CHARS)],
        render_kw={"rows": 6},
    )
    image = FileField(_l("Gambar (JPEG atau PNG, boleh kosong)"))
    image_name = HiddenField()
    remove_image = BooleanField(_l("Hapus gambar"))
    options = FieldList(FormField(OptionForm), min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)
    # The practice column (service.practice_editable says whether the mark may change).
    practice = BooleanField(_l("Soal latihan"))
    explanation = TextAreaField(
        _l("Pembahasan (ditampilkan setelah ujian latihan, boleh kosong)"),
        validators=[Optional(), Length(max=MAX_EXPLANATION_CHARS)],
        render_kw={"rows": 3},
    )
    practice_editable = True

    def set_categories(self, categories: list[Category]) -> None:
        self.category_id.choices = [SelectChoice(c.id, f"{c.name} ({c.slug})") for c in categories]

    def fill_practice(self, practice: bool, explanation: str | None) -> None:
        """Load a question's practice column into an unsubmitted form."""
        self.practice.data = practice
        self.explanation.data = explanation or ""

    def fill_from(self, category_id: int, version: QuestionVersion) -> None:
        """Load a stored version into an unsubmitted form."""
        self.category_id.data = category_id
        self.difficulty.data = version.difficulty
        self.stem.data = version.stem
        self.image_name.data = version.image_name or ""
        for row, option in zip(self.options, version.options, strict=False):
            row.form.text.data = option["text"]
            row.form.points.data = Decimal(str(option.get("points", 0)))
            row.form.keep_last.data = bool(option.get("keep_last"))

    def to_draft(self, image_name: str | None) -> QuestionDraft:
        return QuestionDraft(
            category_id=self.category_id.data,
            difficulty=self.difficulty.data,
            stem=self.stem.data or "",
            options=[
                Option(row.form.text.data or "", row.form.points.data or 0, row.form.keep_last.data)
                for row in self.options
                if (row.form.text.data or "").strip()
            ],
            image_name=image_name,
            practice=bool(self.practice.data) if self.practice_editable else None,
            explanation=self.explanation.data or "",
        )


class StatusForm(ServiceForm):
    status = HiddenField(validators=[DataRequired()])


class QuestionFilterForm(ServiceForm):
    """The list's filters (GET: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Cari teks atau kode"), validators=[Optional(), Length(max=200)])
    category_id = SelectField(_l("Kategori"), coerce=str, validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[ALL, *(SelectChoice(s.value, label) for s, label in STATUS_LABELS.items())],
        validators=[Optional()],
    )
    difficulty = SelectField(
        _l("Tingkat kesulitan"),
        choices=[ALL, *(SelectChoice(d.value, label) for d, label in DIFFICULTY_LABELS.items())],
        validators=[Optional()],
    )
    practice = SelectField(
        _l("Jenis soal"),
        choices=[ALL, *(SelectChoice(v, label) for v, label in PRACTICE_FILTER_LABELS.items())],
        validators=[Optional()],
    )

    def set_categories(self, categories: list[Category]) -> None:
        self.category_id.choices = [ALL, *(SelectChoice(str(c.id), c.name) for c in categories)]

    def practice_value(self) -> bool | None:
        return {"latihan": True, "ujian": False}.get(self.practice.data or "")


class CategoryForm(ServiceForm):
    slug = StringField(_l("Kode (huruf kecil, tanpa spasi)"), validators=[DataRequired()])
    name = StringField(_l("Nama"), validators=[DataRequired(), Length(max=200)])


class CategoryRenameForm(ServiceForm):
    name = StringField(_l("Nama"), validators=[DataRequired(), Length(max=200)])
