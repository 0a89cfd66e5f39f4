"""sessions on the day: accommodations per booking, reopened attempts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from exam_service.core.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accommodations',
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('booking_id')
    )
    op.create_table('attempt_reopenings',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('previous_deadline', UTCDateTime(timezone=True), nullable=False),
    sa.Column('previous_finished_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], ),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('attempt_id')
    )


def downgrade():
    op.drop_table('attempt_reopenings')
    op.drop_table('accommodations')
