"""The rate limiter's database store (``IRIS_RATE_LIMIT_STORE=database``, the default), on each
database through a real connection: a counted request writes its counter as one statement,
committed alone (no BEGIN and COMMIT round trips, issue #14), and the store still keeps,
replaces, expires and sweeps what it holds; on SQLite a write waits its turn behind this
process's write transaction instead of failing or slipping into it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from iris_engine.store.models import StoreEntry
from iris_engine.web import stores
from iris_engine.web.stores import DatabaseStore
from tests.integration.conftest import World, statements


async def test_a_counter_is_one_statement_and_is_kept_replaced_and_expired(world: World) -> None:
    store = DatabaseStore(world.services.db, namespace="probe")
    with statements(world) as seen:
        await store.set("203.0.113.9", b"[1]", expires_in=60)
    assert len(seen) == 1 and seen[0].startswith("INSERT INTO store_entry"), seen
    assert "ON CONFLICT" in seen[0]
    assert await store.get("203.0.113.9") == b"[1]"

    await store.set("203.0.113.9", "[1,2]", expires_in=timedelta(seconds=60))
    assert await store.get("203.0.113.9") == b"[1,2]"
    assert 55 <= (await store.expires_in("203.0.113.9") or 0) <= 60

    await store.set("gone", b"x", expires_in=timedelta(seconds=-1))  # already past
    assert await store.get("gone") is None
    await store.set("forever", b"y")
    assert await store.get("forever") == b"y" and await store.expires_in("forever") is None

    # another instance over the same database reads what this one wrote
    other = DatabaseStore(world.services.db, namespace="probe")
    assert await other.get("203.0.113.9") == b"[1,2]"
    assert await DatabaseStore(world.services.db, namespace="elsewhere").get("203.0.113.9") is None


async def test_renewing_and_deleting_are_one_statement_each(world: World) -> None:
    """Every other operation on a key is one statement committed alone as well: a read that
    renews the expiry, a delete, and a delete of the store's whole namespace (which leaves
    another namespace's entries)."""
    store = DatabaseStore(world.services.db, namespace="probe")
    other = DatabaseStore(world.services.db, namespace="elsewhere")
    await store.set("a", b"1", expires_in=5)
    await store.set("b", b"2", expires_in=60)
    await other.set("a", b"3", expires_in=60)

    with statements(world) as seen:
        assert await store.get("a", renew_for=timedelta(seconds=600)) == b"1"
    assert [s.split(" ")[0] for s in seen] == ["SELECT", "UPDATE"], seen
    assert 590 <= (await store.expires_in("a") or 0) <= 600

    with statements(world) as seen:
        await store.delete("a")
    assert len(seen) == 1 and seen[0].startswith("DELETE FROM store_entry"), seen
    assert await store.get("a") is None and await store.get("b") == b"2"

    with statements(world) as seen:
        await store.delete_all()
    assert len(seen) == 1 and seen[0].startswith("DELETE FROM store_entry"), seen
    assert await store.get("b") is None and await other.get("a") == b"3"


async def test_expired_counters_are_swept_by_the_writes(world: World,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store = DatabaseStore(world.services.db, namespace="sweep")
    monkeypatch.setattr(stores, "_SWEEP_EVERY", 4)
    for n in range(3):
        await store.set(f"old{n}", b"x", expires_in=timedelta(seconds=-1))
    await store.set("fresh", b"y", expires_in=60)  # the fourth write sweeps
    async with world.services.db.read() as session:
        keys = set(await session.scalars(select(StoreEntry.key).where(
            StoreEntry.key.startswith("sweep:"))))
    assert keys == {"sweep:fresh"}


async def test_counters_written_at_once_all_land_beside_a_write_transaction(world: World) -> None:
    db = world.services.db
    store = DatabaseStore(db, namespace="burst")
    holding = asyncio.Event()

    async def transaction() -> None:
        async with db.write() as session:
            await session.execute(text("SELECT 1"))
            holding.set()
            await asyncio.sleep(0.2)  # the counters are asked for meanwhile

    async def counters() -> None:
        await holding.wait()
        await asyncio.gather(*(store.set(f"client{n}", str(n), expires_in=60) for n in range(20)))

    await asyncio.gather(transaction(), counters())
    async with db.read() as session:
        landed = await session.scalar(select(func.count()).select_from(StoreEntry).where(
            StoreEntry.key.startswith("burst:")))
    assert landed == 20
    assert [await store.get(f"client{n}") for n in (0, 19)] == [b"0", b"19"]
