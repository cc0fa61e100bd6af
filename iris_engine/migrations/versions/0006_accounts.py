"""Accounts: token versions, confirmation of self-registered addresses, a key-value store for
rate limits shared by every instance (issue #10, items 6 and 11)

``app_user.token_version`` is bumped whenever who an account is changes (deactivation, roles,
password), which ends every access token issued before. ``app_user.confirmation_hash`` marks a
self-registered account that waits for its address to be confirmed. Existing accounts start at
version 0 and confirmed. ``store_entry`` backs Litestar's store for the rate limiter when
IRIS_RATE_LIMIT_STORE=database.

Revision ID: 0006
Revises: 0009 (numbered 0006 by the plan of issue #10; it runs after 0009)
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('store_entry',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('store_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_entry_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        # the server default fills the rows that exist; new rows get theirs from the model
        batch_op.add_column(sa.Column('token_version', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('confirmation_hash',
                                      sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column('token_version', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('confirmation_hash')
        batch_op.drop_column('token_version')

    with op.batch_alter_table('store_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_entry_expires_at'))

    op.drop_table('store_entry')
