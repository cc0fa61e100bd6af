"""A case's budget and a supervisor's approval beyond it (issue item 6).

The budget is the workflow's ``budget`` setting, fixed on the case when the plan is approved
(a later change of the setting does not move the budget of a plan already approved). The plan
stays within ``budget_minor + approved_excess_minor``: the services not cancelled, each at its
actual cost where known and its planned cost otherwise. A change that does not raise the total
(a cancellation, a lower actual cost) is never refused, so a plan already beyond its budget can
always be brought back within it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.models import ReturnCase
from iris_engine.returns.plan import (
    amount_text,
    cost_of,
    minor_units,
    requested_service,
    services_of,
)
from iris_engine.workflow import HookRegistry

__all__ = ["budget_setting", "hooks"]

hooks = HookRegistry()


def budget_setting(settings: Mapping[str, Any]) -> tuple[int, str]:
    """The workflow's budget per case: (minor units, currency)."""
    budget = settings["budget"]
    return minor_units(str(budget["amount"])), str(budget["currency"])


@hooks.effect("fix_budget")
async def fix_budget(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    case.budget_minor, case.currency = budget_setting(ctx.workflow_settings)
    ctx.outcome["budget"] = amount_text(case.budget_minor, case.currency)


async def _totals(ctx: TransitionContext) -> tuple[int, int, str | None]:
    """(the plan's total now, its total after this event, the pointer of the amount added)."""
    services = await services_of(ctx.session, ctx.case.id or 0)
    now = sum(cost_of(s) for s in services if s.status != "cancelled")
    data = ctx.request.data
    if ctx.request.event == "plan_service" and "planned_cost" in data:
        return now, now + minor_units(data["planned_cost"]), "/data/planned_cost"
    if ctx.request.event == "update_service":
        service = await requested_service(ctx)
        if service is None:
            return now, now, None  # service_of_case says so
        before = cost_of(service) if service.status != "cancelled" else 0
        after = 0
        if data.get("status") != "cancelled":
            after = minor_units(data["actual_cost"]) if "actual_cost" in data else cost_of(service)
        return now, now - before + after, "/data/actual_cost"
    return now, now, None


@hooks.guard("within_budget", reads_input=True)
async def within_budget(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    budget = case.budget_minor
    currency = case.currency
    if budget is None:  # a plan not approved yet: the budget it will be given
        budget, currency = budget_setting(ctx.workflow_settings)
    limit = budget + case.approved_excess_minor
    now, after, pointer = await _totals(ctx)
    if after <= limit or (pointer is not None and after <= now):
        return
    excess = (f", with {amount_text(case.approved_excess_minor, currency)} approved beyond it"
              if case.approved_excess_minor else "")
    raise Refusal(f"the plan's services would cost {amount_text(after, currency)} in total, "
                  f"beyond the case's budget of {amount_text(budget, currency)}{excess}: a "
                  "return supervisor approves an excess with approve_budget_excess",
                  errors=[FieldError(pointer, "beyond the budget")] if pointer else [])


@hooks.effect("approve_budget_excess")
async def approve_budget_excess(ctx: TransitionContext) -> None:
    """Up to this much more than the budget, in total (a new approval replaces the last)."""
    case: ReturnCase = ctx.detail
    case.approved_excess_minor = minor_units(ctx.request.data["amount"])
    ctx.outcome["approved_excess"] = amount_text(case.approved_excess_minor, case.currency)
