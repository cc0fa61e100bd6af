"""The referral workflow's effects and detail loader."""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()




@hooks.effect("record_acknowledgement")
async def record_acknowledgement(ctx: TransitionContext) -> None:
    ctx.detail.acknowledged_at = ctx.now
    if ctx.request.data.get("external_reference"):
        ctx.detail.external_reference = ctx.request.data["external_reference"]
    if ctx.detail.received_at is None:
        ctx.detail.received_at = ctx.now


@hooks.effect("record_referral_outcome")
async def record_referral_outcome(ctx: TransitionContext) -> None:
    ctx.detail.outcome = ctx.request.data["outcome"]
