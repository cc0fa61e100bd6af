"""Audit anchors, and subscriptions to a topic other than a recruiter's status (issue #10)

``audit_anchor`` numbers the anchors taken and serves the latest (the anchors themselves live
in files outside the database). A subscription now names its ``topic``; one to the audit
anchors names no recruiter, so ``lrn`` may be empty. Existing subscriptions are all to a
recruiter's status.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_anchor',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('taken_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('heads_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=50),
                                      nullable=False, server_default='roster.status_changed'))
        batch_op.alter_column('lrn', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              nullable=True)
    # the default only filled the rows there were; the application always names the topic
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.alter_column('topic', existing_type=sqlmodel.sql.sqltypes.AutoString(length=50),
                              server_default=None)
        batch_op.create_index(batch_op.f('ix_subscription_topic'), ['topic'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM outbox_message WHERE subscription_id IN "
               "(SELECT id FROM subscription WHERE lrn IS NULL)")
    op.execute("DELETE FROM subscription WHERE lrn IS NULL")
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_topic'))
        batch_op.alter_column('lrn', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              nullable=False)
        batch_op.drop_column('topic')
    op.drop_table('audit_anchor')
