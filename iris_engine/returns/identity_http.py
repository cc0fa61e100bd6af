"""HTTP for reading the survivor's identity and account (``returns.identity``): the purpose is
recorded with each read and masked in the access log."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.returns.identity import SurvivorReads
from iris_engine.returns.schemas import ReturnAccountView, ReturnIdentityView
from iris_engine.web.accesslog import LOG_MASK_OPT, LogMask
from iris_engine.web.problems import problem_responses

__all__ = ["SurvivorReadController"]

Purpose = Annotated[str, QueryParameter(min_length=3, max_length=bounds.PURPOSE,
                                        pattern=bounds.NO_NUL,
                                        description="Why you need it (recorded)")]


class SurvivorReadController(Controller):
    path = "/"  # mounted under the return cases' path (CaseApi.routes)
    tags = ("returns",)
    security = ({"BearerToken": []},)

    @get("/{case_id:int}/identity", operation_id="readSurvivorIdentity",
         opt={LOG_MASK_OPT: LogMask(query=True)}, responses=problem_responses(401, 403, 404, 422))
    async def identity(self, case_id: CaseId, principal: NamedDependency[Principal],
                       survivor_reads: NamedDependency[SurvivorReads],
                       purpose: Purpose) -> ReturnIdentityView:
        """Who the survivor is and how to reach them: the return officer holding the case,
        supervisors, and the partner while the survivor's consent to sharing stands; every
        read recorded."""
        return await survivor_reads.identity(principal, case_id, purpose=purpose)

    @get("/{case_id:int}/account", operation_id="readSurvivorAccount",
         opt={LOG_MASK_OPT: LogMask(query=True)}, responses=problem_responses(401, 403, 404, 422))
    async def account(self, case_id: CaseId, principal: NamedDependency[Principal],
                      survivor_reads: NamedDependency[SurvivorReads],
                      purpose: Purpose) -> ReturnAccountView:
        """The survivor's account as the referrer heard it: the return officer holding the
        case and supervisors; every read recorded."""
        return await survivor_reads.account(principal, case_id, purpose=purpose)
