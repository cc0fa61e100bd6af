"""The return caseworker's services plan in the workspace: the reintegration plan's services
in one table (provider, status, planned and actual costs, the totals), with the forms that add
a service and book, deliver or cancel one beside it; and, in every form of the case, the
service an update is about chosen by what it is instead of its number.

The forms are the case page's own (generated from the workflow, fired through the same
``CaseService``), posted back to this page; what a reader may see of the plan is what the
service's view shows it (a referrer sees no services).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.domain import CasePage, FieldChoices, StaffPages
from iris_engine.errors import NotFound
from iris_engine.returns.plan import amount_text, services_of
from iris_engine.returns.service import WORKFLOW
from iris_engine.web.i18n import N_
from iris_engine.web.staff.schema_form import Shown
from iris_engine.web.staff.session import PATH
from iris_engine.web.staff.workspace import Workspace, staff_page

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["STAFF_PAGES"]

_PLAN_EVENTS = ("plan_service", "update_service")
_NOTICES = {"fired": N_("Done. The plan below shows it.")}

WorkflowName = Annotated[str, PathParameter(max_length=64)]
Notice = Annotated[str | None, QueryParameter(max_length=20, description="Which message to show")]


def _totals(services: list[Any]) -> list[tuple[str, str, str]]:
    """(currency, planned, actual) over the services not cancelled, per currency."""
    planned: dict[str, Decimal] = defaultdict(Decimal)
    actual: dict[str, Decimal] = defaultdict(Decimal)
    for s in services:
        if s.status == "cancelled":
            continue
        planned[s.currency] += Decimal(s.planned_cost.split()[0])
        if s.actual_cost:
            actual[s.currency] += Decimal(s.actual_cost.split()[0])
    return [(c, f"{planned[c]:.2f}", f"{actual[c]:.2f}") for c in sorted(planned)]


@get(f"{PATH}/{{workflow:str}}/{{case_id:int}}/plan", name="staff-return-plan")
async def plan(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
               workspace: NamedDependency[Workspace], staff: NamedDependency[Principal],
               notice: Notice = None) -> Template:
    """The reintegration plan's services, their totals, and the forms that change them."""
    if workflow != WORKFLOW:
        raise NotFound(f"no services plan in workflow {workflow!r}")
    w = workspace.workflow(WORKFLOW)
    view = await w.cases.get(staff, case_id)
    if view.services is None:  # a reader the plan is not shown to
        raise NotFound("the services plan is not shown to this account")
    spec = workspace.spec(WORKFLOW, getattr(view, "workflow_version", None))
    available = [t for t in await w.cases.available(staff, case_id) if t.event in _PLAN_EVENTS]
    forms = await workspace.transition_forms(WORKFLOW, staff, case_id, spec, available)
    return staff_page(request, "return_staff/plan.html", principal=staff, view=view,
                      workflow=w, services=view.services, totals=_totals(view.services),
                      transitions=forms, form=None, failed=None, shown=Shown(), blank=Shown(),
                      return_to=f"{PATH}/{WORKFLOW}/{case_id}/plan",
                      notice=_NOTICES.get(notice or ""))


async def plan_services(services: Services, _principal: Principal, case_id: int
                        ) -> list[tuple[Any, str]]:
    """The case's services, each as what it is, who provides it and where it stands (the
    guards still check it is this case's)."""
    async with services.db.read() as session:
        rows = await services_of(session, case_id)
    return [(s.id or 0, f"#{s.id} {s.kind.replace('_', ' ')}, {s.provider} ({s.status}, "
             f"{amount_text(s.planned_cost_minor, s.currency)})") for s in rows]


STAFF_PAGES = StaffPages(
    handlers=(plan,),
    templates=Path(__file__).parent / "templates",
    case_pages=(CasePage(WORKFLOW, N_("The reintegration plan's services"),
                         f"{PATH}/{WORKFLOW}/{{id}}/plan",
                         roles=frozenset({"return_officer", "return_supervisor", "partner"})),),
    choices=(FieldChoices(WORKFLOW, "service_id", plan_services),),
)
