"""practice questions, and the candidate's result per category

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('practice', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('explanation', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_questions_practice'), ['practice'], unique=False)

    # The scores per category as published (the attempt may be regraded later).
    with op.batch_alter_table('selection_outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_scores', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('selection_outcomes', schema=None) as batch_op:
        batch_op.drop_column('category_scores')

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_practice'))
        batch_op.drop_column('explanation')
        batch_op.drop_column('practice')
