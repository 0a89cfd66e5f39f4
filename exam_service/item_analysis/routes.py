"""Item statistics views: a JSON endpoint and two pages (author role), and the
item rulings pages (admins of the activity's office).

Only aggregates: no candidate's name, NIK, email or attempt appears here.
Authors see keys and points, as everywhere in their bank.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import BaseModel, Field

from question_bank import FaultyRule

from ..accounts.auth import admin_required, author_required
from ..core.api import (
    SESSION_AUTH,
    OutModel,
    api_blueprint,
    json_response,
    out,
    responses,
    validate_request,
)
from ..core.errors import ServiceError
from ..core.formatting import number_text
from ..core.path_params import RowId, id_arg
from . import service as statistics
from .forms import RULE_HINTS, RULE_LABELS, RulingForm
from .service import Bin, Report

api = api_blueprint("item_stats_api", __name__, "bank")
pages = Blueprint("item_stats", __name__)

FLAG_LABELS = {
    "too_easy": _l("terlalu mudah"),
    "too_hard": _l("terlalu sulit"),
    "negative_discrimination": _l("daya beda negatif"),
    "low_discrimination": _l("daya beda rendah"),
}
SORT_LABELS = {
    "question": _l("nomor soal"),
    "flag": _l("tanda"),
    "p": _l("p"),
    "rpb": _l("r_pb"),
}


# --- JSON shapes -------------------------------------------------------------------


class StatisticsQuery(BaseModel):
    activity_id: RowId | None = Field(default=None, description="one activity; all when left out")
    sort: Literal["question", "flag", "p", "rpb"] = "question"


class OptionRateOut(OutModel):
    letter: str = Field(description="in authoring order; candidates saw the options shuffled")
    text: str
    points: Decimal
    is_key: bool
    count: int
    rate: float


class ItemStatsOut(OutModel):
    """One question version: every version has its own options, so it is one item."""

    version_id: int
    question_id: int
    version_number: int
    category: str
    category_name: str
    stem: str = Field(description="plain text, shortened")
    n: int = Field(description="times shown in a graded form")
    small_n: bool = Field(description="fewer responses than min_responses: numbers unstable")
    max_points: Decimal
    p: float | None = Field(description="difficulty index: mean score / max points")
    rpb: float | None = Field(description="corrected point-biserial (item vs rest of the test)")
    flags: list[str] = Field(
        description="too_easy, too_hard, negative_discrimination, low_discrimination"
    )
    options: list[OptionRateOut]
    unanswered_count: int
    unanswered_rate: float


class BinOut(OutModel):
    start: float
    end: float
    count: int
    label: str


class StatisticsOut(OutModel):
    activity_id: int | None
    activity_name: str | None
    attempts: int = Field(description="graded attempts")
    small_n: bool
    min_responses: int
    mean_score: float | None
    max_score: float | None
    kr20: float | None = Field(description="only for one activity")
    histogram: list[BinOut]
    items: list[ItemStatsOut]


STEM_CHARS = 200


def report_out(report: Report) -> StatisticsOut:
    return out(
        StatisticsOut,
        report,
        activity_id=report.activity.id if report.activity else None,
        activity_name=report.activity.name if report.activity else None,
        min_responses=statistics.MIN_RESPONSES,
        items=[out(ItemStatsOut, item, stem=item.stem[:STEM_CHARS]) for item in report.items],
    )


# --- JSON API ----------------------------------------------------------------------


@api.get("/bank/statistics", responses=responses(200, StatisticsOut), security=SESSION_AUTH)
@author_required
@validate_request()
def api_statistics(query: StatisticsQuery) -> Response:
    """Item statistics (per question version) over graded attempts: p, r_pb, option
    choice rates, KR-20 and the score histogram. Aggregates only."""
    return json_response(report_out(statistics.report(query.activity_id, query.sort)))


# --- pages -------------------------------------------------------------------------


@pages.route("/bank/statistik")
@author_required
def overview() -> Any:
    activity_id = _int_arg("kegiatan")
    sort = request.args.get("urut", "flag")
    sort = sort if sort in statistics.SORTS else "flag"
    report = statistics.report(activity_id, sort)
    return render_template(
        "item_analysis/overview.html",
        report=report,
        activities=statistics.activities(),
        activity_id=activity_id,
        sort=sort,
        sort_labels=SORT_LABELS,
        flag_labels=FLAG_LABELS,
        min_responses=statistics.MIN_RESPONSES,
        chart=_histogram_chart(report.histogram),
    )


@pages.route("/bank/statistik/soal/<id:version_id>")
@author_required
def item(version_id: int) -> Any:
    activity_id = _int_arg("kegiatan")
    stats = statistics.item_report(version_id, activity_id)
    return render_template(
        "item_analysis/item.html",
        item=stats,
        activity_id=activity_id,
        flag_labels=FLAG_LABELS,
        min_responses=statistics.MIN_RESPONSES,
    )


# --- item rulings (admins of the activity's office) ----------------------------------


@pages.route("/admin/kegiatan/<id:activity_id>/soal-bermasalah")
@admin_required
def admin_rulings(activity_id: int) -> Any:
    """The activity's items with their statistics and rulings, to find a faulty one."""
    return render_template(
        "item_analysis/rulings.html",
        overview=statistics.rulings_for_admin(current_user, activity_id),
        flag_labels=FLAG_LABELS,
        rule_labels=RULE_LABELS,
        min_responses=statistics.MIN_RESPONSES,
    )


@pages.route(
    "/admin/kegiatan/<id:activity_id>/soal-bermasalah/<id:version_id>", methods=["GET", "POST"]
)
@admin_required
def admin_ruling(activity_id: int, version_id: int) -> Any:
    """Rule one item faulty, after a confirmation; says how many attempts were regraded."""
    row = statistics.ruling_for_admin(current_user, activity_id, version_id)
    form = RulingForm()
    if request.method == "GET" and row.ruling is not None:
        form.rule.data = row.ruling.rule
    if form.validate_on_submit():
        try:
            regraded = statistics.rule(
                current_user, activity_id, version_id, FaultyRule(form.rule.data), form.reason.data
            )
        except ServiceError as e:
            form.show_service_error(e, default_field="reason")
        else:
            flash(
                _("Keputusan disimpan: %(n)s ujian dinilai ulang.", n=number_text(regraded)),
                "success",
            )
            return redirect(
                url_for(".admin_rulings", activity_id=activity_id) + f"#versi-{version_id}"
            )
    return render_template(
        "item_analysis/ruling.html",
        activity=row.activity,
        row=row,
        form=form,
        flag_labels=FLAG_LABELS,
        rule_labels=RULE_LABELS,
        rule_hints=RULE_HINTS,
        min_responses=statistics.MIN_RESPONSES,
    ), (200 if not form.errors else 422)


def _int_arg(name: str) -> int | None:
    return id_arg(request.args, name)


# Histogram geometry in viewBox units; the SVG scales to the page's width.
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 600, 240, 20, 40, 10


def _histogram_chart(bins: list[Bin]) -> dict[str, Any]:
    """Bar positions for the template; the template only draws them."""
    plot_width = CHART_WIDTH - 2 * CHART_LEFT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    tallest = max((b.count for b in bins), default=0) or 1
    slot = plot_width / len(bins) if bins else plot_width
    bars = []
    for n, b in enumerate(bins):
        height = plot_height * b.count / tallest
        bars.append(
            {
                "x": round(CHART_LEFT + n * slot + slot * 0.1, 1),
                "width": round(slot * 0.8, 1),
                "y": round(CHART_TOP + plot_height - height, 1),
                "height": round(height, 1),
                "center": round(CHART_LEFT + n * slot + slot / 2, 1),
                "bin": b,
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_TOP + plot_height,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_LEFT,
        "bars": bars,
        "small_labels": len(bins) > 12,
    }
