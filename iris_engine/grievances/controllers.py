"""HTTP for grievances: the public side (no login: a reference and an access code) and the
staff side (caseworkers, supervisors). Each handler parses, then calls one service method."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.cases.http import CaseId
from iris_engine.cases.schemas import TransitionRequest
from iris_engine.disclosure.schemas import IdentityView
from iris_engine.grievances.routing import RoutingProposal
from iris_engine.grievances.schemas import (
    ComplainantView,
    Filed,
    GrievanceFiling,
    MessageCreate,
    MessageView,
    NarrativeView,
    RecruiterGrievanceStats,
)
from iris_engine.grievances.service import GrievanceService
from iris_engine.web.accesslog import LOG_MASK_OPT, LogMask
from iris_engine.web.problems import problem_responses

__all__ = ["ComplainantController", "GrievanceCaseController", "grievance_stats"]

AccessCode = Annotated[str, HeaderParameter(
    name="IRIS-Access-Code", min_length=1, max_length=bounds.ACCESS_CODE, pattern=bounds.NO_NUL,
    description="The access code given when the grievance was filed")]
Reference = Annotated[str, PathParameter(min_length=1, max_length=bounds.REFERENCE, pattern=bounds.NO_NUL,
                                         description="The grievance's reference, e.g. GRV-7K3QD-M2P8X")]


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


#: why a member of staff reads personal data: recorded with the read (and masked in the log)
Purpose = Annotated[str, QueryParameter(min_length=3, max_length=bounds.PURPOSE,
                                        pattern=bounds.NO_NUL,
                                        description="Why you need it (recorded)")]

class ComplainantController(Controller):
    """No account: the reference and access code are the complainant's only credential, and a
    wrong code answers exactly as an unknown reference does."""

    path = "/api/v1/grievances"
    tags = ["grievances (complainant)"]
    # the reference is half the complainant's credential: logs show neither it nor a query
    opt = {"exclude_from_auth": True, LOG_MASK_OPT: LogMask(params=("reference",), query=True)}

    @post("/", operation_id="fileGrievance", status_code=201, opt={"rate_limit": "grievance"},
          responses=problem_responses(422, 429))
    async def file(self, data: JSONBody[GrievanceFiling],
                   grievances: NamedDependency[GrievanceService]) -> Filed:
        """File a grievance, anonymously unless ``contact`` is given. Keep the reference and the
        access code: they are shown once, and together they are the only way back to it."""
        return await grievances.file(data)

    @get("/{reference:str}", operation_id="followGrievance",
         responses=problem_responses(404, 429))
    async def follow(self, request: Request[Any, Any, Any], reference: Reference,
                     access_code: AccessCode,
                     grievances: NamedDependency[GrievanceService]) -> ComplainantView:
        """The grievance as the complainant sees it: its stage, updates, messages, next deadline."""
        return await grievances.follow(reference, access_code, _client(request))

    @post("/{reference:str}/transitions", operation_id="actOnGrievance", status_code=200,
          responses=problem_responses(403, 404, 409, 422, 429))
    async def act(self, request: Request[Any, Any, Any], reference: Reference,
                  access_code: AccessCode, data: JSONBody[TransitionRequest],
                  grievances: NamedDependency[GrievanceService]) -> ComplainantView:
        """Withdraw the grievance, or appeal its outcome to the next tier (see ``may``)."""
        return await grievances.complainant_fire(reference, access_code, _client(request), data)

    @post("/{reference:str}/messages", operation_id="messageCaseworker", status_code=201,
          responses=problem_responses(404, 409, 422, 429))
    async def message(self, request: Request[Any, Any, Any], reference: Reference,
                      access_code: AccessCode, data: JSONBody[MessageCreate],
                      grievances: NamedDependency[GrievanceService]) -> MessageView:
        """Send the caseworker a message (it is sealed at rest and not copied into e-mail)."""
        return await grievances.complainant_message(reference, access_code, _client(request),
                                                    data.body)


class GrievanceCaseController(Controller):
    """Staff, beyond the case endpoints every workflow gets (``iris_engine.cases.http``):
    the complainant's account, messages, their identity, routing to an authority."""

    path = "/"  # mounted under the case path (CaseApi.routes)
    tags = ["grievances (staff)"]
    security = [{"BearerToken": []}]

    @get("/{case_id:int}/narrative", operation_id="readGrievanceNarrative",
         opt={LOG_MASK_OPT: LogMask(query=True)}, responses=problem_responses(401, 403, 404, 422))
    async def narrative(
        self, case_id: CaseId, principal: NamedDependency[Principal],
        grievances: NamedDependency[GrievanceService],
        purpose: Purpose,
    ) -> NarrativeView:
        """What happened, in the complainant's words: for the staff who reach the grievance
        (the scheme manager at the last appeal tier only); every read recorded."""
        return await grievances.narrative(principal, case_id, purpose=purpose)

    @get("/{case_id:int}/messages", operation_id="listGrievanceMessages",
         responses=problem_responses(401, 403, 404))
    async def messages(self, case_id: CaseId, principal: NamedDependency[Principal],
                       grievances: NamedDependency[GrievanceService]) -> list[MessageView]:
        """Messages with the complainant, oldest first; a read that shows theirs is recorded."""
        return await grievances.messages(principal, case_id)

    @post("/{case_id:int}/messages", operation_id="messageComplainant", status_code=201,
          responses=problem_responses(401, 403, 404, 409, 422))
    async def send_message(self, case_id: CaseId, data: JSONBody[MessageCreate],
                           principal: NamedDependency[Principal],
                           grievances: NamedDependency[GrievanceService]) -> MessageView:
        """Write to the complainant; they read it with their reference and access code."""
        return await grievances.send_message(principal, case_id, data.body)

    @get("/{case_id:int}/identity", operation_id="readComplainantIdentity",
         opt={LOG_MASK_OPT: LogMask(query=True)}, responses=problem_responses(401, 403, 404, 422))
    async def identity(
        self, case_id: CaseId, principal: NamedDependency[Principal],
        grievances: NamedDependency[GrievanceService],
        purpose: Purpose,
    ) -> IdentityView:
        """Who filed it and how to reach them: the assigned caseworker only; every read recorded."""
        return await grievances.identity(principal, case_id, purpose=purpose)

    @get("/{case_id:int}/routing", operation_id="proposeAuthorities",
         responses=problem_responses(401, 403, 404))
    async def routing(self, case_id: CaseId, principal: NamedDependency[Principal],
                      grievances: NamedDependency[GrievanceService]) -> list[RoutingProposal]:
        """Authorities whose jurisdiction and remit fit the grievance, best first."""
        return await grievances.routing(principal, case_id)


@get("/api/v1/grievance-stats", operation_id="grievanceStats", tags=["grievances (staff)"],
     security=[{"BearerToken": []}], responses=problem_responses(401, 403))
async def grievance_stats(principal: NamedDependency[Principal],
                          grievances: NamedDependency[GrievanceService],
                          lrn: Annotated[str | None, QueryParameter(max_length=bounds.LRN,
                                                                     pattern=bounds.NO_NUL)] = None,
                          ) -> list[RecruiterGrievanceStats]:
    """How many grievances name each recruiter and which principles; never who complained."""
    return await grievances.stats(principal, lrn)
