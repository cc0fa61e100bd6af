"""The reintegration plan's services (owner: plan helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.effect("add_service")
async def add_service(ctx: TransitionContext) -> None:
    raise NotImplementedError("add_service: PENDING")


@hooks.effect("update_service")
async def update_service(ctx: TransitionContext) -> None:
    raise NotImplementedError("update_service: PENDING")


@hooks.guard("service_of_case")
async def service_of_case(ctx: TransitionContext) -> None:
    raise NotImplementedError("service_of_case: PENDING")


@hooks.guard("service_consented")
async def service_consented(ctx: TransitionContext) -> None:
    raise NotImplementedError("service_consented: PENDING")
