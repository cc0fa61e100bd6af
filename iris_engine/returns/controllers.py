"""HTTP beyond the generated case endpoints of ``/api/v1/returns``: referring a survivor."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from iris_engine.cases import Principal
from iris_engine.returns.intake import ReturnIntake
from iris_engine.returns.schemas import ReturnReferral, ReturnView
from iris_engine.web.problems import problem_responses

__all__ = ["ReturnCaseController"]


class ReturnCaseController(Controller):
    path = "/"  # mounted under the return cases' path (CaseApi.routes)
    tags = ["returns"]
    security = [{"BearerToken": []}]

    @post("/", operation_id="referForReturn", status_code=201,
          responses=problem_responses(401, 403, 422))
    async def refer(self, data: JSONBody[ReturnReferral], principal: NamedDependency[Principal],
                    return_intake: NamedDependency[ReturnIntake]) -> ReturnView:
        """Refer a survivor who chooses to go home (referrers and return officers): the minimum
        to open an enquiry; identity and account are sealed. A nationality returns are not
        arranged to today is refused, naming those they are."""
        return await return_intake.refer(principal, data)
