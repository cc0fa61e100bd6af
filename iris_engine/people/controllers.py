"""Log-in, recruiter self-registration and its confirmation, who-am-I, changing one's password."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.people.login import Logins
from iris_engine.people.registration import Registrations
from iris_engine.people.service import NewUser
from iris_engine.people.tokens import TokenIssuer
from iris_engine.store.models import User
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
    password: bounds.NewPassword


class RegistrationOrganisation(msgspec.Struct, forbid_unknown_fields=True):
    name: bounds.OrganisationName
    country: bounds.CountryCode


class Registration(msgspec.Struct, forbid_unknown_fields=True):
    organisation: RegistrationOrganisation
    user: RegistrationUser


class RegistrationReceived(msgspec.Struct):
    """The same for every registration, whether or not the address has an account."""

    status: str
    detail: str


class RegistrationConfirmation(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=bounds.TOKEN, pattern=bounds.NO_NUL)]


class Registered(msgspec.Struct):
    organisation_id: int
    user_id: int


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: bounds.Password
    new_password: bounds.NewPassword


class Me(msgspec.Struct):
    user_id: int
    organisation_id: int
    roles: list[str]
    email: str


_RECEIVED = RegistrationReceived(
    status="received",
    detail="We have sent an e-mail to the address given. Follow it to confirm the address; "
           "then log in with your password. No e-mail? Check the address and your spam folder.")


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _token_response(tokens: TokenIssuer, user: User) -> TokenResponse:
    return TokenResponse(access_token=tokens.issue(user.id or 0, user.token_version),
                         token_type="Bearer", expires_in=tokens.ttl_seconds, user_id=user.id or 0,
                         organisation_id=user.organisation_id, roles=sorted(user.role_set))


@post("/api/v1/auth/token", operation_id="issueToken", tags=["auth"],
      opt={**_PUBLIC, "rate_limit": "login"}, status_code=200,
      responses=problem_responses(401, 422, 429))
async def issue_access_token(request: Request[Any, Any, Any], data: JSONBody[TokenRequest],
                             logins: NamedDependency[Logins],
                             tokens: NamedDependency[TokenIssuer]) -> TokenResponse:
    """Exchange an e-mail and password for a bearer token. Repeated failures, for an account
    or from an address, make the next attempt wait (429 with Retry-After)."""
    return _token_response(tokens, await logins.log_in(data.email, data.password, _client(request)))


@post("/api/v1/recruiters", operation_id="registerRecruiter", tags=["auth"],
      opt={**_PUBLIC, "rate_limit": "registration"}, status_code=202,
      responses=problem_responses(422, 429))
async def register_recruiter(data: JSONBody[Registration],
                             registrations: NamedDependency[Registrations]) -> RegistrationReceived:
    """A recruiter registers its organisation and its first user (role: recruiter). The answer
    is the same whether or not the address has an account: an e-mail tells the rest (a token
    to confirm a new address with, or, to an existing account's owner, that someone tried)."""
    await registrations.register(
        name=data.organisation.name, country=data.organisation.country,
        user=NewUser(data.user.email, data.user.name, data.user.password, ("recruiter",)))
    return _RECEIVED


@post("/api/v1/recruiters/confirm", operation_id="confirmRegistration", tags=["auth"],
      opt={**_PUBLIC, "rate_limit": "registration"}, status_code=200,
      responses=problem_responses(404, 422, 429))
async def confirm_registration(data: JSONBody[RegistrationConfirmation],
                               registrations: NamedDependency[Registrations]) -> Registered:
    """Confirm a registration's e-mail address with the token e-mailed to it; the account may
    log in from then on."""
    user = await registrations.confirm(data.token)
    return Registered(organisation_id=user.organisation_id, user_id=user.id or 0)


@get("/api/v1/me", operation_id="whoAmI", tags=["auth"], security=[{"BearerToken": []}],
     responses=problem_responses(401))
async def who_am_i(principal: NamedDependency[Principal]) -> Me:
    """The caller's account as it is now."""
    return Me(principal.user_id, principal.organisation_id, sorted(principal.roles),
              principal.email)


@post("/api/v1/me/password", operation_id="changePassword", tags=["auth"], status_code=200,
      security=[{"BearerToken": []}], responses=problem_responses(401, 422, 429))
async def change_password(request: Request[Any, Any, Any], data: JSONBody[PasswordChange],
                          principal: NamedDependency[Principal], logins: NamedDependency[Logins],
                          tokens: NamedDependency[TokenIssuer]) -> TokenResponse:
    """Change the caller's password. Every token issued before, this one included, stops
    working: the answer carries a new one."""
    user = await logins.change_password(principal.user_id, data.current_password,
                                        data.new_password, _client(request))
    return _token_response(tokens, user)


people_handlers: list[Any] = [issue_access_token, register_recruiter, confirm_registration,
                              who_am_i, change_password]
