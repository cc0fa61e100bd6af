"""HTTP for referrals (authorities, caseworkers)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.disclosure.schemas import IdentityView
from iris_engine.referrals.service import ReferralService
from iris_engine.web.accesslog import LOG_MASK_OPT, LogMask
from iris_engine.web.problems import problem_responses

__all__ = ["ReferralController"]


class ReferralController(Controller):
    """Beyond the case endpoints every workflow gets (``iris_engine.cases.http``): the
    complainant's identity, for the authority they consented to."""

    path = "/"  # mounted under the case path (CaseApi.routes)
    tags = ["referrals"]
    security = [{"BearerToken": []}]

    @get("/{case_id:int}/identity", operation_id="readReferredIdentity",
         opt={LOG_MASK_OPT: LogMask(query=True)}, responses=problem_responses(401, 403, 404))
    async def identity(self, case_id: CaseId, principal: NamedDependency[Principal],
                       referrals: NamedDependency[ReferralService]) -> IdentityView:
        """The complainant's identity, when they consented to its going to an authority."""
        return await referrals.identity(principal, case_id)
