"""Named sequences (the ``Counter`` table): LRNs, places in the certificates' status list."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.store.models import Counter

__all__ = ["next_counter"]


async def next_counter(session: AsyncSession, name: str, *, start: int) -> int:
    """Atomically take the next number of a named sequence (the row is locked until commit);
    the first number taken is ``start + 1``."""
    value = await session.scalar(
        update(Counter).where(col(Counter.name) == name)
        .values(value=col(Counter.value) + 1).returning(col(Counter.value))
    )
    if value is None:
        session.add(Counter(name=name, value=start + 1))
        await session.flush()
        return start + 1
    return int(value)
