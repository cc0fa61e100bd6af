"""Reading timer rows for people (``iris timers list``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.store.models import Timer

__all__ = ["STATUSES", "list_timers"]

STATUSES = ("pending", "done", "cancelled", "discarded")


async def list_timers(session: AsyncSession, *, status: str, case_id: int | None = None,
                      limit: int = 50) -> list[Timer]:
    """Timers in ``status`` (of one case, if given), soonest due first."""
    stmt = select(Timer).where(col(Timer.status) == status).order_by(col(Timer.due_at)).limit(limit)
    if case_id is not None:
        stmt = stmt.where(col(Timer.case_id) == case_id)
    return list((await session.scalars(stmt)).all())
