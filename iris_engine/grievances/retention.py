"""Erasing a complainant's personal data at the end of the retention period.

The classification (corridor, allegations, principles, findings) stays: statistics and the
recruiter's record need it, and it identifies no one. A legal hold stops the erasure; the
workflow's ``retention_end`` timer fires it, through the normal pipeline, into the audit chain.
What is the grievance's own (identity, narrative, messages) it erases itself; the personal notes
of its events and of its referrals' events belong to the engine, which erases them when asked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col

from iris_engine.cases import TransitionContext
from iris_engine.disclosure.referring import ReferralDesk
from iris_engine.grievances.models import Grievance, GrievanceMessage

__all__ = ["purge"]


async def purge(ctx: TransitionContext) -> dict[str, Any]:
    """Erase identity, contact, narrative, message bodies and personal notes (the grievance's
    and its referrals'); answers what was erased."""
    grievance: Grievance = ctx.detail
    assert not grievance.legal_hold, "the caller checks the legal hold"
    erased: dict[str, Any] = {"identity": grievance.identity_sealed is not None,
                              "narrative": grievance.narrative_sealed is not None}
    grievance.identity_sealed = None
    grievance.narrative_sealed = None
    grievance.purged_at = ctx.now
    result = await ctx.session.execute(
        update(GrievanceMessage).where(col(GrievanceMessage.case_id) == grievance.case_id,
                                       col(GrievanceMessage.body_sealed).is_not(None))
        .values(body_sealed=None))
    erased["messages"] = result.rowcount  # type: ignore[attr-defined]
    referrals = await ctx.resources.get(ReferralDesk).of_case(ctx.session, grievance.case_id)
    erased["notes"] = await ctx.engine.erase_personal_notes(
        ctx.session, [grievance.case_id, *(r.case_id for r in referrals)])
    ctx.erased(Grievance.__tablename__, GrievanceMessage.__tablename__)
    return erased
