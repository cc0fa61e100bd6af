"""The five endpoints every workflow's cases get, generated from its ``CaseApi``: list, get,
the transitions the caller may fire, fire one, and the audit trail. Each handler parses and
calls the workflow's ``CaseService``; the operation ids and response schemas are the
workflow's own, so the OpenAPI stays as precise as hand-written controllers."""

from __future__ import annotations

from collections.abc import Callable
from types import GenericAlias
from typing import TYPE_CHECKING, Annotated, Any

from litestar import Router, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, PathParameter, QueryParameter

from iris_engine import bounds
from iris_engine.cases.access import Principal
from iris_engine.cases.schemas import AvailableTransition, CaseEventView, TransitionRequest
from iris_engine.cases.service import CaseService
from iris_engine.web.problems import problem_responses

if TYPE_CHECKING:
    from iris_engine.domain import CaseApi

__all__ = ["MAX_PAGE", "CaseId", "case_router"]

_BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]
#: how many cases one page of a list holds at most
MAX_PAGE = 200
#: a case's id in a path
CaseId = Annotated[int, PathParameter(ge=1, le=bounds.MAX_ID)]


def _answering(returns: Any, handler: Callable[..., Any]) -> Callable[..., Any]:
    """Give a generated handler its workflow's return type (the OpenAPI response schema)."""
    handler.__annotations__ = {**handler.__annotations__, "return": returns}
    return handler


def case_router(api: CaseApi, cases: CaseService) -> Router:
    """The case endpoints of one workflow, under ``api.path``, served by ``cases``, with the
    domain's own handlers for that path (one router: Litestar refuses a path registered twice)."""
    noun = api.noun.lower()
    scope = f" {api.audience}" if api.audience else ""

    async def list_cases(
        principal: NamedDependency[Principal],
        in_state: Annotated[str | None, QueryParameter(
            name="state", max_length=bounds.NAME, pattern=bounds.NAME_PATTERN)] = None,
        after: Annotated[int, QueryParameter(
            ge=0, le=bounds.MAX_ID, description="The last id of the previous page")] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> Any:
        return await cases.list(principal, state=in_state, after=after, limit=limit)

    async def get_case(case_id: CaseId, principal: NamedDependency[Principal]) -> Any:
        return await cases.get(principal, case_id)

    async def transitions(case_id: CaseId, principal: NamedDependency[Principal],
                          ) -> list[AvailableTransition]:
        return await cases.available(principal, case_id)

    async def fire(case_id: CaseId, data: JSONBody[TransitionRequest],
                   principal: NamedDependency[Principal]) -> Any:
        return await cases.fire(principal, case_id, data)

    async def history(case_id: CaseId, principal: NamedDependency[Principal],
                      ) -> list[CaseEventView]:
        return await cases.history(principal, case_id)

    common: dict[str, Any] = {"tags": [api.tag], "security": _BEARER}
    handlers: list[HTTPRouteHandler] = [
        get("/", operation_id=f"list{api.plural}", responses=problem_responses(401, 403, 422),
            summary=f"List {api.plural.lower()}",
            description=f"The {noun} cases the caller may see{scope}, oldest first; page with "
                        "``after`` (the last id seen).", **common)(
            _answering(GenericAlias(list, (api.view,)), list_cases)),
        get("/{case_id:int}", operation_id=f"get{api.noun}",
            responses=problem_responses(401, 403, 404), summary=f"Get a {noun}",
            description=f"One {noun} with its detail and deadlines.", **common)(
            _answering(api.view, get_case)),
        get("/{case_id:int}/transitions", operation_id=f"list{api.noun}Transitions",
            responses=problem_responses(401, 403, 404), summary="What may fire now",
            description="Events the caller may fire now, with any condition that currently "
                        "blocks each.", **common)(transitions),
        post("/{case_id:int}/transitions", operation_id=f"fire{api.noun}Transition",
             status_code=200, responses=problem_responses(401, 403, 404, 409, 422),
             summary="Fire an event",
             description="Fire an event; ``expected_revision`` must be the revision you last "
                         "read (409 if it moved).", **common)(_answering(api.view, fire)),
        get("/{case_id:int}/history", operation_id=f"get{api.noun}History",
            responses=problem_responses(401, 403, 404), summary="The audit trail",
            description="The hash-chained audit trail, oldest first.", **common)(history),
    ]
    return Router(path=api.path, route_handlers=[*handlers, *api.routes])
