"""mail outbox, notices, password reset and e-mail change tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import exam_service.core.database


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UTC = exam_service.core.database.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('outgoing_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('message', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTC, nullable=True),
    sa.Column('sent_at', UTC, nullable=True),
    sa.Column('given_up_at', UTC, nullable=True),
    sa.Column('last_error', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mails'))
    )
    with op.batch_alter_table('outgoing_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_mails_next_attempt_at'), ['next_attempt_at'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_user_id'), ['user_id'], unique=False)

    op.create_table('password_reset_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('expires_at', UTC, nullable=False),
    sa.Column('used_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_reset_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_tokens_token_hash'))
    )
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('email_change_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('new_email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('expires_at', UTC, nullable=False),
    sa.Column('used_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_change_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_change_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_change_tokens_token_hash'))
    )
    with op.batch_alter_table('email_change_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_change_tokens_user_id'), ['user_id'], unique=False)


def downgrade():
    for table in ('email_change_tokens', 'password_reset_tokens', 'notices'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_user_id'))
        op.drop_table(table)
    with op.batch_alter_table('outgoing_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_mails_next_attempt_at'))
    op.drop_table('outgoing_mails')
