"""Travel documents, the journey, departure and arrival (owner: plan helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from datetime import datetime

from iris_engine.cases import TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.guard("travel_documents_in_hand")
async def travel_documents_in_hand(ctx: TransitionContext) -> None:
    raise NotImplementedError("travel_documents_in_hand: PENDING")


@hooks.guard("journey_sound")
async def journey_sound(ctx: TransitionContext) -> None:
    raise NotImplementedError("journey_sound: PENDING")


@hooks.effect("record_journey")
async def record_journey(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_journey: PENDING")


@hooks.effect("record_departure")
async def record_departure(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_departure: PENDING")


@hooks.guard("arrival_after_departure")
async def arrival_after_departure(ctx: TransitionContext) -> None:
    raise NotImplementedError("arrival_after_departure: PENDING")


@hooks.effect("record_delay")
async def record_delay(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_delay: PENDING")


@hooks.effect("record_arrival")
async def record_arrival(ctx: TransitionContext) -> None:
    raise NotImplementedError("record_arrival: PENDING")


@hooks.effect("count_return_escalation")
async def count_return_escalation(ctx: TransitionContext) -> None:
    raise NotImplementedError("count_return_escalation: PENDING")


@hooks.anchor("scheduled_arrival")
async def scheduled_arrival(ctx: TransitionContext) -> datetime | None:
    raise NotImplementedError("scheduled_arrival: PENDING")


@hooks.anchor("arrival")
async def arrival(ctx: TransitionContext) -> datetime | None:
    raise NotImplementedError("arrival: PENDING")
