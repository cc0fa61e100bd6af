"""Each roster entry says in which roster version it last changed (issue #14), so a process
whose cached pages are of an older version can tell which entries moved since, and drop only
the pages those entries can touch, instead of every page on every change.

Entries written before keep 0: no process caches across this upgrade (it restarts), so none
holds a page older than them. ``ADD COLUMN`` with a constant default needs no table copy on
SQLite, nor a rewrite on PostgreSQL 11+.

Revision ID: 0017
Revises: 0016
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('roster_entry', sa.Column('changed_in', sa.Integer(), nullable=False,
                                            server_default='0'))
    op.create_index('ix_roster_entry_changed_in', 'roster_entry', ['changed_in'])


def downgrade() -> None:
    op.drop_index('ix_roster_entry_changed_in', table_name='roster_entry')
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        batch_op.drop_column('changed_in')
