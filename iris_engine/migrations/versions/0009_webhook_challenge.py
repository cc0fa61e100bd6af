"""Webhook subscriptions answer a challenge before they become active (issue #10)

A webhook subscription used to be active from the moment anyone registered its URL. Now it
stays ``pending`` until the receiver echoes a signed challenge, by ``verify_by``. Webhooks that
were active before this revision were never verified: they become pending and are challenged
once, with a week to answer (a receiver that echoes it is active again at once).

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: how long a webhook active before this revision has to answer its first challenge
_GRACE = timedelta(days=7)

_subscription = sa.table(
    'subscription', sa.column('id', sa.Integer), sa.column('lrn', sa.String),
    sa.column('channel', sa.String), sa.column('target', sa.String),
    sa.column('status', sa.String), sa.column('verify_by', sqlmodel.sql.sqltypes.UTCDateTime()))
_roster_entry = sa.table('roster_entry', sa.column('lrn', sa.String), sa.column('name', sa.String))
_outbox = sa.table(
    'outbox_message', sa.column('idempotency_key', sa.String), sa.column('channel', sa.String),
    sa.column('destination', sa.String), sa.column('topic', sa.String),
    sa.column('payload', sa.JSON), sa.column('subscription_id', sa.Integer),
    sa.column('status', sa.String), sa.column('attempts', sa.Integer),
    sa.column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column('created_at', sqlmodel.sql.sqltypes.UTCDateTime()))


def upgrade() -> None:
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_by', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    bind = op.get_bind()
    now = datetime.now(UTC)
    verify_by = now + _GRACE
    active = bind.execute(
        sa.select(_subscription.c.id, _subscription.c.lrn, _subscription.c.target,
                  _roster_entry.c.name)
        .join(_roster_entry, _roster_entry.c.lrn == _subscription.c.lrn)
        .where(_subscription.c.channel == 'webhook', _subscription.c.status == 'active')
    ).all()
    for sub_id, lrn, target, name in active:
        bind.execute(_subscription.update().where(_subscription.c.id == sub_id)
                     .values(status='pending', verify_by=verify_by))
        key = uuid.uuid4().hex
        # the message iris_engine.roster.subscriptions queues for a new webhook
        bind.execute(_outbox.insert().values(
            idempotency_key=key, channel='webhook', destination=target, topic='webhook.verify',
            subscription_id=sub_id, status='pending', attempts=0, next_attempt_at=now,
            created_at=now, payload={
                'id': key, 'type': 'webhook.verify', 'data': {
                    'challenge': secrets.token_urlsafe(32), 'lrn': lrn, 'name': name,
                    'verify_by': verify_by.isoformat(),
                    'answer': 'HTTP 2xx with the JSON body {"challenge": "<data.challenge>"}'}}))


def downgrade() -> None:
    # a webhook that answered is active either way; pending and expired ones stay so, unsent
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_column('verify_by')
