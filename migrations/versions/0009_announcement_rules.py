"""the announcement's rules as data: declarations at applying, printed documents,
decision deadline

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from exam_service.core.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

DECLARATIONS = (
    'not_civil_servant',
    'can_use_android',
    'can_use_computer',
    'owns_motorbike',
    'has_survey_experience',
    'no_other_contract',
)


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_deadline_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paper_documents_due_at', UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('applications', schema=None) as batch_op:
        for name in DECLARATIONS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('paper_documents_received_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paper_documents_received_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_applications_paper_documents_received_by_id_users',
            'users', ['paper_documents_received_by_id'], ['id'],
        )


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint('fk_applications_paper_documents_received_by_id_users', type_='foreignkey')
        batch_op.drop_column('paper_documents_received_by_id')
        batch_op.drop_column('paper_documents_received_at')
        for name in reversed(DECLARATIONS):
            batch_op.drop_column(name)

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('paper_documents_due_at')
        batch_op.drop_column('decision_deadline_at')
