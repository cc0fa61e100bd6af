"""The National Referral Mechanism status, recorded with its history, never a gate (owner: intake helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.effect("record_nrm_status")
async def record_nrm_status(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_nrm_status: PENDING")
