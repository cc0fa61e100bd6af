"""HTTP for accreditation applications beyond the case endpoints every workflow gets
(``iris_engine.cases.http``): a recruiter opens one."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from iris_engine.accreditation.schemas import ApplicationCreate, ApplicationView
from iris_engine.accreditation.service import AccreditationService
from iris_engine.cases import Principal
from iris_engine.web.problems import problem_responses

__all__ = ["ApplicationController"]


class ApplicationController(Controller):
    path = "/"  # mounted under the case path (CaseApi.routes)
    tags = ["accreditation"]
    security = [{"BearerToken": []}]

    @post("/", operation_id="createApplication", status_code=201,
          responses=problem_responses(401, 403, 404, 409, 422))
    async def create(self, data: JSONBody[ApplicationCreate], principal: NamedDependency[Principal],
                     accreditation: NamedDependency[AccreditationService]) -> ApplicationView:
        """Open an application in draft for the caller's organisation (recruiters). An
        organisation has one application at a time: 409, with a link to it, while one is not
        in a final state."""
        return await accreditation.create(principal, self_assessment=data.self_assessment,
                                          code_of_conduct=data.code_of_conduct)
