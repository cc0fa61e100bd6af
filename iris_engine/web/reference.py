"""Public reference data: workflow definitions and diagrams, codes of conduct and schemas."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import MediaType, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from iris_engine import bounds
from iris_engine.documents import CodeLibrary
from iris_engine.errors import NotFound
from iris_engine.web.problems import ProblemField, problem_responses
from iris_engine.workflow import TransitionSpec, WorkflowCatalog

__all__ = ["reference_handlers"]

_PUBLIC = {"exclude_from_auth": True}
WorkflowName = Annotated[str, PathParameter(min_length=1, max_length=bounds.NAME,
                                            pattern=bounds.NAME_PATTERN)]
#: a code of conduct's name and version (together ``iris-standard/1.2``) and a schema file
CodeName = Annotated[str, PathParameter(min_length=1, max_length=bounds.NAME,
                                        pattern=bounds.NAME_PATTERN)]
CodeVersion = Annotated[str, PathParameter(min_length=1, max_length=bounds.NAME,
                                           pattern=bounds.NAME_PATTERN)]
SchemaFile = Annotated[str, PathParameter(min_length=1, max_length=bounds.SCHEMA_FILE,
                                          pattern=bounds.NAME_PATTERN)]


@get("/api/v1/workflows", operation_id="listWorkflows", tags=["reference"], opt=_PUBLIC)
async def list_workflows(catalog: NamedDependency[WorkflowCatalog]) -> list[dict[str, Any]]:
    """Every workflow and version this server runs."""
    return [{"name": n, "version": v, "title": catalog.machine(n, v).spec.title}
            for n, v in catalog.versions()]


@get("/api/v1/workflows/{name:str}", operation_id="getWorkflow", tags=["reference"],
     opt=_PUBLIC, responses=problem_responses(404))
async def get_workflow(catalog: NamedDependency[WorkflowCatalog],
                       name: WorkflowName) -> dict[str, Any]:
    """The latest version of a workflow: states, transitions, roles, reason codes."""
    spec = catalog.machine(name).spec
    return {
        "name": spec.name, "version": spec.version, "title": spec.title, "initial": spec.initial,
        "states": [{"name": s.name, "description": s.description, "final": s.final}
                   for s in spec.states.values()],
        "reason_codes": dict(spec.reason_codes),
        "transitions": [{"event": t.event, "from": list(t.sources), "to": _to(t),
                         "roles": sorted(t.roles), "guards": list(t.guards),
                         "reason_codes": list(t.reason_codes), "note_required": t.note_required,
                         "personal_note": any(spec.note_is_personal(t, r) for r in t.roles),
                         "data_schema": t.data_schema} for t in spec.transitions],
    }


def _to(t: TransitionSpec) -> str | dict[str, list[str]] | None:
    """A transition's destination; for ``back_from`` the set and where it may return to."""
    if t.back_from:
        return {"back_from": sorted(t.back_from), "may_return_to": list(t.back_to)}
    return t.dest


@get("/api/v1/workflows/{name:str}/diagram", operation_id="getWorkflowDiagram",
     tags=["reference"], opt=_PUBLIC, media_type=MediaType.TEXT,
     responses=problem_responses(404))
async def get_workflow_diagram(catalog: NamedDependency[WorkflowCatalog],
                               name: WorkflowName) -> str:
    """A Mermaid state diagram of the latest version."""
    return catalog.machine(name).mermaid()


@get("/api/v1/codes-of-conduct", operation_id="listCodesOfConduct", tags=["reference"],
     opt=_PUBLIC)
async def list_codes(codes: NamedDependency[CodeLibrary]) -> list[dict[str, Any]]:
    """Codes of conduct with their principles and schema files."""
    return [c.summary() for c in codes]


@get("/api/v1/codes-of-conduct/{code:str}/{version:str}/schemas/{file:str}",
     operation_id="getCodeOfConductSchema", tags=["reference"], opt=_PUBLIC,
     media_type="application/schema+json", responses=problem_responses(404))
async def get_code_schema(codes: NamedDependency[CodeLibrary], code: CodeName,
                          version: CodeVersion, file: SchemaFile) -> dict[str, Any]:
    """One JSON Schema (the envelope or a principle) of a code of conduct."""
    found = codes.get(f"{code}/{version}")
    if file not in found.schemas:
        raise NotFound(f"{found.key} has no schema {file!r}; it has {', '.join(found.schemas)}")
    return found.schemas[file]


@post("/api/v1/codes-of-conduct/{code:str}/{version:str}/validate",
      operation_id="validateSelfAssessment", tags=["reference"], opt=_PUBLIC, status_code=200,
      responses=problem_responses(404, 422))
async def validate_document(codes: NamedDependency[CodeLibrary], code: CodeName,
                            version: CodeVersion,
                            data: JSONBody[bounds.JsonObject]) -> dict[str, Any]:
    """Check a self-assessment without submitting it: every problem, by principle and pointer."""
    errors = codes.get(f"{code}/{version}").validate(data)
    return {"valid": not errors,
            "errors": [ProblemField(e.pointer, e.message, e.principle) for e in errors]}


@get("/health", operation_id="health", tags=["operations"], opt=_PUBLIC)
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


reference_handlers: list[Any] = [list_workflows, get_workflow, get_workflow_diagram, list_codes,
                                 get_code_schema, validate_document, health]
