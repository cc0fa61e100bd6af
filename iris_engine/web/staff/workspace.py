"""What every staff page shares: the workflows it is generated from (each domain's
``CaseApi`` and its ``CaseService``), the session, and the page response (English-only for
now, ``i18n.languages_of("staff")``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.response import Template

from iris_engine.cases import Principal
from iris_engine.cases.schemas import AvailableTransition
from iris_engine.cases.service import CaseService
from iris_engine.domain import CaseApi, StaffStart
from iris_engine.errors import NotFound
from iris_engine.web.i18n import languages_of
from iris_engine.web.pages.rendering import PageForm, page
from iris_engine.web.staff.forms import TransitionForm, transition_forms
from iris_engine.web.staff.schema_form import offer, walk
from iris_engine.web.staff.session import StaffSession
from iris_engine.workflow import WorkflowSpec

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["StaffWorkflow", "Workspace", "staff_page"]

AREA = "staff"
_LANGUAGES = languages_of(AREA)


@dataclass(frozen=True, slots=True)
class StaffWorkflow:
    """One workflow as the workspace shows it."""

    api: CaseApi
    cases: CaseService

    @property
    def name(self) -> str:
        return self.api.workflow


class Workspace:
    """The workflows, by name, in the order the domains declare them, the clock and the
    session."""

    def __init__(self, services: Services, session: StaffSession) -> None:
        domains = services.domains
        self.services = services
        self.workflows = {api.workflow: StaffWorkflow(api, services.cases[api.workflow])
                          for domain in domains for api in domain.cases}
        staff_pages = [d.staff_pages for d in domains if d.staff_pages is not None]
        #: the domains' own pages about a case, and what a role starts from its work list
        self.case_pages = [p for pages in staff_pages for p in pages.case_pages]
        self.starts = [s for pages in staff_pages for s in pages.starts]
        self.choices = {(c.workflow, c.property): c for pages in staff_pages
                        for c in pages.choices}
        self.catalog = services.engine.catalog
        #: the engine's clock: what is overdue is judged by the time the deadlines keep
        self.clock = services.clock
        self.session = session

    def workflow(self, name: str) -> StaffWorkflow:
        """The workflow a path names; an unknown one is a page not found."""
        found = self.workflows.get(name)
        if found is None:
            raise NotFound(f"no workflow {name!r}")
        return found

    def spec(self, name: str, version: int | None = None) -> WorkflowSpec:
        """A workflow's definition: the version a case runs on, or the latest."""
        return self.catalog.machine(name, version).spec

    def pages_of(self, workflow: str, case_id: int, state: str, principal: Principal, *,
                 every: bool = False) -> list[tuple[str, str]]:
        """The domain pages about a case in this state (``every``: in any state), for the
        caller's roles: (label, path)."""
        return [(p.label, p.path.format(id=case_id)) for p in self.case_pages
                if p.workflow == workflow and (every or not p.states or state in p.states)
                and (not p.roles or p.roles & principal.roles)]

    async def transition_forms(self, workflow: str, principal: Principal, case_id: int,
                               spec: WorkflowSpec, available: Sequence[AvailableTransition], *,
                               posted: PageForm | None = None, failed: str | None = None
                               ) -> list[TransitionForm]:
        """What may fire now as forms (``forms.transition_forms``, the workflow file's reason
        codes and descriptions), each record a property names offered by name."""
        return await self.offer_choices(workflow, principal, case_id, transition_forms(
            available, spec.reason_codes, {t.event: t.description for t in spec.transitions},
            posted=posted, failed=failed))

    async def offer_choices(self, workflow: str, principal: Principal, case_id: int,
                            forms: list[TransitionForm]) -> list[TransitionForm]:
        """The forms with each property that names a record offered as a choice of them
        (``FieldChoices``), each source asked once per page."""
        found: dict[str, list[tuple[Any, str]]] = {}
        for form in forms:
            for f in walk(form.fields):
                source = self.choices.get((workflow, f.name))
                if source is not None and f.name not in found:
                    found[f.name] = await source.options(self.services, principal, case_id)
        if not found:
            return forms
        return [replace(form, fields=offer(form.fields, found)) for form in forms]

    def starts_for(self, principal: Principal, workflow: str | None = None) -> list[StaffStart]:
        """What the caller's roles may start from the work list (of one workflow)."""
        return [s for s in self.starts if s.role in principal.roles
                and workflow in (None, s.workflow)]

    def visible(self, principal: Principal) -> list[StaffWorkflow]:
        """The workflows some role of the caller reaches (the rest show nothing)."""
        return [w for w in self.workflows.values()
                if w.cases.engine.access.reaches_workflow(principal, w.name)]


def staff_page(request: Request[Any, Any, Any], template: str, *,
               principal: Principal | None, status_code: int = 200, **context: Any) -> Template:
    """A staff page; ``principal`` is who is signed in (None on the sign-in page)."""
    return page(request, template, status_code=status_code, languages=_LANGUAGES,
                principal=principal, **context)
