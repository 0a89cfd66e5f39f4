"""Page forms of the recruitment module (Flask-WTF: CSRF on every unsafe one).

Times are entered in the office's zone in `datetime-local` inputs whose labels
name it, and converted with `clock.parse_local`; the rules of an activity are
checked by the service, whose per-field messages `show_service_errors` puts
back on the fields.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..accounts.models import Education
from ..accounts.profiles import EDUCATION_LABELS
from ..core.clock import parse_local
from ..core.forms import ServiceForm, ZonedLabel, datetime_field, local_input
from .declarations import DECLARATIONS
from .models import Activity, ApplicationStatus
from .service import (
    DEFAULT_DURATION_SECONDS,
    DEFAULT_QUESTION_COUNT,
    DIFFICULTIES,
    DURATION_RANGE,
    STATUS_LABELS,
    ActivityData,
    ApplicationFilters,
)

CATEGORY_LINE = re.compile(r"^\s*([^=\s]+)\s*=\s*(\d+)\s*$")
# The activity's times that may be left empty.
OPTIONAL_TIMES = ("paper_documents_due_at", "decision_deadline_at", "announcement_at")
EDUCATION_CHOICES = [SelectChoice(e.value, label) for e, label in EDUCATION_LABELS.items()]


class ActivityForm(ServiceForm):
    name = StringField(_l("Nama kegiatan"), validators=[DataRequired(), Length(max=200)])
    registration_opens_at = datetime_field(ZonedLabel(_l("Pendaftaran dibuka")))
    registration_closes_at = datetime_field(ZonedLabel(_l("Pendaftaran ditutup")))
    paper_documents_due_at = datetime_field(
        ZonedLabel(_l("Batas penyerahan berkas fisik"), _l("boleh kosong")), required=False
    )
    decision_deadline_at = datetime_field(
        ZonedLabel(_l("Batas seleksi administrasi"), _l("boleh kosong")), required=False
    )
    booking_opens_at = datetime_field(ZonedLabel(_l("Pemilihan sesi dibuka")))
    booking_closes_at = datetime_field(ZonedLabel(_l("Pemilihan sesi ditutup")))
    announcement_at = datetime_field(
        ZonedLabel(_l("Pengumuman hasil"), _l("boleh kosong")), required=False
    )
    test_question_count = IntegerField(
        _l("Jumlah soal"), default=DEFAULT_QUESTION_COUNT, validators=[InputRequired()]
    )
    # Entered in minutes; stored (and in the API) as test_duration_seconds.
    test_duration_minutes = IntegerField(
        _l("Durasi ujian (menit)"),
        default=DEFAULT_DURATION_SECONDS // 60,
        validators=[
            InputRequired(),
            NumberRange(
                min=DURATION_RANGE[0] // 60 or 1,
                max=DURATION_RANGE[1] // 60,
                message=_l("Durasi ujian harus antara %(min)s dan %(max)s menit."),
            ),
        ],
    )
    blueprint_categories = TextAreaField(
        _l("Kisi-kisi: satu kategori per baris, contoh: numerasi = 10 (boleh kosong)"),
        validators=[Optional(), Length(max=4000)],
    )
    difficulty_mix = StringField(
        _l("Komposisi mudah/sedang/sulit dalam persen, contoh: 30/50/20 (boleh kosong)"),
        validators=[Optional(), Length(max=20)],
    )
    min_education = SelectField(
        _l("Pendidikan minimal"), choices=EDUCATION_CHOICES, default=Education.SMA.value
    )
    preferred_min_age = IntegerField(
        _l("Usia minimal yang diutamakan"), default=18, validators=[InputRequired()]
    )
    preferred_max_age = IntegerField(
        _l("Usia maksimal yang diutamakan"), default=50, validators=[InputRequired()]
    )
    show_score_to_candidates = BooleanField(_l("Tampilkan nilai kepada kandidat"))

    # Service error keys that are not a field of this form.
    SERVICE_FIELDS: ClassVar[dict[str, str]] = {
        "blueprint": "blueprint_categories",
        "test_duration_seconds": "test_duration_minutes",
    }

    def validate_blueprint_categories(self, field: Field) -> None:
        for line in (field.data or "").splitlines():
            if line.strip() and not CATEGORY_LINE.match(line):
                raise ValidationError(_l("Tulis setiap baris sebagai kategori = jumlah."))

    def validate_difficulty_mix(self, field: Field) -> None:
        if field.data and _difficulty_mix(field.data) is None:
            raise ValidationError(_l("Tulis tiga angka persen, contoh: 30/50/20."))

    def fill(self, activity: Activity, zone: ZoneInfo) -> None:
        """Show an existing activity (times in the office's `zone`) for editing."""
        for name in ("name", "test_question_count"):
            getattr(self, name).data = getattr(activity, name)
        # Whole minutes (an API client may have set seconds that are not).
        self.test_duration_minutes.data = max(1, (activity.test_duration_seconds + 30) // 60)
        for name in ("preferred_min_age", "preferred_max_age", "show_score_to_candidates"):
            getattr(self, name).data = getattr(activity, name)
        for name in (
            "registration_opens_at",
            "registration_closes_at",
            "booking_opens_at",
            "booking_closes_at",
            *OPTIONAL_TIMES,
        ):
            getattr(self, name).data = local_input(getattr(activity, name), zone)
        self.min_education.data = str(activity.min_education)
        blueprint = activity.blueprint or {}
        self.blueprint_categories.data = "\n".join(
            f"{slug} = {count}" for slug, count in (blueprint.get("categories") or {}).items()
        )
        mix = blueprint.get("difficulty_mix")
        self.difficulty_mix.data = (
            "/".join(f"{round(mix.get(d, 0) * 100):g}" for d in DIFFICULTIES) if mix else ""
        )

    def to_data(self, zone: ZoneInfo) -> ActivityData:
        """The activity's data, its times read in the office's `zone`."""
        optional = {
            name: parse_local(getattr(self, name).data, zone) if getattr(self, name).data else None
            for name in OPTIONAL_TIMES
        }
        return ActivityData(
            name=self.name.data,
            registration_opens_at=parse_local(self.registration_opens_at.data, zone),
            registration_closes_at=parse_local(self.registration_closes_at.data, zone),
            booking_opens_at=parse_local(self.booking_opens_at.data, zone),
            booking_closes_at=parse_local(self.booking_closes_at.data, zone),
            test_question_count=self.test_question_count.data,
            test_duration_seconds=self.test_duration_minutes.data * 60,
            blueprint=self._blueprint(),
            min_education=Education(self.min_education.data),
            preferred_min_age=self.preferred_min_age.data,
            preferred_max_age=self.preferred_max_age.data,
            show_score_to_candidates=bool(self.show_score_to_candidates.data),
            **optional,
        )

    def _blueprint(self) -> dict[str, Any] | None:
        categories = {}
        for line in (self.blueprint_categories.data or "").splitlines():
            match = CATEGORY_LINE.match(line)
            if match:
                categories[match.group(1)] = int(match.group(2))
        if not categories:
            return None
        mix = _difficulty_mix(self.difficulty_mix.data) if self.difficulty_mix.data else None
        return {"categories": categories, "difficulty_mix": mix}


def _difficulty_mix(text: str) -> dict[str, float] | None:
    parts = text.replace(" ", "").split("/")
    if len(parts) != len(DIFFICULTIES) or not all(p.isdigit() for p in parts):
        return None
    return {d: int(p) / 100 for d, p in zip(DIFFICULTIES, parts, strict=True)}


class ApplyForm(ServiceForm):
    """The declarations of the announcement, each answered "Ya" or "Tidak" (one
    RadioField per row of `declarations.DECLARATIONS`, added below)."""

    def answers(self) -> dict[str, bool]:
        return {d.key: self[d.key].data == "1" for d in DECLARATIONS}


for _declaration in DECLARATIONS:
    setattr(
        ApplyForm,
        _declaration.key,
        RadioField(
            _declaration.question,
            choices=[SelectChoice("1", _l("Ya")), SelectChoice("0", _l("Tidak"))],
            validators=[InputRequired(_l("Pilih ya atau tidak."))],
        ),
    )
del _declaration


class DecisionForm(ServiceForm):
    decision = RadioField(
        _l("Keputusan"),
        choices=[
            SelectChoice(ApplicationStatus.ACCEPTED.value, _l("Terima")),
            SelectChoice(ApplicationStatus.REJECTED.value, _l("Tolak")),
        ],
        validators=[InputRequired(_l("Pilih keputusan."))],
    )
    reason = TextAreaField(
        _l("Alasan (wajib jika ditolak; akan dilihat kandidat)"),
        validators=[Length(max=2000)],
    )


_ANY = SelectChoice("", _l("Semua"))
_AGE_RANGE = NumberRange(min=0, max=150, message=_l("Usia harus antara 0 dan 150."))
_YES_NO = [_ANY, SelectChoice("1", _l("Ya")), SelectChoice("0", _l("Tidak"))]


class ApplicationFilterForm(ServiceForm):
    """The filters of the application list: a GET form (no state change, no CSRF)."""

    class Meta:
        csrf = False

    activity_id = SelectField(_l("Kegiatan"), choices=[_ANY], default="")
    status = SelectField(
        _l("Status"),
        choices=[_ANY, *(SelectChoice(s.value, label) for s, label in STATUS_LABELS.items())],
        default="",
    )
    education = SelectField(_l("Pendidikan"), choices=[_ANY, *EDUCATION_CHOICES], default="")
    min_age = IntegerField(_l("Usia dari"), validators=[Optional(), _AGE_RANGE])
    max_age = IntegerField(_l("Usia sampai"), validators=[Optional(), _AGE_RANGE])
    in_region = SelectField(_l("Domisili di wilayah"), choices=_YES_NO, default="")
    nik_flagged = SelectField(_l("NIK bertanda"), choices=_YES_NO, default="")

    def set_activities(self, activities: list[Activity]) -> None:
        self.activity_id.choices = [_ANY, *(SelectChoice(str(a.id), a.name) for a in activities)]

    def filters(self) -> ApplicationFilters:
        """The valid filters; an invalid one (reported on its field) is left out."""
        self.validate()
        return ApplicationFilters(
            activity_id=_int_choice(self.activity_id),
            status=ApplicationStatus(self.status.data) if self._ok(self.status) else None,
            education=Education(self.education.data) if self._ok(self.education) else None,
            min_age=self.min_age.data if not self.min_age.errors else None,
            max_age=self.max_age.data if not self.max_age.errors else None,
            in_region=_yes_no(self.in_region),
            nik_flagged=_yes_no(self.nik_flagged),
        )

    @staticmethod
    def _ok(field: SelectField) -> bool:
        return bool(field.data) and not field.errors


def _int_choice(field: SelectField) -> int | None:
    return int(field.data) if field.data and not field.errors else None


def _yes_no(field: SelectField) -> bool | None:
    if not field.data or field.errors:
        return None
    return field.data == "1"
