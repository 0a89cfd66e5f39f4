"""personal data: consent records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 03:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import exam_service.core.database


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('consented_at', exam_service.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consent_records_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_user_id'), ['user_id'], unique=False)

    # Consents given before this revision were kept on the user only: record them too.
    op.execute(
        "INSERT INTO consent_records (user_id, version, consented_at) "
        "SELECT id, consent_version, consent_at FROM users "
        "WHERE consent_version IS NOT NULL AND consent_at IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_user_id'))

    op.drop_table('consent_records')
