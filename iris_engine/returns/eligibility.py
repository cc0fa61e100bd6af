"""Eligibility as data: the workflow's eligible_nationalities (owner: intake helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.guard("nationality_eligible")
async def nationality_eligible(ctx: TransitionContext) -> None:
    raise NotImplementedError("nationality_eligible: PENDING")
