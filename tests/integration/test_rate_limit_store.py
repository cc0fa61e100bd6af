"""The public forms' rate-limit counters (``iris_engine.web.stores``), on each database through a
real connection, in Redis when it runs, and in memory: a hit is one statement committed alone
(issue #14), counts the minute and the minute before, and hits arriving at once, through
different instances, are each counted once (the limiter they replace read a list, changed it
in Python and wrote it back, so concurrent requests overwrote each other's counts)."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text

from iris_engine.store.db import Database
from iris_engine.store.models import RateCount
from iris_engine.web import stores
from iris_engine.web.stores import Counters, DatabaseCounters, MemoryCounters, RedisCounters
from tests.integration.conftest import World, statements

MINUTE = 29_000_000  # a minute's number since the epoch (2025)


async def test_a_hit_is_one_statement_that_counts_and_reads_back(world: World) -> None:
    counters = DatabaseCounters(world.services.db)
    with statements(world) as seen:
        assert await counters.hit("form:a", MINUTE) == (1, 0)
    assert len(seen) == 1 and seen[0].startswith("INSERT INTO rate_count"), seen
    assert "ON CONFLICT" in seen[0] and "RETURNING" in seen[0], seen
    with statements(world) as seen:
        assert await counters.hit("form:a", MINUTE) == (2, 0)
    assert len(seen) == 1, seen


async def _minutes(counters: Counters) -> None:
    """The same minute adds up; the next keeps the last as the minute before; a gap forgets."""
    key = f"form:{secrets.token_hex(4)}"
    assert [await counters.hit(key, MINUTE) for _ in range(3)] == [(1, 0), (2, 0), (3, 0)]
    assert await counters.hit(key, MINUTE + 1) == (1, 3)
    assert await counters.hit(key, MINUTE + 1) == (2, 3)
    assert await counters.hit(key, MINUTE + 2) == (1, 2)
    assert await counters.hit(key, MINUTE + 5) == (1, 0)
    assert await counters.hit(f"{key}-other", MINUTE + 5) == (1, 0)  # keys count alone


async def test_database_counters_follow_the_minutes(world: World) -> None:
    await _minutes(DatabaseCounters(world.services.db))
    # another instance over the same database counts on from what this one wrote
    counters = DatabaseCounters(world.services.db)
    await counters.hit("form:shared", MINUTE)
    assert await DatabaseCounters(world.services.db).hit("form:shared", MINUTE) == (2, 0)


async def test_memory_counters_follow_the_minutes() -> None:
    await _minutes(MemoryCounters())


@pytest.fixture
async def redis_counters() -> AsyncIterator[RedisCounters]:
    pytest.importorskip("redis", reason="the redis package is not installed")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    counters = RedisCounters("redis://127.0.0.1:6379/15")
    try:
        yield counters
    finally:
        await counters.close()


async def test_redis_counters_follow_the_minutes(redis_counters: RedisCounters) -> None:
    await _minutes(redis_counters)


async def test_hits_at_once_through_two_instances_are_each_counted_once(world: World) -> None:
    """Forty hits on one key at once, half through another instance with its own pool (a
    second process): each gets its own number, and the count ends at forty."""
    other = Database(world.settings)
    try:
        here, there = DatabaseCounters(world.services.db), DatabaseCounters(other)
        answers = await asyncio.gather(*(
            (here if n % 2 else there).hit("form:burst", MINUTE) for n in range(40)))
    finally:
        await other.dispose()
    assert sorted(hits for hits, _ in answers) == list(range(1, 41))
    async with world.services.db.read() as session:
        assert await session.scalar(select(RateCount.hits).where(RateCount.key == "form:burst")) == 40


async def test_hits_beside_a_write_transaction_all_land(world: World) -> None:
    """On SQLite a hit waits its turn behind this process's write transaction instead of
    failing or slipping into it."""
    db = world.services.db
    counters = DatabaseCounters(db)
    holding = asyncio.Event()

    async def transaction() -> None:
        async with db.write() as session:
            await session.execute(text("SELECT 1"))
            holding.set()
            await asyncio.sleep(0.2)  # the counters are hit meanwhile

    async def hits() -> list[tuple[int, int]]:
        await holding.wait()
        return await asyncio.gather(*(counters.hit(f"client{n}", MINUTE) for n in range(20)))

    _, answers = await asyncio.gather(transaction(), hits())
    assert answers == [(1, 0)] * 20


async def test_counters_of_minutes_past_are_swept_by_the_hits(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    counters = DatabaseCounters(world.services.db)
    monkeypatch.setattr(stores, "_SWEEP_EVERY", 4)
    await counters.hit("old", MINUTE - 5)
    await counters.hit("last-minute", MINUTE - 1)
    await counters.hit("now", MINUTE)
    await counters.hit("now", MINUTE)  # the fourth hit sweeps what no longer counts
    async with world.services.db.read() as session:
        keys = set(await session.scalars(select(RateCount.key)))
    assert keys == {"last-minute", "now"}
