"""Legal hold, the end of a case, and erasure at the end of retention (owner: disclosure helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.effect("release_return_legal_hold")
async def release_return_legal_hold(ctx: TransitionContext) -> None:
    raise NotImplementedError("release_return_legal_hold: PENDING")


@hooks.effect("purge_return_personal_data")
async def purge_return_personal_data(ctx: TransitionContext) -> None:
    raise NotImplementedError("purge_return_personal_data: PENDING")


@hooks.effect("record_end")
async def record_end(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_end: PENDING")
