"""The staff workspace: recruiters, auditors, scheme managers, caseworkers and every other
role work their cases from a browser, with the API's accounts, access and pipeline.

- ``sign_in``: the form, the session cookie holding the API's own token (``session``);
- ``cases``: the work list and, for every workflow, its list and case pages, generated from
  the workflow file and the transition's JSON Schema (``forms``) with no template per
  workflow, calling the same ``CaseService`` as the API.

Every page is server-rendered, ``no-store``, outside the bearer middleware
(``exclude_from_auth``: its principal comes from the cookie, through the same checks), and
every form is CSRF-protected. An account that is not signed in is sent to the sign-in page;
a case it may not see is a page not found.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.response import Redirect
from litestar.security.jwt import JWTAuth, Token

from iris_engine.cases import Principal
from iris_engine.errors import Forbidden, NotFound
from iris_engine.services import Services
from iris_engine.settings import Settings
from iris_engine.web.i18n import N_
from iris_engine.web.pages import MAX_FORM_BYTES
from iris_engine.web.pages.rendering import html_exception_handlers
from iris_engine.web.staff import cases, register, sign_in
from iris_engine.web.staff.session import SignInNeeded, StaffSession, sign_in_location
from iris_engine.web.staff.workspace import Workspace, staff_page

__all__ = ["staff_router"]


def _not_found(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    """A case or workflow the account may not see: as if there were none (never a 403 that
    confirms it exists)."""
    return staff_page(request, "error.html", principal=None, status_code=404,
                      title=N_("Page not found"),
                      detail=N_("There is nothing at this address. Check it, or start again "
                                "from the home page."))


def staff_router(services: Services, settings: Settings, auth: JWTAuth[Principal, Token]
                 ) -> Router:
    """The workspace's pages, under ``/staff``."""
    workspace = Workspace(services,
                          StaffSession(auth, secure=settings.public_url.startswith("https://")))

    def provide_workspace() -> Workspace:
        return workspace

    def back_to_sign_in(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
        """No session that opens an account: sign in, then come back here (a GET's page)."""
        here = request.url.path
        if request.method == "GET" and request.url.query:
            here += f"?{request.url.query}"
        return Redirect(sign_in_location(here), status_code=303,
                        cookies=[workspace.session.cleared()])

    async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
        return await workspace.session.principal(request)

    return Router(
        path="/", route_handlers=[
            *sign_in.HANDLERS, *register.HANDLERS, *cases.HANDLERS,
            *(h for d in services.domains if d.staff_pages for h in d.staff_pages.handlers)],
        dependencies={"workspace": Provide(provide_workspace, sync_to_thread=False),
                      "staff": Provide(provide_principal)},
        exception_handlers={**html_exception_handlers, SignInNeeded: back_to_sign_in,
                            Forbidden: _not_found, NotFound: _not_found},
        include_in_schema=False, request_max_body_size=MAX_FORM_BYTES,
        # not the bearer middleware's: the principal comes from the session cookie
        opt={"exclude_from_auth": True})

