"""Appeals and licences (issue #11, items 4 and 5): the public roster says when a suspension
or withdrawal is under appeal (never why), and an accreditation remembers until when the
information a scheme manager asked for is due

Existing roster entries and changes are not under appeal (no appeal existed before).

Revision ID: 0011
Revises: 0012 (the lead re-chains at merge)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('roster_entry', 'roster_change'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            # the server default fills the rows that exist; new rows get theirs from the model
            batch_op.add_column(sa.Column('under_appeal', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('under_appeal', server_default=None)
    with op.batch_alter_table('accreditation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('information_due', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accreditation', schema=None) as batch_op:
        batch_op.drop_column('information_due')
    for table in ('roster_change', 'roster_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('under_appeal')
