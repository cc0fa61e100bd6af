"""HTTP for the authorities directory: scheme staff read it, admins add to it."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from iris_engine.cases import Principal
from iris_engine.disclosure.authorities import Authorities
from iris_engine.disclosure.schemas import AuthorityCreate, AuthorityView
from iris_engine.errors import Forbidden
from iris_engine.web.problems import problem_responses

__all__ = ["AuthorityController"]

_STAFF = frozenset({"caseworker", "supervisor", "scheme_manager", "admin"})


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
