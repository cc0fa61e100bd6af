"""The National Referral Mechanism status: recorded with its history (each change is an event
of the case's chain), shown to those who reach the case, never a gate (DOMAIN.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.models import ReturnCase
from iris_engine.workflow import HookRegistry

__all__ = ["NRM_FIRST_DAY", "hooks"]

hooks = HookRegistry()

#: the NRM began on 1 April 2009: a decision dated before it is a typing error
NRM_FIRST_DAY = date(2009, 4, 1)
_POINTER = "/data/decided_on"


def _decided_on(ctx: TransitionContext) -> date | None:
    value = ctx.request.data.get("decided_on")
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


@hooks.guard("nrm_decision_dated", reads_input=True)
async def nrm_decision_dated(ctx: TransitionContext) -> None:
    """A decision's date is a calendar date (the schema's ``format`` is not enforced), not in
    the future and not before the NRM existed."""
    if "decided_on" not in ctx.request.data:
        return
    decided = _decided_on(ctx)
    if decided is None:
        raise Refusal("the date of the NRM decision is a date, YYYY-MM-DD",
                      errors=[FieldError(_POINTER, "a calendar date, YYYY-MM-DD")])
    if decided > ctx.now.date():
        raise Refusal("an NRM decision is recorded once made: its date is not in the future",
                      errors=[FieldError(_POINTER, "not after today")])
    if decided < NRM_FIRST_DAY:
        raise Refusal(f"the NRM began on {NRM_FIRST_DAY:%d %B %Y}: check the year",
                      errors=[FieldError(_POINTER, f"on or after {NRM_FIRST_DAY.isoformat()}")])


@hooks.effect("record_nrm_status")
async def record_nrm_status(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    case.nrm_status = ctx.request.data["status"]
    decided = _decided_on(ctx)
    case.nrm_status_at = datetime.combine(decided, time(), tzinfo=UTC) if decided else ctx.now
