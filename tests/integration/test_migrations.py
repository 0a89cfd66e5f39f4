"""The migrations build exactly the tables the models declare (no drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from exam_service.core.extensions import db


def test_the_migrated_schema_matches_the_models(app_ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, db.metadata)

    assert differences == []
