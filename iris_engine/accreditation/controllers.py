"""HTTP for accreditation applications: each handler parses, then calls one service method."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from iris_engine.accreditation.schemas import (
    ApplicationCreate,
    ApplicationView,
    AvailableTransition,
    CaseEventView,
    TransitionRequest,
)
from iris_engine.accreditation.service import AccreditationService
from iris_engine.cases import Principal
from iris_engine.web.problems import problem_responses

__all__ = ["ApplicationController"]


class ApplicationController(Controller):
    path = "/api/v1/applications"
    tags = ["accreditation"]
    security = [{"BearerToken": []}]

    @post("/", operation_id="createApplication", status_code=201,
          responses=problem_responses(401, 403, 404, 422))
    async def create(self, data: JSONBody[ApplicationCreate], principal: NamedDependency[Principal],
                     accreditation: NamedDependency[AccreditationService]) -> ApplicationView:
        """Open an application in draft for the caller's organisation (recruiters)."""
        return await accreditation.create(principal, self_assessment=data.self_assessment,
                                          code_of_conduct=data.code_of_conduct)

    @get("/", operation_id="listApplications", responses=problem_responses(401, 403))
    async def list_applications(
        self, principal: NamedDependency[Principal],
        accreditation: NamedDependency[AccreditationService],
        in_state: Annotated[str | None, QueryParameter(name="state")] = None, after: FromQuery[int] = 0,
        limit: FromQuery[int] = 50,
    ) -> list[ApplicationView]:
        """Applications the caller may see, oldest first; page with ``after`` (last id seen)."""
        return await accreditation.list(principal, state=in_state, after=after,
                                        limit=max(1, min(limit, 200)))

    @get("/{case_id:int}", operation_id="getApplication",
         responses=problem_responses(401, 403, 404))
    async def get_application(self, case_id: FromPath[int], principal: NamedDependency[Principal],
                              accreditation: NamedDependency[AccreditationService]) -> ApplicationView:
        """One application with its self-assessment and non-conformities."""
        return await accreditation.get(principal, case_id)

    @get("/{case_id:int}/transitions", operation_id="listApplicationTransitions",
         responses=problem_responses(401, 403, 404))
    async def transitions(self, case_id: FromPath[int], principal: NamedDependency[Principal],
                          accreditation: NamedDependency[AccreditationService],
                          ) -> list[AvailableTransition]:
        """Events the caller may fire now, with any condition that currently blocks each."""
        return await accreditation.available(principal, case_id)

    @post("/{case_id:int}/transitions", operation_id="fireApplicationTransition", status_code=200,
          responses=problem_responses(401, 403, 404, 409, 422))
    async def fire(self, case_id: FromPath[int], data: JSONBody[TransitionRequest],
                   principal: NamedDependency[Principal],
                   accreditation: NamedDependency[AccreditationService]) -> ApplicationView:
        """Fire an event; ``expected_revision`` must be the revision you last read."""
        return await accreditation.fire(principal, case_id, data)

    @get("/{case_id:int}/history", operation_id="getApplicationHistory",
         responses=problem_responses(401, 403, 404))
    async def history(self, case_id: FromPath[int], principal: NamedDependency[Principal],
                      accreditation: NamedDependency[AccreditationService]) -> list[CaseEventView]:
        """The hash-chained audit trail of the application, oldest first."""
        return await accreditation.history(principal, case_id)
