"""Writing, listing and re-driving outbox rows (delivery is in ``relay``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.store.models import OutboxMessage

__all__ = ["STATUSES", "authority_secret_place", "enqueue", "list_messages", "redrive",
           "subscription_secret_place"]

STATUSES = ("pending", "delivered", "dead")


def subscription_secret_place(subscription_id: int) -> str:
    """Where a subscription's sealed webhook secret lives."""
    return f"subscription:{subscription_id}:secret"


def authority_secret_place(authority_id: int) -> str:
    """Where an authority's sealed webhook secret lives (the vault binds it to this)."""
    return f"authority:{authority_id}:webhook_secret"


def enqueue(session: AsyncSession, *, channel: str, destination: str, topic: str,
            payload: dict[str, Any], now: datetime, subscription_id: int | None = None,
            authority_id: int | None = None, case_id: int | None = None) -> OutboxMessage:
    """Add a message to the caller's transaction: it exists only if that transaction commits."""
    assert channel in {"email", "webhook"}, channel
    key = uuid.uuid4().hex
    if channel == "webhook":
        payload = {"id": key, "type": topic, **payload}
    row = OutboxMessage(idempotency_key=key, channel=channel, destination=destination,
                        topic=topic, payload=payload, subscription_id=subscription_id,
                        authority_id=authority_id, case_id=case_id, next_attempt_at=now, created_at=now)
    session.add(row)
    return row


async def list_messages(session: AsyncSession, *, status: str | None = None,
                        limit: int = 50) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if status:
        stmt = stmt.where(col(OutboxMessage.status) == status)
    return list((await session.scalars(stmt)).all())


async def redrive(session: AsyncSession, ids: list[int] | None, *, now: datetime) -> list[int]:
    """Give dead messages (``ids``, or all of them) a fresh set of attempts, due now."""
    stmt = update(OutboxMessage).where(col(OutboxMessage.status) == "dead")
    if ids is not None:
        stmt = stmt.where(col(OutboxMessage.id).in_(ids))
    rows = await session.execute(
        stmt.values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None,
                    claimed_until=None).returning(col(OutboxMessage.id))
    )
    return sorted(r[0] or 0 for r in rows)  # a returned primary key is never NULL
