"""The public forms' rate limit counts with one atomic statement (issue #14): ``rate_count``
holds, per form and hashed client address, the hits of the current minute and of the one
before (a sliding-window estimate). It replaces ``store_entry``, where Litestar's limiter read
a list of timestamps and wrote it back: two statements a request, and concurrent requests
through different processes could overwrite each other's counts.

What ``store_entry`` held is a minute's worth of counters: dropped, not carried over.

Revision ID: 0019
Revises: 0018
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_count',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('period', sa.BigInteger(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('hits_before', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('rate_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_count_period'), ['period'], unique=False)
    with op.batch_alter_table('store_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_entry_expires_at'))
    op.drop_table('store_entry')


def downgrade() -> None:
    op.create_table('store_entry',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('store_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_entry_expires_at'), ['expires_at'], unique=False)
    with op.batch_alter_table('rate_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_count_period'))
    op.drop_table('rate_count')
