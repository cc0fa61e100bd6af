"""Reading timer rows for people (``iris timers list``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.store.models import Timer

__all__ = ["LIVE", "STATUSES", "list_timers"]

STATUSES = ("pending", "overdue", "done", "cancelled", "discarded")
#: the deadlines that still apply: due and told but not met (``overdue``), or not yet due;
#: in that order, the order My work ranks them in (``CaseService.waiting``)
LIVE = ("overdue", "pending")


async def list_timers(session: AsyncSession, *, status: str, case_id: int | None = None,
                      limit: int = 50) -> list[Timer]:
    """Timers in ``status`` (of one case, if given), soonest due first."""
    stmt = select(Timer).where(col(Timer.status) == status).order_by(col(Timer.due_at)).limit(limit)
    if case_id is not None:
        stmt = stmt.where(col(Timer.case_id) == case_id)
    return list((await session.scalars(stmt)).all())
