"""The trainer's attendance sheet: a session's learners on one page, the minutes each was
present (and the knowledge-check score where the course has one) typed in a row each, or
marked absent, recorded in one post. Each row is its own transition of its enrolment
(``record_attendance`` or ``mark_no_show``) through the enrolments' ``CaseService``, as the API
fires it: a row the engine refuses is shown with its reason at its fields, and the rows it took
stay recorded (each enrolment has its own revision, so a sheet another trainer saved meanwhile
refuses only the rows it changed).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlmodel import col

from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.cases.schemas import TransitionRequest
from iris_engine.domain import CasePage, StaffPages
from iris_engine.errors import ApplicationError, Conflict, NotFound
from iris_engine.store.models import Case
from iris_engine.training.enrolments import WORKFLOW as ENROLMENT
from iris_engine.training.models import Enrolment
from iris_engine.training.sessions import WORKFLOW as SESSION
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm, read_form
from iris_engine.web.staff.session import PATH
from iris_engine.web.staff.workspace import Workspace, staff_page

__all__ = ["STAFF_PAGES"]

_BASE = f"{PATH}/{{workflow:str}}/{{case_id:int}}/attendance"
#: a session's enrolments on one sheet (a session's capacity is far below it)
_SHEET_MAX = 1000
#: the enrolment states a sheet shows: those who were to attend, and what was recorded
_SHOWN = ("confirmed", "assessed", "certified", "failed", "no_show")
_NOTICES = {"recorded": N_("Recorded. Each learner who passed has their certificate.")}
_NUMBER = re.compile(r"[0-9]{1,4}")

WorkflowName = Annotated[str, PathParameter(max_length=64)]
Notice = Annotated[str | None, QueryParameter(max_length=20, description="Which message to show")]


async def _sheet(workspace: Workspace, staff: Principal, workflow: str, case_id: int
                 ) -> tuple[Any, list[Any]]:
    """The session (as the caller may see it) and its learners who were to attend."""
    if workflow != SESSION:
        raise NotFound(f"no attendance sheet in workflow {workflow!r}")
    session = await workspace.workflow(SESSION).cases.get(staff, case_id)
    return session, await workspace.workflow(ENROLMENT).cases.list(
        staff, state=None, after=0, limit=_SHEET_MAX,
        where=[col(Enrolment.session_case_id) == case_id, col(Case.state).in_(_SHOWN)])


async def _page(request: Request[Any, Any, Any], workspace: Workspace, staff: Principal,
                workflow: str, case_id: int, *, form: PageForm | None = None,
                notice: str | None = None, status_code: int = 200) -> Template:
    session, rows = await _sheet(workspace, staff, workflow, case_id)
    return staff_page(request, "training_staff/attendance.html", principal=staff,
                      status_code=status_code, session=session, rows=rows, form=form,
                      errors=form.errors if form else [], notice=notice)


@get(_BASE, name="staff-attendance")
async def attendance(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
                     workspace: NamedDependency[Workspace], staff: NamedDependency[Principal],
                     notice: Notice = None) -> Template:
    """The session's attendance sheet."""
    return await _page(request, workspace, staff, workflow, case_id,
                       notice=_NOTICES.get(notice or ""))


def _row_request(form: PageForm, enrolment: Any) -> TransitionRequest | None:
    """What the sheet asks for one learner still to be recorded (None: nothing typed)."""
    key = str(enrolment.id)
    if form.flag(f"absent.{key}"):
        return TransitionRequest(event="mark_no_show", expected_revision=enrolment.revision)
    minutes = form.text(f"minutes.{key}", max_length=20)
    score = form.text(f"score.{key}", max_length=20)
    if minutes is None and score is None:
        return None
    data: dict[str, Any] = {}
    for name, text, field in (("minutes_present", minutes, f"minutes.{key}"),
                              ("score", score, f"score.{key}")):
        if text is None:
            continue
        if not _NUMBER.fullmatch(text):
            form.errors.append(FormError(field, N_("Enter a whole number")))
            return None
        data[name] = int(text)
    if "minutes_present" not in data:
        form.errors.append(FormError(f"minutes.{key}", N_("Enter the minutes present")))
        return None
    return TransitionRequest(event="record_attendance", expected_revision=enrolment.revision,
                             data=data)


@post(_BASE, name="staff-attendance-record")
async def record(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
                 workspace: NamedDependency[Workspace],
                 staff: NamedDependency[Principal]) -> Response[Any]:
    """Record every row filled in, each as its own transition; the refused shown again."""
    form = await read_form(request)
    _session, rows = await _sheet(workspace, staff, workflow, case_id)
    enrolments = workspace.workflow(ENROLMENT).cases
    for enrolment in rows:
        if enrolment.state != "confirmed":
            continue
        asked = _row_request(form, enrolment)
        if asked is None:
            continue
        try:
            await enrolments.fire(staff, enrolment.id, asked)
        except Conflict:
            form.errors.append(FormError(f"minutes.{enrolment.id}", N_(
                "Someone recorded this learner meanwhile: check the row as it is now.")))
        except ApplicationError as exc:  # a guard, the schema (e.g. a score the course needs)
            details = ([e.message for e in exc.errors]
                       or [str(g.get("message", "")) for g in exc.extra.get("guards", [])]
                       or [exc.detail])
            form.errors.extend(FormError(f"minutes.{enrolment.id}", d) for d in details)
    if form.errors:
        return await _page(request, workspace, staff, workflow, case_id, form=form,
                           status_code=422)
    return Redirect(f"{PATH}/{SESSION}/{case_id}/attendance?notice=recorded", status_code=303)


STAFF_PAGES = StaffPages(
    handlers=(attendance, record),
    templates=Path(__file__).parent / "templates",
    case_pages=(CasePage(SESSION, N_("Attendance sheet"), f"{PATH}/{SESSION}/{{id}}/attendance",
                         states=frozenset({"registration_open", "registration_closed",
                                           "delivered", "closed"}),
                         roles=frozenset({"trainer", "training_coordinator"})),),
)
