"""Counting failed attempts (wrong access codes, wrong passwords) per key, in the database so that
every instance sees the same count and a restart does not reset it.

A key is something an attacker would vary or hold fixed: the reference or account they try
(hashed, whether or not it exists, so the count itself says nothing about existence) and the
client. Each key has its ``Limit``: a few free failures, then a lock-out that grows with each
further failure but never past a bound, so failing on purpose cannot lock anyone out for long.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.clock import Clock
from iris_engine.errors import TooManyAttempts
from iris_engine.store.db import Database
from iris_engine.store.models import Throttle

__all__ = ["FailureCounter", "Limit", "throttle_key"]


def throttle_key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


@dataclass(frozen=True, slots=True)
class Limit:
    """``free`` failures within ``window`` seconds (counted from the first) cost nothing; each
    further one locks the key for ``first`` seconds, doubling with each failure, at most
    ``longest``."""

    free: int
    first: float
    longest: float
    window: float

    @classmethod
    def lockout(cls, free: int, seconds: float) -> Limit:
        """A fixed lock-out: ``free`` failures, then ``seconds`` locked, counted over as long."""
        return cls(free=free, first=seconds, longest=seconds, window=seconds)

    def lock_for(self, failures: int) -> timedelta | None:
        if failures < self.free:
            return None
        doublings = min(failures - self.free, 40)  # past the bound long before; no overflow
        return timedelta(seconds=min(self.first * (1 << doublings), self.longest))


class FailureCounter:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def check(self, session: AsyncSession, keys: list[str]) -> None:
        """Refuse (429, Retry-After) while any of ``keys`` is locked out (read in the caller's
        session, beside what the attempt itself reads)."""
        now = self.clock()
        blocked = (await session.scalars(select(col(Throttle.blocked_until)).where(
            col(Throttle.key).in_(keys), col(Throttle.blocked_until) > now))).all()
        until = max((moment for moment in blocked if moment is not None), default=None)
        if until is not None:
            wait = max(math.ceil((until - now).total_seconds()), 1)
            raise TooManyAttempts(f"too many failed attempts; try again in {wait} seconds",
                                  retry_after=wait)

    async def fail(self, limits: Mapping[str, Limit]) -> None:
        """Count one failure under each key; a key past its free failures is locked out."""
        now = self.clock()
        async with self.db.write() as session:
            for key, limit in sorted(limits.items()):
                failures = await self._count(session, key, limit, now)
                lock = limit.lock_for(failures)
                if lock is not None:
                    await session.execute(update(Throttle).where(col(Throttle.key) == key)
                                          .values(blocked_until=now + lock))

    async def clear(self, keys: list[str]) -> None:
        """Forget the failures under ``keys`` (an account's, after a successful log-in)."""
        async with self.db.write() as session:
            await session.execute(delete(Throttle).where(col(Throttle.key).in_(keys)))

    async def _count(self, session: AsyncSession, key: str, limit: Limit, now: datetime) -> int:
        # one atomic upsert: two instances counting at once both count
        insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
                  else sqlite.insert)
        stale = col(Throttle.window_start) < now - timedelta(seconds=limit.window)
        stmt = insert(Throttle).values(key=key, window_start=now, failures=1).on_conflict_do_update(
            index_elements=["key"],
            set_={"failures": case((stale, 1), else_=col(Throttle.failures) + 1),
                  "window_start": case((stale, now), else_=col(Throttle.window_start))},
        ).returning(col(Throttle.failures))
        return int((await session.execute(stmt)).scalar_one())
