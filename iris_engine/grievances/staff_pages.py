"""The grievance pages of the staff workspace beyond the generated case page: the messages
with the complainant, and reading what they wrote or who they are, the purpose asked first;
and what the grievance forms offer by name instead of a number (the caseworkers a supervisor
assigns a case to, the authorities a caseworker refers it to).

Everything goes through ``GrievanceService`` as the API does, so every read of the
complainant's words or identity is recorded with its purpose before anything is decrypted, and
only those the service lets read do. What is read is shown on the answer to the form's post:
never in an address (the purpose is no query string either), never cached (``no-store``, as
every staff page).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.domain import CasePage, FieldChoices, StaffPages
from iris_engine.errors import Conflict, Forbidden, NotFound
from iris_engine.grievances.service import WORKFLOW, GrievanceService
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm, read_form
from iris_engine.web.staff.session import PATH
from iris_engine.web.staff.workspace import staff_page

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["STAFF_PAGES"]

#: beyond this many, the field stays a number to type (the staff directory lists them)
CHOICES_MAX = 500
_BASE = f"{PATH}/{{workflow:str}}/{{case_id:int}}"
_HANDLERS = frozenset({"caseworker", "supervisor"})
_NOTICES = {"sent": N_("Sent. The complainant sees it when they next follow their grievance.")}
#: what a reader may ask to read, and who the service lets (it decides; this only words it)
_WHAT = {"narrative": N_("What happened, in their words"),
         "identity": N_("Who they are and how to reach them (the assigned caseworker only)")}

WorkflowName = Annotated[str, PathParameter(max_length=64)]
Notice = Annotated[str | None, QueryParameter(max_length=20, description="Which message to show")]


def _grievances_only(workflow: str) -> None:
    if workflow != WORKFLOW:
        raise NotFound(f"no such page in workflow {workflow!r}")


async def _messages_page(request: Request[Any, Any, Any], grievances: GrievanceService,
                         staff: Principal, case_id: int, *, form: PageForm | None = None,
                         notice: str | None = None, status_code: int = 200) -> Template:
    view = await grievances.get(staff, case_id)
    messages = await grievances.messages(staff, case_id)  # recorded when it shows theirs
    return staff_page(request, "grievance_staff/messages.html", principal=staff,
                      status_code=status_code, view=view, messages=messages, form=form,
                      errors=form.errors if form else [], notice=notice)


@get(f"{_BASE}/messages", name="staff-grievance-messages")
async def messages(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
                   grievances: NamedDependency[GrievanceService],
                   staff: NamedDependency[Principal], notice: Notice = None) -> Template:
    """The messages with the complainant, oldest first, and a form to write to them."""
    _grievances_only(workflow)
    return await _messages_page(request, grievances, staff, case_id,
                                notice=_NOTICES.get(notice or ""))


@post(f"{_BASE}/messages", name="staff-grievance-message")
async def send_message(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
                       grievances: NamedDependency[GrievanceService],
                       staff: NamedDependency[Principal]) -> Response[Any]:
    """Write to the complainant, as ``POST .../messages`` does."""
    _grievances_only(workflow)
    form = await read_form(request)
    body = form.text("body", required=True, max_length=bounds.MESSAGE,
                     required_message=N_("Write your message"))
    if body is None or form.errors:
        return await _messages_page(request, grievances, staff, case_id, form=form,
                                    status_code=422)
    try:
        await grievances.send_message(staff, case_id, body)
    except Conflict as exc:  # e.g. closed and past its appeal period
        form.errors.append(FormError("body", exc.detail))
        return await _messages_page(request, grievances, staff, case_id, form=form,
                                    status_code=409)
    return Redirect(f"{PATH}/{WORKFLOW}/{case_id}/messages?notice=sent", status_code=303)


def _read_page(request: Request[Any, Any, Any], view: Any, staff: Principal, *,
               form: PageForm | None = None, shown: Any = None, what: str | None = None,
               status_code: int = 200) -> Template:
    return staff_page(request, "grievance_staff/read.html", principal=staff,
                      status_code=status_code, view=view, form=form,
                      errors=form.errors if form else [], choices=_WHAT, shown=shown, what=what)


@get(f"{_BASE}/personal", name="staff-grievance-personal")
async def personal_form(request: Request[Any, Any, Any], workflow: WorkflowName,
                        case_id: CaseId, grievances: NamedDependency[GrievanceService],
                        staff: NamedDependency[Principal]) -> Template:
    """Ask why before anything personal is shown."""
    _grievances_only(workflow)
    return _read_page(request, await grievances.get(staff, case_id), staff)


@post(f"{_BASE}/personal", name="staff-grievance-personal-read")
async def personal_read(request: Request[Any, Any, Any], workflow: WorkflowName,
                        case_id: CaseId, grievances: NamedDependency[GrievanceService],
                        staff: NamedDependency[Principal]) -> Template:
    """Read the complainant's account or identity for the purpose given (recorded first)."""
    _grievances_only(workflow)
    view = await grievances.get(staff, case_id)
    form = await read_form(request)
    what = form.text("what", required=True, max_length=20,
                     required_message=N_("Choose what you need to read"))
    if what is not None and what not in _WHAT:
        form.errors.append(FormError("what", N_("Choose from the options shown")))
    purpose = form.text("purpose", required=True, max_length=bounds.PURPOSE,
                        required_message=N_("Say why you need to read it"))
    if purpose is not None and len(purpose) < 3:
        form.errors.append(FormError("purpose", N_("Say why in a few words")))
    if form.errors or what is None or purpose is None:
        return _read_page(request, view, staff, form=form, status_code=422)
    try:
        shown = (await grievances.narrative(staff, case_id, purpose=purpose)
                 if what == "narrative" else
                 await grievances.identity(staff, case_id, purpose=purpose))
    except Forbidden as exc:  # the case is theirs to see, this part of it not
        form.errors.append(FormError("what", exc.detail))
        return _read_page(request, view, staff, form=form, status_code=403)
    return _read_page(request, view, staff, shown=shown, what=what)


async def caseworkers(services: Services, _principal: Principal, _case_id: int
                      ) -> list[tuple[Any, str]]:
    """The active caseworkers, with how many cases each holds (``caseworker_eligible``
    still decides)."""
    found = await services.directory.list(role="caseworker", limit=CHOICES_MAX)
    return [(a.id, f"{a.name}" + (f" ({len(a.current_assignments)} current)"
                                  if a.current_assignments else ""))
            for a in found] if len(found) < CHOICES_MAX else []


async def authorities(services: Services, _principal: Principal, _case_id: int
                      ) -> list[tuple[Any, str]]:
    """The active authorities, each with its jurisdiction and remit (``authority_can_receive``
    still checks the case's countries)."""
    return [(a.id, f"{a.name} ({', '.join(a.countries)}: {', '.join(a.remits)})".replace("_", " "))
            for a in await services.authorities.list() if a.active]


STAFF_PAGES = StaffPages(
    handlers=(messages, send_message, personal_form, personal_read),
    templates=Path(__file__).parent / "templates",
    case_pages=(
        CasePage(WORKFLOW, N_("Messages with the complainant"), f"{PATH}/{WORKFLOW}/{{id}}/messages",
                 roles=_HANDLERS),
        CasePage(WORKFLOW, N_("Read what the complainant wrote, or who they are"),
                 f"{PATH}/{WORKFLOW}/{{id}}/personal",
                 roles=frozenset({"caseworker", "supervisor", "scheme_manager"})),
    ),
    choices=(FieldChoices(WORKFLOW, "caseworker_id", caseworkers),
             FieldChoices(WORKFLOW, "authority_id", authorities)))
