"""Monitoring reports at 3, 6 and 12 months after arrival (owner: plan helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.guard("monitoring_report_valid")
async def monitoring_report_valid(ctx: TransitionContext) -> None:
    raise NotImplementedError("monitoring_report_valid: PENDING")


@hooks.effect("record_monitoring_report")
async def record_monitoring_report(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_monitoring_report: PENDING")


@hooks.guard("monitoring_complete")
async def monitoring_complete(ctx: TransitionContext) -> None:
    raise NotImplementedError("monitoring_complete: PENDING")
