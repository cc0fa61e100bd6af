"""The joint risk assessment with the origin-country partner (owner: plan helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.guard("risk_assessment_valid")
async def risk_assessment_valid(ctx: TransitionContext) -> None:
    raise NotImplementedError("risk_assessment_valid: PENDING")


@hooks.effect("record_risk_assessment")
async def record_risk_assessment(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_risk_assessment: PENDING")


@hooks.guard("risk_allows_return")
async def risk_allows_return(ctx: TransitionContext) -> None:
    raise NotImplementedError("risk_allows_return: PENDING")
