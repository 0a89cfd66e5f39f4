"""The blueprint editor: what an activity's blueprint asks of the bank, and what it has.

Forms are drawn from ACTIVE questions only, so coverage counts those. A
category short of questions stops every form from being drawn
(`BankTooSmall`); a difficulty short of its share only shifts the form's
difficulty balance (the draw takes the rest from the other difficulties), so
the page warns about both, differently.

Saving goes through the recruitment service, which owns activities and keeps
the blueprint rules (sum equal to the question count, no change once forms
are drawn).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _

from question_bank import Blueprint, Difficulty, apportion, available_per_category, check_coverage

from ..accounts.models import User
from ..authoring.bank import active_questions
from ..authoring.models import Category
from ..core.errors import NotFound
from ..core.extensions import db
from ..exam.frozen_forms import activities_with_forms
from ..recruitment import service as recruitment
from ..recruitment.models import Activity


@dataclass(frozen=True)
class DifficultyCount:
    difficulty: Difficulty
    active: int
    # The blueprint's share of the category's count; None without a difficulty mix.
    needed: int | None

    @property
    def short(self) -> bool:
        return self.needed is not None and self.active < self.needed


@dataclass(frozen=True)
class CategoryCoverage:
    slug: str
    name: str | None  # None: the blueprint names a category the bank does not have
    needed: int
    active: int
    short: int
    difficulties: list[DifficultyCount]

    @property
    def difficulty_short(self) -> bool:
        return any(d.short for d in self.difficulties)


@dataclass(frozen=True)
class BlueprintCoverage:
    activity: Activity
    forms_drawn: bool
    # The blueprint's categories in form order, then the bank's other categories.
    rows: list[CategoryCoverage]

    @property
    def complete(self) -> bool:
        return self.activity.blueprint is not None and not any(row.short for row in self.rows)


def list_activities() -> list[BlueprintCoverage]:
    """Every activity, newest first, with its coverage (the bank is shared by all offices)."""
    activities = db.session.scalars(
        db.select(Activity).order_by(Activity.registration_opens_at.desc(), Activity.id.desc())
    ).all()
    pool = active_questions()
    names = _category_names()
    drawn = activities_with_forms()
    return [_coverage(a, a.blueprint, a.id in drawn, pool, names) for a in activities]


def coverage(activity_id: int, blueprint: dict[str, Any] | None = None) -> BlueprintCoverage:
    """The activity's coverage; for `blueprint` instead of the saved one when given
    (the page shows a refused draft against the bank too)."""
    activity = _activity(activity_id)
    shown = activity.blueprint if blueprint is None else blueprint
    drawn = activity_id in activities_with_forms(activity_id)
    return _coverage(activity, shown, drawn, active_questions(), _category_names())


def update_blueprint(
    author: User, activity_id: int, blueprint: dict[str, Any]
) -> BlueprintCoverage:
    """Save the blueprint (422 when invalid, 409 `forms_already_drawn`)."""
    recruitment.update_blueprint(author, activity_id, blueprint)
    return coverage(activity_id)


def _coverage(
    activity: Activity,
    blueprint: dict[str, Any] | None,
    forms_drawn: bool,
    pool: list[Any],
    names: dict[str, str],
) -> BlueprintCoverage:
    parsed = _parsed(blueprint)
    needed = dict(parsed.categories) if parsed else {}
    missing = check_coverage(pool, parsed) if parsed else {}
    active = available_per_category(pool)
    per_difficulty = Counter((q.category, q.difficulty) for q in pool)
    mix = parsed.difficulty_mix if parsed else None
    slugs = [*needed, *(slug for slug in sorted(names) if slug not in needed)]
    rows = []
    for slug in slugs:
        shares = (
            apportion(needed.get(slug, 0), {d: Fraction(mix.get(d, 0)) for d in Difficulty})
            if mix
            else {}
        )
        rows.append(
            CategoryCoverage(
                slug=slug,
                name=names.get(slug),
                needed=needed.get(slug, 0),
                active=active.get(slug, 0),
                short=missing.get(slug, 0),
                difficulties=[
                    DifficultyCount(d, per_difficulty[(slug, d)], shares.get(d) if mix else None)
                    for d in Difficulty
                ],
            )
        )
    return BlueprintCoverage(activity, forms_drawn, rows)


def _parsed(blueprint: dict[str, Any] | None) -> Blueprint | None:
    """The blueprint as the exam reads it; None when unset or unreadable (a refused draft)."""
    if not blueprint:
        return None
    try:
        return Blueprint.from_dict(blueprint)
    except (ValueError, TypeError):
        return None


def _activity(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("Kegiatan tidak ditemukan."))
    return activity


def _category_names() -> dict[str, str]:
    rows = db.session.execute(db.select(Category.slug, Category.name))
    return {slug: name for slug, name in rows}
