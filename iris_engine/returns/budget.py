"""A case's budget and a supervisor's approval beyond it (owner: plan helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.effect("fix_budget")
async def fix_budget(ctx: TransitionContext) -> None:
    raise NotImplementedError("fix_budget: PENDING")


@hooks.guard("within_budget")
async def within_budget(ctx: TransitionContext) -> None:
    raise NotImplementedError("within_budget: PENDING")


@hooks.effect("approve_budget_excess")
async def approve_budget_excess(ctx: TransitionContext) -> None:
    raise NotImplementedError("approve_budget_excess: PENDING")
