"""The blueprint editor: an activity's blueprint against the bank (author role).

Authors see activities' names, question counts and blueprints here, never
candidates or their personal data.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import author_required
from ..authoring.forms import DIFFICULTY_LABELS
from ..core.api import SESSION_AUTH, api_blueprint, json_response, responses, validate_request
from ..core.errors import Invalid, ServiceError
from ..core.path_params import ActivityPath
from ..recruitment.schemas import BlueprintIn
from . import coverage
from .forms import MIX_FIELDS, BlueprintForm
from .schemas import BlueprintOut, blueprint_out

api = api_blueprint("test_design_api", __name__, "bank")
pages = Blueprint("test_design", __name__)


@api.get(
    "/bank/blueprints/<int:activity_id>",
    responses=responses(200, BlueprintOut),
    security=SESSION_AUTH,
)
@author_required
@validate_request()
def api_blueprint(path: ActivityPath) -> Response:
    """An activity's blueprint against the bank's ACTIVE questions, per category."""
    return json_response(blueprint_out(coverage.coverage(path.activity_id)))


@api.put(
    "/bank/blueprints/<int:activity_id>",
    responses=responses(200, BlueprintOut),
    security=SESSION_AUTH,
)
@author_required
@validate_request()
def api_update_blueprint(path: ActivityPath, body: BlueprintIn) -> Response:
    """Counts must sum to the activity's question count (422); 409 `forms_already_drawn`
    once any attempt of the activity exists."""
    found = coverage.update_blueprint(current_user, path.activity_id, body.model_dump())
    return json_response(blueprint_out(found))


@pages.route("/bank/kisi-kisi")
@author_required
def blueprint_list() -> Any:
    return render_template("test_design/blueprints.html", activities=coverage.list_activities())


@pages.route("/bank/kisi-kisi/<id:activity_id>", methods=["GET", "POST"])
@author_required
def blueprint_edit(activity_id: int) -> Any:
    found = coverage.coverage(activity_id)
    form = BlueprintForm()
    status, problem = 200, None
    if form.validate_on_submit():
        draft = form.to_blueprint()
        try:
            coverage.update_blueprint(current_user, activity_id, draft)
        except Invalid as e:
            problem = (e.details or {}).get("blueprint") or e.message
            found, status = coverage.coverage(activity_id, draft), 422
        except ServiceError as e:
            flash(e.message, "error")
            status = e.status
        else:
            flash(_("Kisi-kisi telah disimpan."), "success")
            return redirect(url_for(".blueprint_edit", activity_id=activity_id), 303)
    elif form.is_submitted():
        status = 422
    else:
        form.fill(found)
    return render_template(
        "test_design/blueprint.html",
        form=form,
        found=found,
        by_slug={row.slug: row for row in found.rows},
        problem=problem,
        mix_fields=MIX_FIELDS,
        difficulty_labels=DIFFICULTY_LABELS,
    ), status
