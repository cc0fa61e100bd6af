"""Bearer tokens (JWT, HS256) through Litestar's JWTAuth; the token carries the principal, so
authenticated requests need no database read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from iris_engine.cases import Principal
from iris_engine.settings import Settings

__all__ = ["TokenIssuer", "build_jwt_auth"]


async def _principal_from_token(
    token: Token, _connection: ASGIConnection[Any, Any, Any, Any]
) -> Principal | None:
    extras = token.extras
    try:
        return Principal(int(token.sub), int(extras["org"]), frozenset(extras["roles"]),
                         str(extras.get("email", "")))
    except (KeyError, TypeError, ValueError):
        return None


def build_jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        retrieve_user_handler=_principal_from_token,
        token_secret=settings.signing_key(),
        default_token_expiration=timedelta(seconds=settings.token_ttl_seconds),
        exclude=["^/schema", "^/health"],
        description="Access token from POST /api/v1/auth/token",
    )


class TokenIssuer:
    """Signs access tokens for a principal (a plain class: Litestar validates injected
    dataclasses, and JWTAuth's annotations cannot be resolved at run time)."""

    def __init__(self, auth: JWTAuth[Principal, Token]) -> None:
        self._auth = auth
        self.ttl_seconds = int(auth.default_token_expiration.total_seconds())

    def issue(self, principal: Principal) -> str:
        return self._auth.create_token(
            identifier=str(principal.user_id),
            token_extras={"org": principal.organisation_id, "roles": sorted(principal.roles),
                          "email": principal.email},
        )
