"""The work list and the case pages, generated from the workflows: no page names a workflow.

Each page calls the workflow's ``CaseService`` (list, get, available, history, fire) with the
signed-in ``Principal``, as the API's case endpoints do, so a page shows exactly what the API
would answer the same account: no other read, no sealed value the view does not already open.
A case the account may not see is a page not found, whether or not it exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import false

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.cases.service import Waiting
from iris_engine.clock import as_utc
from iris_engine.errors import Conflict, GuardFailed, InvalidInput, NotFound, Refusal
from iris_engine.web.accesslog import LOG_MASK_OPT, LogMask
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm, read_form
from iris_engine.web.staff.forms import (
    EVENT,
    field_of_pointer,
    humanise,
    read_transition,
    transition_forms,
)
from iris_engine.web.staff.schema_form import ADD_ROW, Shown
from iris_engine.web.staff.session import PATH
from iris_engine.web.staff.workspace import StaffWorkflow, Workspace, staff_page
from iris_engine.workflow import WorkflowSpec

__all__ = ["HANDLERS"]

#: cases on one page of a workflow's list, and on the work list per workflow
PAGE = 50
OVERVIEW = 10
#: a view's fields shown apart from its detail (or not at all)
_NOT_DETAIL = frozenset({"id", "state", "revision", "deadlines"})
_NOTICES = {
    "fired": N_("Done. The history below shows what was recorded."),
}
_CHANGED = N_("This case changed while you were on this page, or this cannot be done now. It is "
              "shown below as it is now: check it and try again.")

WorkflowName = Annotated[str, PathParameter(max_length=bounds.NAME, pattern=bounds.NAME_PATTERN)]
InState = Annotated[str | None, QueryParameter(name="state", max_length=bounds.NAME,
                                               pattern=bounds.NAME_PATTERN)]
After = Annotated[int, QueryParameter(ge=0, le=bounds.MAX_ID,
                                      description="The last id of the previous page")]
Notice = Annotated[str | None, QueryParameter(max_length=20, description="Which message to show")]
Search = Annotated[str | None, QueryParameter(max_length=100, description=(
    "A case's number, a reference or registration number, or part of its organisation's name"))]
WaitingOnly = Annotated[bool, QueryParameter(name="waiting", description="Only the cases "
                                             "that wait for me")]


def _summary(view: Any) -> list[tuple[str, str]]:
    """A few of a view's plain fields, to tell its cases apart in a list."""
    shown = []
    for name, value in msgspec.to_builtins(view).items():
        if name in _NOT_DETAIL or name.endswith(("_id", "_ids")) or name.startswith("workflow"):
            continue
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            shown.append((humanise(name), str(value)))
        if len(shown) == 3:
            break
    return shown


def _rows(views: list[Any]) -> list[dict[str, Any]]:
    return [{"id": v.id, "state": v.state, "summary": _summary(v)} for v in views]


def _waiting_rows(waiting: list[Waiting], now: datetime) -> list[dict[str, Any]]:
    """Cases that wait for the caller, each with its next deadline and whether it is past."""
    return [{**_rows([w.view])[0], "due": w.due_at,
             "overdue": w.due_at is not None and as_utc(w.due_at) <= now} for w in waiting]




@get(PATH, name="staff-work")
async def work(request: Request[Any, Any, Any], workspace: NamedDependency[Workspace],
               staff: NamedDependency[Principal]) -> Template:
    """My work: for each workflow the account reaches, the cases that wait for it (those
    with a deadline first, the overdue on top), and its cases counted by state."""
    sections = []
    now = workspace.clock()
    for w in workspace.visible(staff):
        spec = workspace.spec(w.name)
        counts = await w.cases.count_by_state(staff)
        waiting = await w.cases.waiting(staff, limit=OVERVIEW)
        sections.append({"workflow": w, "title": spec.title or humanise(w.name),
                         "counts": [(s, spec.states[s].description if s in spec.states else "", n)
                                    for s, n in sorted(counts.items(), key=lambda i: -i[1])],
                         "total": sum(counts.values()), "waiting": _waiting_rows(waiting, now)})
    return staff_page(request, "staff/work.html", principal=staff, sections=sections,
                      starts=workspace.starts_for(staff))


# a search may hold a reference (a secret of the complainant's) or a name: kept out of the log
@get(f"{PATH}/{{workflow:str}}", name="staff-cases", opt={LOG_MASK_OPT: LogMask(query=True)})
async def cases_of(request: Request[Any, Any, Any], workflow: WorkflowName,
                   workspace: NamedDependency[Workspace], staff: NamedDependency[Principal],
                   in_state: InState = None, after: After = 0, q: Search = None,
                   waiting: WaitingOnly = False) -> Template:
    """One workflow's cases the account may see, by pages: a state at a time, those that
    wait for it, or those a search finds (``CaseService.search_clause``)."""
    w = workspace.workflow(workflow)
    spec = workspace.spec(w.name)
    counts = await w.cases.count_by_state(staff)
    q = (q or "").strip() or None
    where = [w.cases.search_clause(q)] if q else []
    if waiting:
        clause = w.cases.waiting_clause(staff)
        where.append(clause if clause is not None else false())
    views = await w.cases.list(staff, state=in_state, after=after, limit=PAGE + 1, where=where)
    more = len(views) > PAGE
    views = views[:PAGE]
    return staff_page(
        request, "staff/cases.html", principal=staff, workflow=w,
        title=spec.title or humanise(w.name), in_state=in_state, after=after, q=q or "",
        waiting=waiting, query=urlencode({k: v for k, v in (("state", in_state), ("q", q),
                                                           ("waiting", "true" if waiting else None))
                                          if v}),
        states=[(s, spec.states[s].description if s in spec.states else "", counts.get(s, 0))
                for s in spec.states], total=sum(counts.values()), rows=_rows(views),
        next_after=views[-1].id if more and views else None)


def _facts(view: Any) -> list[tuple[str, Any]]:
    return [(humanise(name), value) for name, value in msgspec.to_builtins(view).items()
            if name not in _NOT_DETAIL]


def _workflow_map(spec: WorkflowSpec, current: str) -> list[dict[str, Any]]:
    """The workflow as a page can draw it without a script: every state in the file's order,
    the case's marked, each with the events that leave it and where they lead (``back``: to
    the state the case came from; None: it stays)."""
    leaving: dict[str, list[tuple[str, str | None, tuple[str, ...]]]] = {s: [] for s in spec.states}
    for t in spec.transitions:
        for source in t.sources:
            if source in leaving:
                leaving[source].append((t.event, "back" if t.back_from else t.dest,
                                        tuple(sorted(t.roles))))
    return [{"name": name, "description": state.description, "final": state.final,
             "current": name == current,
             "leaving": [{"event": event, "to": to, "roles": roles}
                         for event, to, roles in leaving[name]]}
            for name, state in spec.states.items()]


async def _case_page(request: Request[Any, Any, Any], workspace: Workspace, w: StaffWorkflow,
                     staff: Principal, case_id: int, *, notice: str | None = None,
                     failed: str | None = None, form: PageForm | None = None,
                     status_code: int = 200) -> Template:
    """The case as it is now; after a refused post, its form with each problem at its field."""
    view = await w.cases.get(staff, case_id)
    available = await w.cases.available(staff, case_id)
    history, broken = await w.cases.verified_history(staff, case_id)
    spec = workspace.spec(w.name, getattr(view, "workflow_version", None))
    state = spec.states.get(view.state)
    shown = Shown(form.values, form.errors) if form is not None else Shown()
    return staff_page(
        request, "staff/case.html", principal=staff, status_code=status_code, workflow=w,
        title=spec.title or humanise(w.name), view=view,
        state_description=state.description if state else "",
        facts=_facts(view), deadlines=getattr(view, "deadlines", None) or [],
        workflow_map=_workflow_map(spec, view.state),
        pages=workspace.pages_of(w.name, view.id, view.state, staff),
        history=history, broken=broken, notice=notice, failed=failed, form=form,
        shown=shown, blank=Shown(),
        transitions=await workspace.transition_forms(w.name, staff, case_id, spec, available,
                                                     posted=form, failed=failed))


@get(f"{PATH}/{{workflow:str}}/{{case_id:int}}", name="staff-case")
async def case(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
               workspace: NamedDependency[Workspace], staff: NamedDependency[Principal],
               notice: Notice = None) -> Template:
    """A case: its state, detail, deadlines, history, and what the account may do now."""
    return await _case_page(request, workspace, workspace.workflow(workflow), staff, case_id,
                            notice=_NOTICES.get(notice or ""))


@post(f"{PATH}/{{workflow:str}}/{{case_id:int}}", name="staff-fire")
async def fire(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
               workspace: NamedDependency[Workspace],
               staff: NamedDependency[Principal]) -> Response[Any]:
    """Fire the transition a case page's form asks for, as the API's fire does."""
    w = workspace.workflow(workflow)
    form = await read_form(request)
    event = form.values.get(EVENT)
    available = {t.event: t for t in await w.cases.available(staff, case_id)}
    chosen = available.get(event) if isinstance(event, str) else None
    if chosen is None:  # it moved on, or this account may not fire it from here
        return await _case_page(request, workspace, w, staff, case_id, notice=_CHANGED,
                                status_code=409)
    spec = workspace.spec(w.name)
    [transition] = transition_forms([chosen], spec.reason_codes, {}, posted=form,
                                    failed=chosen.event)
    if form.values.get(ADD_ROW):  # one more row asked for: the same form again, nothing fired
        return await _case_page(request, workspace, w, staff, case_id, failed=chosen.event,
                                form=PageForm(form.values))
    asked = read_transition(form, transition)
    if asked is None or form.errors:
        return await _case_page(request, workspace, w, staff, case_id, failed=chosen.event,
                                form=form, status_code=422)
    try:
        await w.cases.fire(staff, case_id, asked)
    except Conflict:
        return await _case_page(request, workspace, w, staff, case_id, notice=_CHANGED,
                                status_code=409)
    except (InvalidInput, GuardFailed, Refusal) as exc:
        form.errors.extend(FormError(field_of_pointer(e, transition), e.message)
                           for e in exc.errors)
        if isinstance(exc, GuardFailed | Refusal) or not exc.errors:
            messages = exc.extra.get("guards") or [{"message": exc.detail}]
            form.errors.extend(FormError("", str(m.get("message", ""))) for m in messages)
        return await _case_page(request, workspace, w, staff, case_id, failed=chosen.event,
                                form=form, status_code=422)
    # back to the domain page the form was on (one of this case's, never another address)
    back = form.values.get("return_to")
    pages = {path for _label, path in workspace.pages_of(w.name, case_id, "", staff, every=True)}
    if isinstance(back, str) and back in pages:
        return Redirect(f"{back}?notice=fired", status_code=303)
    return Redirect(f"{PATH}/{w.name}/{case_id}?notice=fired", status_code=303)


@post(f"{PATH}/{{workflow:str}}/new", name="staff-start")
async def start(workflow: WorkflowName, workspace: NamedDependency[Workspace],
                staff: NamedDependency[Principal]) -> Redirect:
    """Start a new case of a workflow, as the work list's button for the caller's role says
    (``Domain.staff_pages.starts``); a workflow with none for the caller is a page not found."""
    w = workspace.workflow(workflow)
    starts = workspace.starts_for(staff, w.name)
    if not starts:
        raise NotFound(f"nothing to start in {w.name!r}")
    return Redirect(await starts[0].open(w.cases, staff), status_code=303)


HANDLERS = [work, cases_of, case, fire, start]
