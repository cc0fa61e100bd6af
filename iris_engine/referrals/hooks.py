"""The referral workflow's effects and detail loader."""

from __future__ import annotations

from iris_engine.cases import HOOKS
from iris_engine.cases.service import register_detail
from iris_engine.referrals.models import Referral
from iris_engine.workflow import TransitionContext

__all__: list[str] = []


register_detail("referral", Referral)


@HOOKS.effect("record_acknowledgement")
async def record_acknowledgement(ctx: TransitionContext) -> None:
    ctx.detail.acknowledged_at = ctx.now
    if ctx.request.data.get("external_reference"):
        ctx.detail.external_reference = ctx.request.data["external_reference"]
    if ctx.detail.received_at is None:
        ctx.detail.received_at = ctx.now


@HOOKS.effect("record_referral_outcome")
async def record_referral_outcome(ctx: TransitionContext) -> None:
    ctx.detail.outcome = ctx.request.data["outcome"]
