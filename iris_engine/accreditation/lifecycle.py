"""The certification cycle after the first accreditation: recertification in the last part of
a certificate's validity, restoration within a period after it expired (ISO/IEC 17021-1), both
keeping the organisation's LRN. The windows are the workflow's settings
(``recertification_window``, ``restoration_period``; ``windows``)."""

from __future__ import annotations

from datetime import date

from iris_engine.accreditation.hooks import add_years, hooks
from iris_engine.accreditation.models import Accreditation
from iris_engine.accreditation.windows import recertification_opens, restoration_ends
from iris_engine.cases import Refusal, TransitionContext

__all__ = ["extend_validity", "in_recertification_window", "restoration_period_over",
           "within_restoration_period"]


def _valid_until(ctx: TransitionContext) -> date:
    detail: Accreditation = ctx.detail
    assert detail.valid_until is not None, "only an accredited case has a certificate"
    return detail.valid_until


@hooks.guard("in_recertification_window")
async def in_recertification_window(ctx: TransitionContext) -> None:
    until, today = _valid_until(ctx), ctx.now.date()
    opens = recertification_opens(until, ctx.workflow_settings)
    if today < opens:
        raise Refusal(f"a renewal may be applied for in the last "
                      f"{ctx.workflow_settings.get('recertification_window', 'P1Y')} of the "
                      f"certificate (valid until {until.isoformat()}): from {opens.isoformat()}")
    if today > until:
        raise Refusal(f"the certificate ended on {until.isoformat()}: apply for restoration")


@hooks.guard("within_restoration_period")
async def within_restoration_period(ctx: TransitionContext) -> None:
    ends = restoration_ends(_valid_until(ctx), ctx.workflow_settings)
    if ctx.now.date() > ends:
        raise Refusal(f"the restoration period ended on {ends.isoformat()}; a new application "
                      "is needed (the organisation keeps its LRN)")


@hooks.guard("restoration_period_over")
async def restoration_period_over(ctx: TransitionContext) -> None:
    ends = restoration_ends(_valid_until(ctx), ctx.workflow_settings)
    if ctx.now.date() <= ends:
        raise Refusal(f"the restoration period runs until {ends.isoformat()}")


@hooks.effect("extend_validity")
async def extend_validity(ctx: TransitionContext) -> None:
    """A new cycle counted from the old end date, not from today: a renewal granted early
    loses no time and one granted after expiry (a restoration) gains none."""
    detail: Accreditation = ctx.detail
    previous = _valid_until(ctx)
    detail.valid_until = add_years(previous, int(ctx.workflow_settings.get("validity_years", 3)))
    ctx.outcome.update(lrn=detail.lrn, valid_until=detail.valid_until.isoformat(),
                       previous_valid_until=previous.isoformat())
