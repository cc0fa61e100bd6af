"""Travel documents, the journey, departure and arrival (issue items 1 and 7).

The journey's times come with their UTC offsets (RFC 3339) and are kept in UTC. Departure is
in the future when booked; arrival follows it within ``MAX_JOURNEY`` (a journey home from the
UK takes hours, a few days by land: a later arrival is a typing error that would put the
arrival deadline days out of reach). Once the survivor has left, the ``arrival_confirmation``
timer counts from the scheduled arrival (anchor ``scheduled_arrival``, plus the workflow's
``arrival_confirmation_grace``); a delay moves the scheduled arrival and restarts the timer
(``restart_on: [delay_arrival]``). The monitoring timers count from the confirmed arrival
(anchor ``arrival``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.models import ReturnCase, ReturnService
from iris_engine.workflow import HookRegistry

__all__ = ["MAX_JOURNEY", "hooks"]

hooks = HookRegistry()

#: the longest a journey home may take, from departure to arrival at the partner's reception
MAX_JOURNEY = timedelta(days=3)


def _aware(moment: datetime | None) -> datetime | None:
    """A stored moment as aware UTC (a database may hand it back without its zone)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _moment(ctx: TransitionContext, name: str) -> datetime:
    """The data's time ``name`` in UTC. The schema's pattern asks RFC 3339 with an offset (the
    ``date-time`` format alone is not checked); a day or hour that does not exist is refused."""
    try:
        # in UTC inside the try: 0001-01-01T00:00+14:00 is a real time with no UTC instant
        return datetime.fromisoformat(ctx.request.data[name]).astimezone(UTC)
    except (ValueError, OverflowError):
        raise Refusal(f"{ctx.request.data[name]!r} is not a time that exists",
                      errors=[FieldError(f"/data/{name}", "a real date and time, RFC 3339 with "
                                                          "its offset")]) from None


@hooks.guard("travel_documents_in_hand", reads_input=True)
async def travel_documents_in_hand(ctx: TransitionContext) -> None:
    """A delivered ``travel_documents`` service, or a valid document the survivor holds."""
    if ctx.request.data.get("holds_valid_document"):
        return
    delivered = await ctx.session.scalar(select(col(ReturnService.id)).where(
        col(ReturnService.case_id) == ctx.case.id, col(ReturnService.kind) == "travel_documents",
        col(ReturnService.status) == "delivered").limit(1))
    if delivered is None:
        raise Refusal("no travel documents in hand: deliver a travel_documents service "
                      "(update_service) or say the survivor holds a valid document",
                      errors=[FieldError("/data/holds_valid_document",
                                         "true, or a delivered travel_documents service")])


@hooks.guard("journey_sound", reads_input=True)
async def journey_sound(ctx: TransitionContext) -> None:
    departure, arrival = _moment(ctx, "departure_at"), _moment(ctx, "arrival_at")
    errors = []
    if departure <= ctx.now:
        errors.append(FieldError("/data/departure_at", "the departure must be in the future"))
    if arrival <= departure:
        errors.append(FieldError("/data/arrival_at", "the arrival must follow the departure"))
    elif arrival - departure > MAX_JOURNEY:
        errors.append(FieldError("/data/arrival_at", f"the arrival must be within "
                                                     f"{MAX_JOURNEY.days} days of the departure"))
    if errors:
        raise Refusal("the journey's times do not hold together: "
                      + "; ".join(e.message for e in errors), errors=errors)


@hooks.effect("record_journey")
async def record_journey(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    case.scheduled_departure_at = _moment(ctx, "departure_at")
    case.scheduled_arrival_at = _moment(ctx, "arrival_at")


@hooks.effect("record_departure")
async def record_departure(ctx: TransitionContext) -> None:
    ctx.detail.departed_at = ctx.now


@hooks.guard("arrival_after_departure", reads_input=True)
async def arrival_after_departure(ctx: TransitionContext) -> None:
    """A delayed or confirmed arrival follows the departure; a confirmed one has happened."""
    name = "arrived_at" if "arrived_at" in ctx.request.data else "arrival_at"
    if name not in ctx.request.data:
        return  # the schema asks for it
    moment = _moment(ctx, name)
    departed_at = _aware(ctx.detail.departed_at)
    pointer = f"/data/{name}"
    if departed_at is not None and moment <= departed_at:
        raise Refusal(f"the arrival must follow the departure ({departed_at:%d %B %Y %H:%M} UTC)",
                      errors=[FieldError(pointer, "after the departure")])
    if name == "arrived_at" and moment > ctx.now:
        raise Refusal("an arrival is confirmed once it has happened",
                      errors=[FieldError(pointer, "not in the future")])


@hooks.effect("record_delay")
async def record_delay(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    case.scheduled_arrival_at = _moment(ctx, "arrival_at")


@hooks.effect("record_arrival")
async def record_arrival(ctx: TransitionContext) -> None:
    ctx.detail.arrived_at = _moment(ctx, "arrived_at")


@hooks.effect("count_return_escalation")
async def count_return_escalation(ctx: TransitionContext) -> None:
    ctx.detail.escalations += 1


@hooks.anchor("scheduled_arrival")
async def scheduled_arrival(ctx: TransitionContext) -> datetime | None:
    return _aware(ctx.detail.scheduled_arrival_at)


@hooks.anchor("arrival")
async def arrival(ctx: TransitionContext) -> datetime | None:
    return _aware(ctx.detail.arrived_at)
