"""The end of a return case, its legal hold, and erasing the survivor's personal data at the
end of the retention period.

The retention timer (``retention_end``) counts from the transition that ended the case; its
moment is also kept as ``ended_at``, which statistics read. What is left after a purge is the
classification (nationality, stages, dates, services and costs, monitoring outcomes), which
identifies no one and which statistics need. A legal hold stops the purge; lifting it after the
period has run purges at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from iris_engine.cases import TransitionContext
from iris_engine.returns.models import MonitoringReport, ReturnCase, ReturnConsent
from iris_engine.workflow import HookRegistry
from iris_engine.workflow.spec import duration_setting

__all__ = ["ENDED_STATES", "hooks", "purge", "retention_over"]

hooks = HookRegistry()

#: the states the retention timer runs in (``workflows/return.yaml``)
ENDED_STATES = frozenset({"not_eligible", "not_advised", "withdrawn", "closed"})


@hooks.effect("record_end")
async def record_end(ctx: TransitionContext) -> None:
    ctx.detail.ended_at = ctx.now


def retention_over(ctx: TransitionContext, ended_at: datetime | None) -> bool:
    """Whether the retention period (setting ``records_retention``) has run since the end."""
    if ended_at is None:
        return False
    period = duration_setting(ctx.workflow_settings, "records_retention")
    end: datetime = ended_at + period
    if end.tzinfo is None and ctx.now.tzinfo is not None:  # SQLite gives naive UTC back
        end = end.replace(tzinfo=ctx.now.tzinfo)
    return end <= ctx.now


@hooks.effect("release_return_legal_hold")
async def release_return_legal_hold(ctx: TransitionContext) -> None:
    """Lift the hold; if the retention period ended meanwhile, the data goes now."""
    detail: ReturnCase = ctx.detail
    detail.legal_hold = False
    detail.legal_hold_reason = None
    if (ctx.case.state in ENDED_STATES and detail.purged_at is None
            and retention_over(ctx, detail.ended_at)):
        ctx.outcome["purged"] = await purge(ctx)


@hooks.effect("purge_return_personal_data")
async def purge_return_personal_data(ctx: TransitionContext) -> None:
    ctx.outcome["purged"] = await purge(ctx)


async def purge(ctx: TransitionContext) -> dict[str, Any]:
    """Erase identity, account, risk assessment form, consent witnesses, monitoring forms, and
    the personal notes and personal data fields of the case's events; answers what was erased.
    Their hash chain still verifies (the events keep their commitments)."""
    detail: ReturnCase = ctx.detail
    assert not detail.legal_hold, "the guard no_legal_hold comes first"
    case_id = detail.case_id
    erased: dict[str, Any] = {
        "identity": detail.identity_sealed is not None,
        "account": detail.narrative_sealed is not None,
        "risk_assessment": detail.risk_assessment_sealed is not None}
    detail.identity_sealed = None
    detail.narrative_sealed = None
    detail.risk_assessment_sealed = None
    detail.purged_at = ctx.now
    witnesses = await ctx.session.execute(
        update(ReturnConsent).where(col(ReturnConsent.case_id) == case_id,
                                    col(ReturnConsent.witness_sealed).is_not(None))
        .values(witness_sealed=None).execution_options(synchronize_session="fetch"))
    reports = await ctx.session.execute(
        update(MonitoringReport).where(col(MonitoringReport.case_id) == case_id,
                                       col(MonitoringReport.report_sealed).is_not(None))
        .values(report_sealed=None).execution_options(synchronize_session="fetch"))
    erased["witnesses"] = witnesses.rowcount  # type: ignore[attr-defined]
    erased["monitoring_reports"] = reports.rowcount  # type: ignore[attr-defined]
    erased["notes"] = await ctx.engine.erase_personal_notes(ctx.session, [case_id])
    ctx.erased(ReturnCase.__tablename__, ReturnConsent.__tablename__,
               MonitoringReport.__tablename__)
    return erased
