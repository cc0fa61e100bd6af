"""Erasing a complainant's personal data at the end of the retention period.

The classification (corridor, allegations, principles, findings) stays: statistics and the
recruiter's record need it, and it identifies no one. A legal hold stops the erasure; the
workflow's ``retention_end`` timer fires it, through the normal pipeline, into the audit chain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.grievances.models import Grievance, GrievanceMessage

__all__ = ["purge"]


async def purge(session: AsyncSession, grievance: Grievance, now: datetime) -> dict[str, Any]:
    """Erase identity, contact, narrative and message bodies; answers what was erased."""
    assert not grievance.legal_hold, "the caller checks the legal hold"
    erased = {"identity": grievance.identity_sealed is not None,
              "narrative": grievance.narrative_sealed is not None}
    grievance.identity_sealed = None
    grievance.narrative_sealed = None
    grievance.purged_at = now
    result = await session.execute(
        update(GrievanceMessage).where(col(GrievanceMessage.case_id) == grievance.case_id,
                                       col(GrievanceMessage.body_sealed).is_not(None))
        .values(body_sealed=None))
    erased["messages"] = result.rowcount  # type: ignore[attr-defined]
    return erased
