"""Where the public forms' rate limit counts, chosen by ``IRIS_RATE_LIMIT_STORE``: the
configured database (the default), Redis, or this process's memory. The database and Redis are
shared, so every instance counts against one limit.

A counter is a client's hits on a form in the current minute and in the minute before; each
hit adds one and reads both back in one atomic step (one SQL statement; one Redis
transaction), so requests arriving at once through different processes each count: nothing is
read, changed in Python and written back."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from sqlalchemy import bindparam, case, delete, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from iris_engine.errors import ConfigurationError
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import RateCount

__all__ = ["Counters", "DatabaseCounters", "MemoryCounters", "RedisCounters", "rate_limit_counters"]

#: counters of minutes long past are swept once every this many hits, by whichever instance
_SWEEP_EVERY = 500


class Counters(Protocol):
    async def hit(self, key: str, period: int) -> tuple[int, int]:
        """Count one hit on ``key`` in minute ``period``: the hits in that minute, this one
        included, and in the minute before."""

    async def close(self) -> None:
        """Let go of connections (the app's shutdown)."""


def _hit(insert: Any) -> Any:
    """Insert the counter, or move it on: in the same minute add one; in the next minute the
    current count becomes the one before; after a longer pause both start again. Every
    right-hand side reads the row as it was (SQL's UPDATE semantics on both databases)."""
    stmt = insert(RateCount).values(key=bindparam("key"), period=bindparam("period"), hits=1,
                                    hits_before=0)
    table = RateCount.__table__  # type: ignore[attr-defined]
    period, hits = table.c.period, table.c.hits
    now = stmt.excluded.period
    return stmt.on_conflict_do_update(index_elements=["key"], set_={
        "period": now,
        "hits": case((period == now, hits + 1), else_=literal_column("1")),
        "hits_before": case((period == now, table.c.hits_before),
                            (period == now - 1, hits), else_=literal_column("0")),
    }).returning(table.c.hits, table.c.hits_before)


_HIT = {True: _hit(sqlite.insert), False: _hit(postgresql.insert)}
_SWEEP = delete(RateCount).where(col(RateCount.period) < bindparam("before"))


class DatabaseCounters:
    """Counters in the ``rate_count`` table: a hit is one statement, committed alone."""

    __slots__ = ("_db", "_hits")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._hits = 0

    async def hit(self, key: str, period: int) -> tuple[int, int]:
        row = await self._db.write_one(_HIT[self._db.is_sqlite], {"key": key, "period": period})
        assert row is not None  # RETURNING answers the row it wrote
        self._hits += 1
        if self._hits % _SWEEP_EVERY == 0:  # minutes that no longer count
            await self._db.write_one(_SWEEP, {"before": period - 1})
        return row.hits, row.hits_before

    async def close(self) -> None:
        """The database is the app's, closed with it."""


class MemoryCounters:
    """Counters in this process (IRIS_RATE_LIMIT_STORE=memory): each instance counts alone."""

    __slots__ = ("_counts", "_lock", "_swept")

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int, int]] = {}
        self._lock = asyncio.Lock()
        self._swept = 0

    async def hit(self, key: str, period: int) -> tuple[int, int]:
        async with self._lock:
            if period != self._swept:  # once a minute: forget the minutes that no longer count
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= period - 1}
                self._swept = period
            then, hits, before = self._counts.get(key, (period, 0, 0))
            if then == period - 1:
                hits, before = 0, hits
            elif then != period:
                hits, before = 0, 0
            self._counts[key] = (period, hits + 1, before)
            return hits + 1, before

    async def close(self) -> None:
        self._counts.clear()


class RedisCounters:
    """Counters in Redis: one key per client and minute, counted with INCR and expired after
    two minutes; the hit and the read of the minute before go in one MULTI/EXEC."""

    __slots__ = ("_redis",)

    def __init__(self, url: str) -> None:
        try:
            from redis.asyncio import Redis
        except ImportError:
            raise ConfigurationError("IRIS_RATE_LIMIT_STORE=redis needs the redis package: "
                                     "pip install 'iris-engine[redis]'") from None
        self._redis = Redis.from_url(url)

    async def hit(self, key: str, period: int) -> tuple[int, int]:
        now, before = f"IRIS_RATE_LIMIT:{key}:{period}", f"IRIS_RATE_LIMIT:{key}:{period - 1}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(now)
            pipe.expire(now, 120)
            pipe.get(before)
            hits, _, earlier = await pipe.execute()
        return int(hits), int(earlier or 0)

    async def close(self) -> None:
        await self._redis.aclose()


def rate_limit_counters(settings: Settings, db: Database) -> Counters:
    """The counters ``IRIS_RATE_LIMIT_STORE`` names (settings have checked the name)."""
    if settings.rate_limit_store == "redis":
        return RedisCounters(settings.redis_url)
    if settings.rate_limit_store == "memory":
        return MemoryCounters()
    return DatabaseCounters(db)
