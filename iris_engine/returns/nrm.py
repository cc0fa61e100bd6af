"""The National Referral Mechanism status: recorded with its history (each change is an event
of the case's chain), shown to those who reach the case, never a gate (DOMAIN.md)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from iris_engine.cases import TransitionContext
from iris_engine.returns.models import ReturnCase
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.effect("record_nrm_status")
async def record_nrm_status(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    case.nrm_status = ctx.request.data["status"]
    decided_on = ctx.request.data.get("decided_on")
    case.nrm_status_at = (datetime.combine(datetime.fromisoformat(decided_on).date(), time(),
                                           tzinfo=UTC) if decided_on else ctx.now)
