"""Migration 0009: webhooks that were active before challenges existed were never verified;
upgrading makes them pending and queues their challenge. Nothing else changes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from iris_engine.migrations import upgrade

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


async def _run(url: str, statements: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            results = []
            for sql, params in statements:
                result = await conn.execute(text(sql), params)
                results.append(result.all() if result.returns_rows else None)
            return results
    finally:
        await engine.dispose()


def _utc(value: datetime | str) -> datetime:
    """A stored time as read without the ORM (SQLite: text; PostgreSQL: a datetime)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_active_webhooks_are_challenged_once_on_upgrade(empty_database: str) -> None:
    upgrade(empty_database, "0004")
    rows = {"now": NOW}
    subscriptions = [
        (1, "webhook", "https://hooks.example.org/a", "active"),
        (2, "webhook", "https://hooks.example.org/b", "cancelled"),
        (3, "email", "someone@example.org", "active"),
        (4, "email", "other@example.org", "pending"),
    ]
    asyncio.run(_run(empty_database, [
        ("INSERT INTO case_file (id, workflow, workflow_version, state, revision, head_hash, "
         "created_at, updated_at) VALUES (1, 'accreditation', 1, 'accredited', 0, '', :now, :now)",
         rows),
        ("INSERT INTO roster_entry (lrn, case_id, name, name_key, country, countries, status, "
         "accredited_on, valid_until, status_since, updated_at) VALUES ('LRN1', 1, "
         "'Everest Fair Recruitment', 'everest fair recruitment', 'NP', 'NP', 'accredited', "
         ":day, :day, :day, :now)", {"now": NOW, "day": NOW.date()}),
        *[("INSERT INTO subscription (id, lrn, channel, target, token_hash, status, created_at) "
           "VALUES (:id, 'LRN1', :channel, :target, :hash, :status, :now)",
           {"id": i, "channel": c, "target": t, "hash": f"{i:064d}", "status": s, "now": NOW})
          for i, c, t, s in subscriptions],
    ]))
    before = datetime.now(UTC)
    upgrade(empty_database, "0009")
    after = datetime.now(UTC)

    subs, messages = asyncio.run(_run(empty_database, [
        ("SELECT id, status, verify_by FROM subscription ORDER BY id", {}),
        ("SELECT subscription_id, channel, destination, topic, status, attempts, payload, "
         "idempotency_key FROM outbox_message", {}),
    ]))
    assert [(i, s) for i, s, _ in subs] == [(1, "pending"), (2, "cancelled"), (3, "active"),
                                           (4, "pending")]
    verify_by = _utc(subs[0][2])
    assert before + timedelta(days=7) <= verify_by <= after + timedelta(days=7)
    assert [s[2] for s in subs[1:]] == [None, None, None]
    [(sub_id, channel, destination, topic, status, attempts, payload, key)] = messages
    assert (sub_id, channel, destination, topic, status, attempts) == (
        1, "webhook", "https://hooks.example.org/a", "webhook.verify", "pending", 0)
    payload = payload if isinstance(payload, dict) else json.loads(payload)
    assert payload["id"] == key and payload["type"] == "webhook.verify"
    assert len(payload["data"]["challenge"]) >= 32 and payload["data"]["lrn"] == "LRN1"
    assert _utc(payload["data"]["verify_by"]) == verify_by
