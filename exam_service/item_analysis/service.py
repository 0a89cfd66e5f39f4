"""Item statistics for authors: classical test theory over graded answer sheets.

The unit of analysis is the question *version*. Every version has its own
options (and an edit of a question that has been shown makes a new version), so
option choice rates only add up within one version; p and r_pb are given per
version too, so each row of the table is exactly one item as candidates saw it.

The numbers come from `question_bank.stats`; this module only gathers the
inputs. Only aggregates leave it: no candidate, attempt or booking is named.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from question_bank import (
    OPTION_LETTERS,
    FaultyRule,
    difficulty_index,
    flag_item,
    histogram,
    kr20,
    option_choice_rates,
    point_biserial,
    to_plain_text,
)

from ..accounts.models import User
from ..authoring.models import Category, Question, QuestionVersion
from ..core.errors import NotFound
from ..core.extensions import db
from ..exam import supervision
from ..exam.models import ItemRuling
from ..exam.responses import GradedSheet, ItemResponse, graded_sheets
from ..recruitment.models import Activity
from ..recruitment.service import activity_for_admin

# Below this many responses an item's numbers are shown but marked as unstable.
MIN_RESPONSES = 30
HISTOGRAM_BINS = 10
# Tests whose maximum is at most this many whole points get one bar per score.
MAX_UNIT_BINS = 20
# Most serious first: the order of the badges and of "sort by flag".
FLAG_ORDER = ("negative_discrimination", "too_hard", "too_easy", "low_discrimination")
SORTS = ("question", "flag", "p", "rpb")


@dataclass(frozen=True)
class OptionRate:
    letter: str  # in authoring order; candidates saw the options shuffled
    text: str
    points: Decimal
    is_key: bool
    count: int
    rate: float


@dataclass(frozen=True)
class ItemStats:
    version_id: int
    question_id: int
    version_number: int
    category: str
    category_name: str
    stem: str  # plain text
    n: int  # times shown in a graded form
    max_points: Decimal
    # Over the responses that counted (an item ruled "dropped" does not count).
    p: float | None
    rpb: float | None
    flags: list[str]
    options: list[OptionRate]
    unanswered_count: int
    unanswered_rate: float

    @property
    def small_n(self) -> bool:
        return self.n < MIN_RESPONSES


@dataclass(frozen=True)
class Bin:
    start: float
    end: float
    count: int
    label: str


@dataclass(frozen=True)
class Report:
    activity: Activity | None
    attempts: int
    mean_score: float | None
    max_score: float | None
    # Only for one activity: its forms have the same length (see `_kr20`).
    kr20: float | None
    histogram: list[Bin]
    items: list[ItemStats] = field(default_factory=list)

    @property
    def small_n(self) -> bool:
        return self.attempts < MIN_RESPONSES


def activities() -> list[Activity]:
    """Every activity, newest first, for the filter."""
    return list(db.session.scalars(db.select(Activity).order_by(Activity.id.desc())))


def report(activity_id: int | None = None, sort: str = "question") -> Report:
    """Statistics over the graded attempts of one activity, or of all activities."""
    activity = _activity(activity_id)
    sheets = graded_sheets(activity_id)
    by_version = _responses_by_version(sheets)
    versions = _versions(by_version)
    items = [
        _item_stats(versions[version_id], responses) for version_id, responses in by_version.items()
    ]
    scores = [float(sheet.score) for sheet in sheets]
    return Report(
        activity=activity,
        attempts=len(sheets),
        mean_score=sum(scores) / len(scores) if scores else None,
        max_score=max((float(s.max_score) for s in sheets), default=None),
        kr20=_kr20(sheets) if activity is not None else None,
        histogram=_histogram(sheets),
        items=sort_items(items, sort),
    )


def item_report(version_id: int, activity_id: int | None = None) -> ItemStats:
    """One version's statistics (zero responses when it was never in a graded form)."""
    _activity(activity_id)
    version = _versions({version_id: []}).get(version_id)
    if version is None:
        raise NotFound(_("Soal tidak ditemukan."), code="question_version_not_found")
    responses = _responses_by_version(graded_sheets(activity_id)).get(version_id, [])
    return _item_stats(version, responses)


def sort_items(items: list[ItemStats], sort: str) -> list[ItemStats]:
    """Order the table: by question (default), most serious flag first, p or r_pb."""
    if sort == "flag":
        return sorted(items, key=lambda i: (_flag_rank(i), i.question_id, i.version_number))
    if sort == "p":
        return sorted(items, key=lambda i: (i.p is None, i.p or 0.0, i.question_id))
    if sort == "rpb":
        return sorted(items, key=lambda i: (i.rpb is None, i.rpb or 0.0, i.question_id))
    return sorted(items, key=lambda i: (i.question_id, i.version_number))


def _flag_rank(item: ItemStats) -> int:
    return min((FLAG_ORDER.index(flag) for flag in item.flags), default=len(FLAG_ORDER))


def _activity(activity_id: int | None) -> Activity | None:
    if activity_id is None:
        return None
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("Kegiatan tidak ditemukan."), code="activity_not_found")
    return activity


# --- gathering ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    item: ItemResponse
    total: float


def _responses_by_version(sheets: list[GradedSheet]) -> dict[int, list[_Response]]:
    by_version: dict[int, list[_Response]] = defaultdict(list)
    for sheet in sheets:
        for item in sheet.items:
            by_version[item.question_version_id].append(_Response(item, float(sheet.score)))
    return by_version


@dataclass(frozen=True)
class _Version:
    row: QuestionVersion
    category: Category


def _versions(version_ids: dict[int, object]) -> dict[int, _Version]:
    if not version_ids:
        return {}
    rows = db.session.execute(
        db.select(QuestionVersion, Category)
        .join(Question, Question.id == QuestionVersion.question_id)
        .join(Category, Category.id == Question.category_id)
        .where(QuestionVersion.id.in_(list(version_ids)))
    ).all()
    return {version.id: _Version(version, category) for version, category in rows}


# --- computing ---------------------------------------------------------------------


def _item_stats(version: _Version, responses: list[_Response]) -> ItemStats:
    options = version.row.options
    points = [Decimal(str(o.get("points", 0))) for o in options]
    max_points = max(points, default=Decimal(0))
    counted = [r for r in responses if r.item.max_points > 0]
    p = rpb = None
    if counted and max_points > 0:
        item_scores = [float(r.item.points) for r in counted]
        p = difficulty_index(item_scores, float(max_points))
        rpb = point_biserial(item_scores, [r.total for r in counted])
    choices = [r.item.choice for r in responses]
    rates = option_choice_rates(choices, len(options))
    counts = [choices.count(i) for i in range(len(options))]
    return ItemStats(
        version_id=version.row.id,
        question_id=version.row.question_id,
        version_number=version.row.number,
        category=version.category.slug,
        category_name=version.category.name,
        stem=to_plain_text(version.row.stem),
        n=len(responses),
        max_points=max_points,
        p=p,
        rpb=rpb,
        flags=sorted(flag_item(p, rpb), key=FLAG_ORDER.index) if p is not None else [],
        options=[
            OptionRate(
                letter=OPTION_LETTERS[i],
                text=option["text"],
                points=points[i],
                is_key=max_points > 0 and points[i] == max_points,
                count=counts[i],
                rate=rates[i],
            )
            for i, option in enumerate(options)
        ],
        unanswered_count=choices.count(None),
        unanswered_rate=rates[-1],
    )


def _kr20(sheets: list[GradedSheet]) -> float | None:
    """KR-20 of one activity's test.

    An item scores 1 when it earned its full points. Each row lists a sheet's
    items in version order, so when every form holds the same items the columns
    are exactly those items. Forms drawn at random from a larger bank share
    fewer items; their columns are then the k-th item of each form, as for
    randomly parallel forms. None when the forms' counted lengths differ (a
    ruling dropped an item from some forms) or there are too few sheets.
    """
    matrix = [
        [
            int(item.points == item.max_points)
            for item in sorted(sheet.items, key=lambda i: i.question_version_id)
            if item.max_points > 0
        ]
        for sheet in sheets
        if sheet.items
    ]
    if not matrix or any(len(row) != len(matrix[0]) for row in matrix):
        return None
    return kr20(matrix)


def _histogram(sheets: list[GradedSheet]) -> list[Bin]:
    """Scores from 0 (or below, with negative points) to the highest maximum."""
    if not sheets:
        return []
    scores = [float(sheet.score) for sheet in sheets]
    lo = min(0.0, *scores)
    hi = max(float(sheet.max_score) for sheet in sheets)
    hi = max(hi, *scores)
    span = hi - lo
    if span == int(span) and span <= MAX_UNIT_BINS and all(s == int(s) for s in scores):
        # One bar per whole score: bin [k, k+1) holds exactly the score k.
        bins = histogram(scores, int(span) + 1, lo=lo, hi=hi + 1)
        return [Bin(start, end, count, f"{start:g}") for start, end, count in bins]
    bins = histogram(scores, HISTOGRAM_BINS, lo=lo, hi=hi)
    return [Bin(start, end, count, f"{start:g}–{end:g}") for start, end, count in bins]


# --- item rulings (admins of the activity's office) ----------------------------------
#
# Authors read the statistics above; deciding that an item was faulty belongs to the
# office that runs the recruitment, so these functions are scoped to the admin's
# office and the regrading itself is the exam domain's `supervision.rule_item`.


@dataclass(frozen=True)
class RulingRow:
    item: ItemStats
    ruling: ItemRuling | None


@dataclass(frozen=True)
class RulingsOverview:
    activity: Activity
    attempts: int
    rows: list[RulingRow]


def rulings_for_admin(admin: User, activity_id: int) -> RulingsOverview:
    """The activity's graded items, each with its ruling: the ruled ones first (an admin
    comes back to them), then the most serious flag first."""
    activity = activity_for_admin(admin, activity_id)
    found = report(activity.id, "flag")
    rulings = _rulings(activity.id)
    rows = [RulingRow(item, rulings.get(item.version_id)) for item in found.items]
    return RulingsOverview(
        activity=activity,
        attempts=found.attempts,
        rows=sorted(rows, key=lambda row: row.ruling is None),
    )


@dataclass(frozen=True)
class RulingItem:
    activity: Activity
    item: ItemStats
    ruling: ItemRuling | None


def ruling_for_admin(admin: User, activity_id: int, version_id: int) -> RulingItem:
    """One item of the activity (its statistics and its ruling, if any)."""
    activity = activity_for_admin(admin, activity_id)
    item = item_report(version_id, activity.id)
    return RulingItem(activity, item, _rulings(activity.id).get(version_id))


def rule(admin: User, activity_id: int, version_id: int, faulty: FaultyRule, reason: str) -> int:
    """Apply a ruling; returns how many attempts were regraded."""
    return supervision.rule_item(admin, activity_id, version_id, faulty, reason)


def _rulings(activity_id: int) -> dict[int, ItemRuling]:
    rows = db.session.scalars(db.select(ItemRuling).where(ItemRuling.activity_id == activity_id))
    return {r.question_version_id: r for r in rows}
