"""an office's time zone (WIB, WITA or WIT)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen here: the zones an office may have when this revision was written.
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


def upgrade():
    # A column-level CHECK, so that SQLite can add it without rebuilding the table;
    # every existing office gets WIB, the zone everything was shown in until now.
    op.add_column(
        "offices",
        sa.Column(
            "timezone",
            sa.String(length=32),
            sa.CheckConstraint(
                "timezone IN ({})".format(", ".join(f"'{zone}'" for zone in ZONES)),
                name=op.f("ck_offices_timezone_known"),
            ),
            server_default="Asia/Jakarta",
            nullable=False,
        ),
    )


def downgrade():
    # SQLite rebuilds the table: the CHECK naming the column must go first.
    with op.batch_alter_table("offices") as batch_op:
        batch_op.drop_constraint(op.f("ck_offices_timezone_known"), type_="check")
        batch_op.drop_column("timezone")
