"""Sharing a case with an origin-country partner (owner: disclosure helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.guard("partner_serves_country")
async def partner_serves_country(ctx: TransitionContext) -> None:
    raise NotImplementedError("partner_serves_country: PENDING")


@hooks.effect("record_partner")
async def record_partner(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_partner: PENDING")
