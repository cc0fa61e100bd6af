"""Consent per purpose: recorded, re-confirmed before travel, withdrawn (owner: intake helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.guard("consent_to_return")
async def consent_to_return(ctx: TransitionContext) -> None:
    raise NotImplementedError("consent_to_return: PENDING")


@hooks.guard("consent_complete")
async def consent_complete(ctx: TransitionContext) -> None:
    raise NotImplementedError("consent_complete: PENDING")


@hooks.effect("record_consent")
async def record_consent(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_consent: PENDING")


@hooks.effect("withdraw_consent")
async def withdraw_consent(ctx: TransitionContext) -> None:
    raise NotImplementedError("withdraw_consent: PENDING")


@hooks.guard("consent_reconfirmed")
async def consent_reconfirmed(ctx: TransitionContext) -> None:
    raise NotImplementedError("consent_reconfirmed: PENDING")


@hooks.guard("partner_consented")
async def partner_consented(ctx: TransitionContext) -> None:
    raise NotImplementedError("partner_consented: PENDING")


@hooks.effect("stop_disclosures")
async def stop_disclosures(ctx: TransitionContext) -> None:
    raise NotImplementedError("stop_disclosures: PENDING")
