"""Blueprint registration, the home page, health checks and template helpers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_openapi3 import OpenAPI
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .accounts.credential_routes import api as credentials_api
from .accounts.credential_routes import pages as credentials_pages
from .accounts.models import Role
from .accounts.routes import api as accounts_api
from .accounts.routes import pages as accounts_pages
from .authoring.bank import category_names
from .authoring.routes import api as authoring_api
from .authoring.routes import pages as authoring_pages
from .authoring.transfer.routes import api as authoring_transfer_api
from .authoring.transfer.routes import pages as authoring_transfer_pages
from .core.clock import current_zone, format_local, utc_offset_minutes, zone_name
from .core.database import session_has_work
from .core.extensions import db, redis_store
from .core.formatting import minutes_text, number_text, percent_text
from .core.mail import linked
from .exam import service as exam
from .exam.routes import api as exam_api
from .exam.routes import pages as exam_pages
from .feeds.routes import api as feeds_api
from .feeds.routes import pages as feeds_pages
from .item_analysis.routes import api as item_stats_api
from .item_analysis.routes import pages as item_stats_pages
from .journey.routes import api as journey_api
from .journey.routes import pages as journey_pages
from .practice.routes import api as practice_api
from .practice.routes import pages as practice_pages
from .privacy.routes import api as privacy_api
from .recruitment.routes import api as recruitment_api
from .recruitment.routes import pages as recruitment_pages
from .scheduling.routes import api as scheduling_api
from .scheduling.routes import pages as scheduling_pages
from .selection.routes import api as selection_api
from .selection.routes import pages as selection_pages
from .test_design.routes import api as test_design_api
from .test_design.routes import pages as test_design_pages

main = Blueprint("main", __name__)

# The navigation of each role: (endpoint, label). The first entry is the role's
# home page. Entries whose endpoint is not registered are not shown.
NAVIGATION: dict[Role, list[tuple[str, Any]]] = {
    Role.CANDIDATE: [
        ("journey.my_applications", _l("Lamaran saya")),
        ("scheduling.choose_session", _l("Sesi ujian")),
        ("exam.test_page", _l("Ujian")),
        ("practice.practice_page", _l("Ujian latihan")),
        ("accounts.profile_page", _l("Profil")),
        ("accounts.documents_page", _l("Dokumen")),
        ("credentials.account_page", _l("Akun")),
    ],
    Role.ADMIN: [
        ("recruitment.admin_activities", _l("Kegiatan")),
        ("recruitment.admin_applications", _l("Seleksi administrasi")),
        ("feeds.admin_webhooks", _l("Webhook")),
        ("feeds.admin_api_keys", _l("Kunci API")),
        ("credentials.account_page", _l("Akun")),
    ],
    Role.AUTHOR: [
        ("authoring.question_list", _l("Bank soal")),
        ("authoring.categories_page", _l("Kategori")),
        ("authoring_transfer.import_page", _l("Impor & ekspor")),
        ("test_design.blueprint_list", _l("Kisi-kisi")),
        ("item_stats.overview", _l("Statistik butir")),
        ("credentials.account_page", _l("Akun")),
    ],
}


def navigation_for(role: Role) -> list[tuple[str, Any]]:
    return [(e, label) for e, label in NAVIGATION[role] if e in current_app.view_functions]


@main.route("/")
def home() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("home.html")


@main.route("/beranda")
def dashboard() -> Any:
    """The signed-in user's home: the first page of their role's navigation."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login_page"))
    if current_user.role == Role.CANDIDATE and exam.has_attempt_in_progress(current_user.id):
        return redirect(url_for("exam.test_page"))  # back to the running test, at once
    entries = navigation_for(current_user.role)
    if entries:
        return redirect(url_for(entries[0][0]))
    return render_template("home.html")


@main.route("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return Response("ok", mimetype="text/plain")


@main.route("/readyz")
def readyz() -> Response:
    """Readiness: the database and Redis both answer."""
    db.session.execute(text("SELECT 1"))
    redis_store.client.ping()
    return Response("ready", mimetype="text/plain")


def register_blueprints(app: OpenAPI) -> None:
    app.register_blueprint(main)
    app.register_blueprint(accounts_pages)
    app.register_api(accounts_api)
    app.register_blueprint(credentials_pages)
    app.register_api(credentials_api)
    app.register_api(privacy_api)
    app.register_blueprint(recruitment_pages)
    app.register_api(recruitment_api)
    app.register_blueprint(journey_pages)
    app.register_api(journey_api)
    app.register_blueprint(scheduling_pages)
    app.register_api(scheduling_api)
    app.register_blueprint(exam_pages)
    app.register_api(exam_api)
    app.register_blueprint(practice_pages)
    app.register_api(practice_api)
    app.register_blueprint(feeds_pages)
    app.register_api(feeds_api)
    app.register_blueprint(selection_pages)
    app.register_api(selection_api)
    app.register_blueprint(authoring_pages)
    app.register_api(authoring_api)
    app.register_blueprint(authoring_transfer_pages)
    app.register_api(authoring_transfer_api)
    app.register_blueprint(test_design_pages)
    app.register_api(test_design_api)
    app.register_blueprint(item_stats_pages)
    app.register_api(item_stats_api)
    app.after_request(_end_transaction)


def _end_transaction(response: Response) -> Response:
    """The one place a request's work is committed (or, on an error, rolled back).

    A response that reports success is sent only after the commit succeeded:
    if the commit fails, the error handler answers instead.
    """
    if not session_has_work():
        return response
    if response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except SQLAlchemyError as error:
        # Raised here, after the view, Flask would answer a bare 500; the app's own
        # handlers turn a lost database connection into 503 database_unavailable.
        db.session.rollback()
        return current_app.make_response(current_app.handle_user_exception(error))
    return response


def register_template_helpers(app: Flask) -> None:
    # Times in the page's zone ("10-12-2026 09:00 WITA", core.clock): `t|local_time`,
    # `t|local_time(activity.office.zone)` where a page shows several offices' things,
    # `t|local_time(with_time=False)` for the date alone.
    app.jinja_env.filters["local_time"] = format_local
    # The page's zone: its name ("WITA") and its offset from UTC (exam.js shows times).
    app.jinja_env.globals["time_zone_name"] = lambda: zone_name(current_zone())
    app.jinja_env.globals["time_zone_offset"] = lambda: utc_offset_minutes(current_zone())
    app.jinja_env.filters["linked"] = linked
    # Numbers as Indonesians read them (core/formatting.py): `x|number` ("37,5",
    # "1.234", a score of 46.000 is "46"), `x|number(2)` (exactly two decimals),
    # `rate|percent` ("37,5%"), `seconds|minutes` ("60 menit").
    app.jinja_env.filters["number"] = number_text
    app.jinja_env.filters["percent"] = percent_text
    app.jinja_env.filters["minutes"] = minutes_text
    # `cell is decimal`: a score in a table of mixed cells (ids stay as they are).
    app.jinja_env.tests["decimal"] = lambda value: isinstance(value, Decimal | float)
    # Category names, not codes, where people read them: names = category_names(slugs).
    app.jinja_env.globals["category_names"] = category_names
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["navigation_for"] = navigation_for
