"""Log-in, recruiter self-registration, and who-am-I."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.people.service import NewUser, People
from iris_engine.people.tokens import TokenIssuer
from iris_engine.store.db import Database
from iris_engine.web.problems import problem_responses

__all__ = ["people_handlers"]

_PUBLIC = {"exclude_from_auth": True}


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, Meta(min_length=1, max_length=bounds.EMAIL, pattern=bounds.NO_NUL)]
    password: bounds.Password


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    user_id: int
    organisation_id: int
    roles: list[str]


class RegistrationUser(msgspec.Struct, forbid_unknown_fields=True):
    email: bounds.Email
    name: bounds.PersonName
    password: Annotated[str, Meta(min_length=10, max_length=bounds.PASSWORD, pattern=bounds.NO_NUL)]


class RegistrationOrganisation(msgspec.Struct, forbid_unknown_fields=True):
    name: bounds.OrganisationName
    country: bounds.CountryCode


class Registration(msgspec.Struct, forbid_unknown_fields=True):
    organisation: RegistrationOrganisation
    user: RegistrationUser


class Registered(msgspec.Struct):
    organisation_id: int
    user_id: int


class Me(msgspec.Struct):
    user_id: int
    organisation_id: int
    roles: list[str]
    email: str


@post("/api/v1/auth/token", operation_id="issueToken", tags=["auth"],
      opt={**_PUBLIC, "rate_limit": "login"}, status_code=200,
      responses=problem_responses(401, 422, 429))
async def issue_access_token(data: JSONBody[TokenRequest], db: NamedDependency[Database],
                             people: NamedDependency[People],
                             tokens: NamedDependency[TokenIssuer]) -> TokenResponse:
    """Exchange an e-mail and password for a bearer token."""
    async with db.read() as session:
        principal = await people.authenticate(session, data.email, data.password)
    return TokenResponse(access_token=tokens.issue(principal), token_type="Bearer",
                         expires_in=tokens.ttl_seconds,
                         user_id=principal.user_id, organisation_id=principal.organisation_id,
                         roles=sorted(principal.roles))


@post("/api/v1/recruiters", operation_id="registerRecruiter", tags=["auth"],
      opt={**_PUBLIC, "rate_limit": "registration"}, status_code=201,
      responses=problem_responses(409, 422, 429))
async def register_recruiter(data: JSONBody[Registration], db: NamedDependency[Database],
                             people: NamedDependency[People]) -> Registered:
    """A recruiter registers its organisation and its first user (role: recruiter)."""
    async with db.write() as session:
        org, user = await people.register_recruiter(
            session, name=data.organisation.name, country=data.organisation.country,
            user=NewUser(data.user.email, data.user.name, data.user.password, ("recruiter",)),
        )
        return Registered(organisation_id=org.id or 0, user_id=user.id or 0)


@get("/api/v1/me", operation_id="whoAmI", tags=["auth"], security=[{"BearerToken": []}],
     responses=problem_responses(401))
async def who_am_i(principal: NamedDependency[Principal]) -> Me:
    """The caller as the access token describes it."""
    return Me(principal.user_id, principal.organisation_id, sorted(principal.roles),
              principal.email)


people_handlers: list[Any] = [issue_access_token, register_recruiter, who_am_i]
