"""The reintegration plan's services (issue item 6): each with its provider, status and costs.

A service is planned (``plan_service``), then booked, delivered or cancelled
(``update_service``, with the actual cost once known). Booking tells the provider who the
survivor is, so it needs the survivor's standing consent to share with services of that kind
(``consent.consented_services``); delivering or cancelling tells nobody anything new and needs
none. A cancelled service is final; a delivered one may only have its actual cost corrected.
Costs are integers in minor units of the case's currency, so sums are exact on both databases.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.consent import consented_services
from iris_engine.returns.models import ReturnCase, ReturnService
from iris_engine.workflow import HookRegistry

__all__ = ["amount_text", "cost_of", "hooks", "minor_units", "requested_service",
           "services_of"]

hooks = HookRegistry()


def minor_units(amount: str) -> int:
    """``"180.5"`` -> 18050: a decimal amount of the workflow's money pattern, in minor units."""
    return int(Decimal(amount).scaleb(2))


def amount_text(minor: int, currency: str) -> str:
    return f"{Decimal(minor).scaleb(-2):.2f} {currency}"


def cost_of(service: ReturnService) -> int:
    """What a service costs the budget: its actual cost where known, else the planned one."""
    if service.actual_cost_minor is not None:
        return service.actual_cost_minor
    return service.planned_cost_minor


async def services_of(session: AsyncSession, case_id: int) -> list[ReturnService]:
    rows = await session.scalars(select(ReturnService).where(
        col(ReturnService.case_id) == case_id).order_by(col(ReturnService.id)))
    return list(rows.all())


async def requested_service(ctx: TransitionContext) -> ReturnService | None:
    """The service ``/data/service_id`` names, when it is one of this case's."""
    service = await ctx.session.get(ReturnService, ctx.request.data.get("service_id"))
    if service is None or service.case_id != ctx.case.id:
        return None
    return service


@hooks.effect("add_service")
async def add_service(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    data = ctx.request.data
    row = ReturnService(case_id=case.case_id, kind=data["kind"], provider=data["provider"],
                        status="planned", planned_cost_minor=minor_units(data["planned_cost"]),
                        currency=case.currency, planned_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(row)
    await ctx.session.flush()
    ctx.outcome["service_id"] = row.id


@hooks.effect("update_service")
async def update_service(ctx: TransitionContext) -> None:
    service = await requested_service(ctx)
    assert service is not None  # service_of_case
    data = ctx.request.data
    service.status = data["status"]
    if "actual_cost" in data:
        service.actual_cost_minor = minor_units(data["actual_cost"])
    service.updated_at = ctx.now


@hooks.guard("service_of_case", reads_input=True)
async def service_of_case(ctx: TransitionContext) -> None:
    """The service is this case's, and its status may still change this way."""
    service = await requested_service(ctx)
    pointer = "/data/service_id"
    if service is None:
        raise Refusal(f"this case has no service {ctx.request.data.get('service_id')}",
                      errors=[FieldError(pointer, "not a service of this case")])
    status = ctx.request.data.get("status")
    if service.status == "cancelled":
        raise Refusal(f"the {service.kind} service was cancelled: plan it again instead",
                      errors=[FieldError(pointer, "a cancelled service does not change")])
    if service.status == "delivered" and status != "delivered":
        raise Refusal(f"the {service.kind} service was delivered; only its actual cost may "
                      "still be corrected (status delivered)",
                      errors=[FieldError("/data/status", "delivered")])


@hooks.guard("service_consented", reads_input=True)
async def service_consented(ctx: TransitionContext) -> None:
    """Booking tells the provider who the survivor is: only with their consent to that."""
    if ctx.request.data.get("status") != "booked":
        return
    service = await requested_service(ctx)
    if service is None:
        return  # service_of_case says so
    if service.kind not in await consented_services(ctx.session, ctx.case.id or 0):
        raise Refusal(f"booking the {service.kind} service tells its provider who the survivor "
                      "is: the survivor's consent to share with services naming "
                      f"{service.kind} is needed first (record_consent, purpose "
                      "share_with_services)",
                      errors=[FieldError("/data/status", f"no standing consent to share with "
                                                         f"{service.kind} providers")])
