"""Bearer tokens (JWT, HS256) through Litestar's JWTAuth.

A token names its user and the account's token version, nothing else (no e-mail, no roles).
Each request reads the account by primary key, one statement, and refuses the token when the
account is inactive or its version moved on (deactivated, roles or password changed): what a
token may do is always what the account may do now.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from sqlalchemy import bindparam, select
from sqlmodel import col

from iris_engine.cases import Principal
from iris_engine.errors import NotAuthenticated
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import MAX_ID, User
from iris_engine.web.problems import BEARER_CHALLENGE

__all__ = ["OPTIONAL_AUTH_OPT", "BearerAuthenticationMiddleware", "TokenIssuer", "build_jwt_auth",
           "principal_of"]

log = logging.getLogger(__name__)

#: RFC 6750, section 2.1: ``Authorization: Bearer <b64token>``; the scheme is case-insensitive
_BEARER = re.compile(r"(?i:bearer) +([A-Za-z0-9\-._~+/]+=*)")
#: the token's claim holding the account's token version
VERSION_CLAIM = "ver"
#: a handler with this opt also answers callers without an Authorization header (its user is
#: then None), e.g. a learner who shows a link token instead; a token sent is still checked
OPTIONAL_AUTH_OPT = "auth_optional"


def _refusal(detail: str, error: str | None = None) -> NotAuthenticated:
    """A 401 whose challenge says what to send (RFC 6750, section 3: no error code when the
    request carried no credentials in our scheme)."""
    challenge = f'{BEARER_CHALLENGE}, error="{error}"' if error else BEARER_CHALLENGE
    return NotAuthenticated(detail, headers={"WWW-Authenticate": challenge})


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware takes whatever follows the first space of the header, under
    any scheme; this one accepts only ``Bearer <token>``."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]
                                   ) -> AuthenticationResult:
        header = connection.headers.get(self.auth_header)
        if not header and connection.route_handler.opt.get(OPTIONAL_AUTH_OPT):
            return AuthenticationResult(user=None, auth=None)
        if not header:
            raise _refusal("an access token is needed: Authorization: Bearer <token> "
                           "(POST /api/v1/auth/token)")
        found = _BEARER.fullmatch(header.strip())
        if found is None:
            raise _refusal("the Authorization header must be: Bearer <token>", "invalid_request")
        try:
            return await self.authenticate_token(encoded_token=found.group(1),
                                                 connection=connection)
        except NotAuthorizedException:
            raise _refusal("the access token is invalid, expired or no longer valid for this "
                           "account: log in again", "invalid_token") from None


def principal_of(db: Database) -> Any:
    """The JWTAuth user handler: the token's account as it is now, or None to refuse."""
    # built once: a statement built per request cost more than running it (issue #14)
    account = select(col(User.organisation_id), col(User.roles), col(User.email),
                     col(User.active), col(User.token_version),
                     col(User.confirmation_hash)).where(col(User.id) == bindparam("user_id"))

    async def current_principal(token: Token, _connection: ASGIConnection[Any, Any, Any, Any]
                                ) -> Principal | None:
        try:
            user_id, version = int(token.sub), int(token.extras[VERSION_CLAIM])
        except (KeyError, TypeError, ValueError):
            return None
        if not 0 < user_id <= MAX_ID:
            return None
        row = await db.fetch_one(account, {"user_id": user_id})
        if (row is None or not row.active or row.confirmation_hash is not None
                or row.token_version != version):
            return None
        return Principal(user_id, row.organisation_id, frozenset(row.roles.split()), row.email)

    return current_principal


def build_jwt_auth(settings: Settings, db: Database) -> JWTAuth[Principal, Token]:
    if not settings.secret_key:
        log.warning("IRIS_SECRET_KEY is not set: access tokens are signed with a random key made "
                    "for this process; they stop working on restart and on other workers. Set "
                    "it (32+ random bytes) before real use")
    return JWTAuth[Principal, Token](
        retrieve_user_handler=principal_of(db),
        token_secret=settings.signing_key(),
        default_token_expiration=timedelta(seconds=settings.token_ttl_seconds),
        exclude=["^/schema", "^/health"],
        description="Access token from POST /api/v1/auth/token",
        authentication_middleware_class=BearerAuthenticationMiddleware,
    )


class TokenIssuer:
    """Signs access tokens for an account (a plain class: Litestar validates injected
    dataclasses, and JWTAuth's annotations cannot be resolved at run time)."""

    def __init__(self, auth: JWTAuth[Principal, Token]) -> None:
        self._auth = auth
        self.ttl_seconds = int(auth.default_token_expiration.total_seconds())

    def issue(self, user_id: int, token_version: int) -> str:
        return self._auth.create_token(identifier=str(user_id),
                                       token_extras={VERSION_CLAIM: token_version})
