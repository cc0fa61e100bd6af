"""Writing, listing and re-driving outbox rows (delivery is in ``relay``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.store.db import insert_in
from iris_engine.store.models import OutboxMessage

__all__ = ["ERASED_DESTINATION", "STATUSES", "authority_secret_place", "enqueue",
           "enqueue_rows", "forget_recipient", "list_messages", "message_row", "redrive",
           "subscription_secret_place"]

STATUSES = ("pending", "delivered", "dead")
#: where a message to an erased address now says it went
ERASED_DESTINATION = "(erased)"

_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_INSERT = insert(_OUTBOX)


def subscription_secret_place(subscription_id: int) -> str:
    """Where a subscription's sealed webhook secret lives."""
    return f"subscription:{subscription_id}:secret"


def authority_secret_place(authority_id: int) -> str:
    """Where an authority's sealed webhook secret lives (the vault binds it to this)."""
    return f"authority:{authority_id}:webhook_secret"


def message_row(*, channel: str, destination: str, topic: str, payload: dict[str, Any],
                now: datetime, subscription_id: int | None = None,
                authority_id: int | None = None, case_id: int | None = None) -> dict[str, Any]:
    """The outbox row of one message, as column values (``enqueue`` and ``enqueue_rows``)."""
    assert channel in {"email", "webhook"}, channel
    key = uuid.uuid4().hex
    if channel == "webhook":
        payload = {"id": key, "type": topic, **payload}
    return {"idempotency_key": key, "channel": channel, "destination": destination,
            "topic": topic, "payload": payload, "subscription_id": subscription_id,
            "authority_id": authority_id, "case_id": case_id, "status": "pending",
            "attempts": 0, "next_attempt_at": now, "claimed_by": None, "claimed_until": None,
            "last_error": None, "created_at": now, "delivered_at": None}


def enqueue(session: AsyncSession, *, channel: str, destination: str, topic: str,
            payload: dict[str, Any], now: datetime, subscription_id: int | None = None,
            authority_id: int | None = None, case_id: int | None = None) -> OutboxMessage:
    """Add a message to the caller's transaction: it exists only if that transaction commits."""
    row = OutboxMessage(**message_row(
        channel=channel, destination=destination, topic=topic, payload=payload, now=now,
        subscription_id=subscription_id, authority_id=authority_id, case_id=case_id))
    session.add(row)
    return row


async def enqueue_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Add messages (``message_row``) to the caller's transaction in one INSERT, without
    building a row object each or reading their ids back (what a notification needs)."""
    await insert_in(session, _INSERT, rows)


async def forget_recipient(session: AsyncSession, destination: str) -> int:
    """Erase an address from the outbox (a person's data erased at the end of retention):
    messages to it keep their topic and dates, lose the address and the text; one still
    pending is never sent. Answers how many messages were touched."""
    where = col(OutboxMessage.destination) == destination
    await session.execute(update(OutboxMessage).where(where, col(OutboxMessage.status) == "pending")
                          .values(status="dead", last_error="the recipient's data was erased"))
    result = await session.execute(update(OutboxMessage).where(where).values(
        destination=ERASED_DESTINATION, payload={"erased": True}))
    return int(result.rowcount)  # type: ignore[attr-defined]


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
