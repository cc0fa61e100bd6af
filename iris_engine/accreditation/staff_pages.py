"""The recruiter's pages in the staff workspace where the generated case page is not enough:
starting an application, and the self-assessment a principle of the code of conduct at a time.

Each principle's form is generated from its JSON Schema in the code of conduct
(``schema_form``), filled from the stored draft; saving fires ``update_self_assessment`` with
the whole envelope, this principle's section replaced, through the same ``CaseService`` as the
API (drafts may be incomplete: the engine stores what it is given). The code's validator then
says what is still missing, and each problem is shown at its field, under its principle, before
the recruiter tries to submit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel import col

from iris_engine.accreditation.models import NonConformity
from iris_engine.accreditation.references import ApplicationUnderWay
from iris_engine.accreditation.service import WORKFLOW, AccreditationService
from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.cases.schemas import TransitionRequest
from iris_engine.cases.service import CaseService
from iris_engine.documents.codes import CodeLibrary, CodeOfConduct
from iris_engine.domain import CasePage, FieldChoices, StaffPages, StaffStart
from iris_engine.errors import Conflict, FieldError, NotFound
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm, read_form
from iris_engine.web.staff.schema_form import (
    ADD_ROW,
    DataField,
    Shown,
    build_fields,
    key_of_pointer,
    keys_of,
    read_fields,
    rows_held,
    rows_posted,
    values_of,
)
from iris_engine.web.staff.session import PATH
from iris_engine.web.staff.workspace import staff_page

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["STAFF_PAGES"]

EVENT = "update_self_assessment"
#: the name every principle's fields are posted under
_PREFIX = "p"
#: under the generated pages' own parameters: a static segment where ``{workflow}`` is would
#: hide ``/staff/accreditation`` from the generated list page (the router prefers it)
_BASE = f"{PATH}/{{workflow:str}}/{{case_id:int}}/self-assessment"
_NOTICES = {"saved": N_("Saved. What is still missing is shown below; you can come back to it "
                        "at any time before you submit.")}
_CHANGED = N_("This application changed while you were on this page (perhaps in another tab). "
              "It is shown below as it is now: check it and save again.")

WorkflowName = Annotated[str, PathParameter(max_length=64)]
PrincipleId = Annotated[str, PathParameter(max_length=8, pattern=r"^[A-Za-z0-9]+$")]
Notice = Annotated[str | None, QueryParameter(max_length=20, description="Which message to show")]


def _principle(code: CodeOfConduct, principle_id: str) -> Any:
    found = next((p for p in code.principles if p.id == principle_id), None)
    if found is None:
        raise NotFound(f"no principle {principle_id!r} in {code.key}")
    return found


def _sections(document: Any) -> dict[str, Any]:
    principles = document.get("principles") if isinstance(document, dict) else None
    return dict(principles) if isinstance(principles, dict) else {}


def _problems(code: CodeOfConduct, document: Any) -> dict[str, list[FieldError]]:
    """What the code's validator finds in the principles' sections, by principle (a section
    not started is no problem here: the page says it is not started)."""
    found: dict[str, list[FieldError]] = {}
    for error in code.validate(document or {}):
        parts = error.pointer.split("/")
        if len(parts) > 2 and parts[1] == "principles":
            found.setdefault(parts[2], []).append(error)
    return found


def _applications_only(workflow: str) -> None:
    if workflow != WORKFLOW:  # another workflow's case has no self-assessment
        raise NotFound(f"no self-assessment in workflow {workflow!r}")


async def _application(accreditation: AccreditationService, staff: Principal, case_id: int
                       ) -> Any:
    return await accreditation.get(staff, case_id)


async def _editable(accreditation: AccreditationService, staff: Principal, case_id: int) -> bool:
    return any(t.event == EVENT and not t.blocked_by
               for t in await accreditation.available(staff, case_id))


def _fields(code: CodeOfConduct, principle: Any, rows_of: Callable[[str], int]
            ) -> tuple[DataField, ...]:
    schema = code.schemas[principle.schema_file]
    return build_fields(schema, _PREFIX, root=schema, rows_of=rows_of)


def _errors_at_fields(errors: list[FieldError], principle_id: str,
                      fields: tuple[DataField, ...]) -> list[FormError]:
    keys = keys_of(fields)
    base = f"/principles/{principle_id}"
    return [FormError(key_of_pointer(e.pointer.removeprefix(base), e.message, _PREFIX, keys),
                      e.message) for e in errors]


async def _principle_page(request: Request[Any, Any, Any], accreditation: AccreditationService,
                          codes: CodeLibrary, staff: Principal, case_id: int,
                          principle_id: str, *, form: PageForm | None = None,
                          notice: str | None = None, status_code: int = 200) -> Template:
    view = await _application(accreditation, staff, case_id)
    code = codes.get(view.code_of_conduct)
    principle = _principle(code, principle_id)
    document = view.self_assessment or {}
    stored = _sections(document).get(principle_id)
    problems = _problems(code, document)
    if form is not None:  # a refused post: what was typed, with its own problems
        fields = _fields(code, principle, rows_posted(form))
        shown = Shown(form.values, form.errors)
        errors = form.errors
    else:
        fields = _fields(code, principle, rows_held(stored, _PREFIX))
        errors = _errors_at_fields(problems.get(principle_id, []), principle_id, fields)
        shown = Shown(values_of(fields, stored or {}), errors)
    return staff_page(
        request, "accreditation_staff/principle.html", principal=staff, status_code=status_code,
        view=view, code=code, principle=principle, fields=fields, shown=shown, errors=errors,
        notice=notice, editable=await _editable(accreditation, staff, case_id),
        outline=[(p, p.id in _sections(document), len(problems.get(p.id, [])))
                 for p in code.principles],
        title=code.schemas[principle.schema_file].get("title", principle.title),
        description=code.schemas[principle.schema_file].get("description", ""))


@get(_BASE, name="staff-self-assessment")
async def overview(workflow: WorkflowName, case_id: CaseId,
                   accreditation: NamedDependency[AccreditationService],
                   codes: NamedDependency[CodeLibrary],
                   staff: NamedDependency[Principal]) -> Redirect:
    """The self-assessment starts at its code's first principle (each page lists them all)."""
    _applications_only(workflow)
    view = await _application(accreditation, staff, case_id)
    first = codes.get(view.code_of_conduct).principles[0].id
    return Redirect(f"{PATH}/{WORKFLOW}/{view.id}/self-assessment/{first}", status_code=303)


@get(f"{_BASE}/{{principle_id:str}}", name="staff-self-assessment-principle")
async def principle_form(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
                         principle_id: PrincipleId,
                         accreditation: NamedDependency[AccreditationService],
                         codes: NamedDependency[CodeLibrary], staff: NamedDependency[Principal],
                         notice: Notice = None) -> Template:
    """One principle's evidence, as stored, with what the code still finds missing in it."""
    _applications_only(workflow)
    return await _principle_page(request, accreditation, codes, staff, case_id, principle_id,
                                 notice=_NOTICES.get(notice or ""))


@post(f"{_BASE}/{{principle_id:str}}", name="staff-self-assessment-save")
async def save_principle(request: Request[Any, Any, Any], workflow: WorkflowName, case_id: CaseId,
                         principle_id: PrincipleId,
                         accreditation: NamedDependency[AccreditationService],
                         codes: NamedDependency[CodeLibrary],
                         staff: NamedDependency[Principal]) -> Response[Any]:
    """Save one principle's section as a draft (``update_self_assessment``)."""
    _applications_only(workflow)
    form = await read_form(request)
    view = await _application(accreditation, staff, case_id)
    code = codes.get(view.code_of_conduct)
    principle = _principle(code, principle_id)
    fields = _fields(code, principle, rows_posted(form))
    if form.values.get(ADD_ROW):  # one more row: the same form again, nothing saved yet
        return await _principle_page(request, accreditation, codes, staff, case_id,
                                     principle_id, form=PageForm(form.values))
    section = read_fields(form, fields)
    revision = form.values.get("expected_revision")
    if not isinstance(revision, str) or not revision.isdigit() or len(revision) > 10:
        form.errors.append(FormError("", N_("The form was not complete. Reload the page.")))
    if form.errors:
        return await _principle_page(request, accreditation, codes, staff, case_id,
                                     principle_id, form=form, status_code=422)
    document = dict(view.self_assessment or {})
    document.setdefault("code", code.code)
    document.setdefault("version", code.version)
    sections = _sections(document)
    if section:
        sections[principle.id] = section
    else:
        sections.pop(principle.id, None)
    document["principles"] = sections
    try:
        await accreditation.fire(staff, case_id, TransitionRequest(
            event=EVENT, expected_revision=int(revision or 0),
            data={"self_assessment": document}))
    except Conflict:
        return await _principle_page(request, accreditation, codes, staff, case_id,
                                     principle_id, notice=_CHANGED, status_code=409)
    return Redirect(f"{PATH}/{WORKFLOW}/{case_id}/self-assessment/{principle.id}?notice=saved",
                    status_code=303)


async def _open_application(service: CaseService, staff: Principal) -> str:
    """Open the organisation's application in draft (its self-assessment next), or go to the
    one it has."""
    assert isinstance(service, AccreditationService)
    code = str(service.engine.catalog.machine(WORKFLOW).spec.settings.get(
        "code_of_conduct", "iris-standard/1.2"))
    try:
        view = await service.create(staff, self_assessment=None, code_of_conduct=code)
    except ApplicationUnderWay as exc:
        return f"{PATH}/{WORKFLOW}/{exc.extra['case_id']}"
    return f"{PATH}/{WORKFLOW}/{view.id}/self-assessment"


#: the most options a choice of people offers (beyond it the field stays a number to type)
CHOICES_MAX = 500


async def auditors(services: Services, _principal: Principal, _case_id: int
                   ) -> list[tuple[Any, str]]:
    """The active auditors, by name, with their organisation and how many cases they hold
    (``auditor_eligible`` still decides: e.g. not one of the recruiter's own)."""
    found = await services.directory.list(role="auditor", limit=CHOICES_MAX)
    return [(a.id, f"{a.name}, {a.organisation_name}"
             + (f" ({len(a.current_assignments)} current)" if a.current_assignments else ""))
            for a in found] if len(found) < CHOICES_MAX else []


async def open_findings(services: Services, _principal: Principal, case_id: int
                        ) -> list[tuple[Any, str]]:
    """The case's non-conformities not yet closed, each as the audit recorded it (the page
    is only shown to those who may read the case)."""
    async with services.db.read() as session:
        rows = (await session.scalars(select(NonConformity).where(
            col(NonConformity.case_id) == case_id, col(NonConformity.status) != "closed")
            .order_by(col(NonConformity.id)))).all()
    return [(nc.id or 0, f"#{nc.id} {nc.severity}, {nc.criterion}: {nc.description[:80]}")
            for nc in rows]


STAFF_PAGES = StaffPages(
    handlers=(overview, principle_form, save_principle),
    templates=Path(__file__).parent / "templates",
    case_pages=(CasePage(WORKFLOW, N_("The self-assessment, a principle at a time"),
                         f"{PATH}/{WORKFLOW}/{{id}}/self-assessment"),),
    starts=(StaffStart(WORKFLOW, "recruiter", N_("Start an application for accreditation"),
                       _open_application),),
    choices=(FieldChoices(WORKFLOW, "auditor_id", auditors),
             FieldChoices(WORKFLOW, "non_conformity_id", open_findings)),
)
