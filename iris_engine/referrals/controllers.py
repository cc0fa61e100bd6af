"""HTTP for referrals (authorities, caseworkers) and the authorities directory (admins)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from iris_engine.cases import Principal
from iris_engine.cases.schemas import AvailableTransition, CaseEventView, TransitionRequest
from iris_engine.errors import Forbidden
from iris_engine.grievances.schemas import IdentityView
from iris_engine.referrals.authorities import Authorities
from iris_engine.referrals.schemas import AuthorityCreate, AuthorityView, ReferralView
from iris_engine.referrals.service import ReferralService
from iris_engine.web.problems import problem_responses

__all__ = ["AuthorityController", "ReferralController"]

_STAFF = frozenset({"caseworker", "supervisor", "scheme_manager", "admin"})


class ReferralController(Controller):
    """An authority sees the referrals routed to it; the caseworker those of its grievances."""

    path = "/api/v1/referrals"
    tags = ["referrals"]
    security = [{"BearerToken": []}]

    @get("/", operation_id="listReferrals", responses=problem_responses(401, 403))
    async def list_referrals(
        self, principal: NamedDependency[Principal], referrals: NamedDependency[ReferralService],
        in_state: Annotated[str | None, QueryParameter(name="state")] = None,
        after: FromQuery[int] = 0, limit: FromQuery[int] = 50,
    ) -> list[ReferralView]:
        """Referrals the caller may see, oldest first; page with ``after``."""
        return await referrals.list(principal, state=in_state, after=after,
                                    limit=max(1, min(limit, 200)))

    @get("/{case_id:int}", operation_id="getReferral", responses=problem_responses(401, 403, 404))
    async def get_referral(self, case_id: FromPath[int], principal: NamedDependency[Principal],
                           referrals: NamedDependency[ReferralService]) -> ReferralView:
        """The referral and its packet (the minimum data); the authority's first read is the
        delivery receipt, and its reads are recorded."""
        return await referrals.get(principal, case_id)

    @get("/{case_id:int}/identity", operation_id="readReferredIdentity",
         responses=problem_responses(401, 403, 404))
    async def identity(self, case_id: FromPath[int], principal: NamedDependency[Principal],
                       referrals: NamedDependency[ReferralService]) -> IdentityView:
        """The complainant's identity, when they consented to its going to an authority."""
        return await referrals.identity(principal, case_id)

    @get("/{case_id:int}/transitions", operation_id="listReferralTransitions",
         responses=problem_responses(401, 403, 404))
    async def transitions(self, case_id: FromPath[int], principal: NamedDependency[Principal],
                          referrals: NamedDependency[ReferralService]) -> list[AvailableTransition]:
        """Events the caller may fire now (acknowledge, request information, record outcome)."""
        return await referrals.available(principal, case_id)

    @post("/{case_id:int}/transitions", operation_id="fireReferralTransition", status_code=200,
          responses=problem_responses(401, 403, 404, 409, 422))
    async def fire(self, case_id: FromPath[int], data: JSONBody[TransitionRequest],
                   principal: NamedDependency[Principal],
                   referrals: NamedDependency[ReferralService]) -> ReferralView:
        """Fire an event; ``expected_revision`` must be the revision you last read."""
        return await referrals.fire(principal, case_id, data)

    @get("/{case_id:int}/history", operation_id="getReferralHistory",
         responses=problem_responses(401, 403, 404))
    async def history(self, case_id: FromPath[int], principal: NamedDependency[Principal],
                      referrals: NamedDependency[ReferralService]) -> list[CaseEventView]:
        """The hash-chained audit trail, oldest first."""
        return await referrals.history(principal, case_id)


class AuthorityController(Controller):
    path = "/api/v1/authorities"
    tags = ["referrals"]
    security = [{"BearerToken": []}]

    @get("/", operation_id="listAuthorities", responses=problem_responses(401, 403))
    async def list_authorities(self, principal: NamedDependency[Principal],
                               authorities: NamedDependency[Authorities]) -> list[AuthorityView]:
        """The directory: jurisdiction, remit and channel of each authority (staff)."""
        if not principal.roles & _STAFF:
            raise Forbidden("the authorities directory is for scheme staff")
        return await authorities.list()

    @post("/", operation_id="addAuthority", status_code=201,
          responses=problem_responses(401, 403, 422))
    async def add(self, data: JSONBody[AuthorityCreate], principal: NamedDependency[Principal],
                  authorities: NamedDependency[Authorities]) -> AuthorityView:
        """Add an authority (admins). A webhook authority's signing secret is shown only now."""
        return await authorities.add(principal, data)
