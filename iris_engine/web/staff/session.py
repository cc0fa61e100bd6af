"""The staff's session: the API's own access token, held in an HttpOnly cookie.

Signing in issues the token ``POST /api/v1/auth/token`` would (``TokenIssuer``), after the same
``Logins.log_in`` (its back-off included). Each staff page decodes the cookie with the app's
``JWTAuth`` settings and runs the same user handler as the bearer middleware
(``people.tokens.principal_of``): the account must still be active and the token's version
current, so deactivating an account or changing its roles or password ends its sessions too.
The cookie's path is ``/staff``: a browser never sends it to ``/api/``, and the bearer
middleware would ignore it there anyway (it reads only the ``Authorization`` header).
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import JWTAuth, Token

from iris_engine.cases import Principal
from iris_engine.web.pages.rendering import local_path

__all__ = ["COOKIE", "PATH", "SignInNeeded", "StaffSession", "sign_in_location"]

COOKIE = "iris_staff"
PATH = "/staff"
#: how long an encoded token may be before it is not even decoded
_TOKEN_MAX = 4096


class SignInNeeded(Exception):
    """The request holds no session that opens an account (none, expired, altered, revoked)."""


def sign_in_location(target: str | None) -> str:
    """The sign-in page, sending back to ``target`` afterwards when it is a staff page."""
    path = local_path(target, default="")
    if not path.startswith(PATH) or path.startswith(f"{PATH}/sign-"):
        return f"{PATH}/sign-in"
    return f"{PATH}/sign-in?next={quote(path, safe='/')}"


class StaffSession:
    """Issues, reads and clears the session cookie with the app's bearer-token settings."""

    def __init__(self, auth: JWTAuth[Principal, Token], *, secure: bool) -> None:
        self._auth = auth
        self.secure = secure
        self.ttl_seconds = int(auth.default_token_expiration.total_seconds())

    def cookie(self, token: str) -> Cookie:
        return Cookie(key=COOKIE, value=token, path=PATH, max_age=self.ttl_seconds,
                      httponly=True, secure=self.secure, samesite="strict")

    def cleared(self) -> Cookie:
        return Cookie(key=COOKIE, value="", path=PATH, max_age=0, httponly=True,
                      secure=self.secure, samesite="strict")

    async def principal(self, request: Request[Any, Any, Any]) -> Principal:
        """The signed-in account as it is now; ``SignInNeeded`` when there is none."""
        encoded = request.cookies.get(COOKIE)
        if not encoded or len(encoded) > _TOKEN_MAX:
            raise SignInNeeded
        auth = self._auth
        try:
            token = auth.token_cls.decode(
                encoded_token=encoded, secret=auth.token_secret, algorithm=auth.algorithm,
                audience=auth.accepted_audiences, issuer=auth.accepted_issuers,
                require_claims=auth.require_claims, verify_exp=auth.verify_expiry,
                verify_nbf=auth.verify_not_before, strict_audience=auth.strict_audience)
        except NotAuthorizedException:
            raise SignInNeeded from None
        found = auth.retrieve_user_handler(token, request)
        principal = await found if inspect.isawaitable(found) else found
        if not isinstance(principal, Principal):
            raise SignInNeeded
        return principal
