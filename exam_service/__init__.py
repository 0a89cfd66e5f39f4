"""The competency-test service: `create_app` builds a configured application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask_login import current_user
from flask_openapi3 import Info, OpenAPI

from . import models  # noqa: F401  (registers every table)
from .accounts.auth import init_auth
from .commands import register_commands
from .core.clock import current_zone, set_zone_resolver
from .core.config import Config
from .core.database import configure_sqlite
from .core.errors import register_error_handlers, validation_error_response
from .core.extensions import babel, csrf, db, limiter, migrate, redis_store
from .core.observability import add_scrape_collector, init_observability
from .core.path_params import IdConverter
from .core.security import init_security
from .exam import frozen_forms
from .exam import metrics as exam_metrics
from .feeds import events as feed_events
from .journey import service as journey
from .notifications import service as notifications
from .scheduling import service as scheduling
from .views import register_blueprints, register_template_helpers

API_SECURITY_SCHEMES = {
    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
    "apiKey": {"type": "http", "scheme": "bearer"},
}


def create_app(config: Mapping[str, Any] | None = None) -> OpenAPI:
    """Build the app. `config` overrides settings read from the environment (tests)."""
    instance_path = os.environ.get("EXAM_INSTANCE_PATH") or None
    app = OpenAPI(
        __name__,
        instance_path=instance_path,
        info=Info(title="Seleksi Mitra Statistik - Ujian Kompetensi", version="1"),
        security_schemes=API_SECURITY_SCHEMES,
        doc_prefix="/api/v1",
        doc_ui=True,  # only the JSON document: no UI plugin is installed
        validation_error_callback=validation_error_response,
    )
    app.config.from_mapping(Config.from_env(Path(app.instance_path)).as_flask())
    # JSON keeps the documented field order, and a blueprint's categories the order
    # its author gave them (Flask sorts keys by default).
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if config:
        app.config.from_mapping(config)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    redis_store.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = redis_store.limiter_storage_uri()
    limiter.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "id", timezone_selector=lambda: current_zone().key)
    init_auth(app)
    init_security(app)
    init_observability(app)
    add_scrape_collector(app, exam_metrics.live_attempts)
    register_error_handlers(app)
    # Ids outside the columns' range in page paths match no route (`<id:...>`,
    # registered before the routes that use it); other malformed input is refused
    # by security._refuse_malformed_input.
    app.url_map.converters["id"] = IdConverter
    register_blueprints(app)
    register_template_helpers(app)
    register_commands(app)
    connect_domains()
    return app


def connect_domains() -> None:
    """Connect the higher domains' receivers to the lower domains' signals.

    A lower domain never imports a higher one (docs/architecture.md); where it
    must let one react or refuse, it sends a signal, and the wiring is here.
    Connecting twice is harmless (blinker keeps one connection per receiver).
    """
    scheduling.connect_signals()  # a booked application's decision is final
    frozen_forms.connect_signals()  # a drawn form freezes the test's shape
    feed_events.connect_signals()  # graded attempts and published results reach the feeds
    notifications.connect_signals()  # decisions, extra time and results reach the candidate
    # A page's times are shown in the zone of the person's office (core.clock).
    set_zone_resolver(lambda: journey.time_zone_of(current_user))
