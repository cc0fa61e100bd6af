"""A roster change names the case event that made it (issue #14): the change is numbered just
before its transaction commits, after the event was sealed into the hash chain, so the event
can no longer carry the change's number; the change carries the event's instead, and
``iris audit verify`` ties them that way. Changes made before keep NULL here (their events name
their ``seq``).

Adding nullable columns needs no table copy on SQLite (``ALTER TABLE ... ADD COLUMN``).

Revision ID: 0016
Revises: 0015
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('roster_change', sa.Column('case_id', sa.Integer(), nullable=True))
    op.add_column('roster_change', sa.Column('event_seq', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('roster_change', schema=None) as batch_op:
        batch_op.drop_column('event_seq')
        batch_op.drop_column('case_id')
