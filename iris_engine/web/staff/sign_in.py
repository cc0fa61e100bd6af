"""Signing in and out of the staff workspace: the API's accounts, log-in and tokens, in a
form and a cookie (``session``)."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from iris_engine import bounds
from iris_engine.errors import NotAuthenticated, TooManyAttempts
from iris_engine.people.login import Logins
from iris_engine.people.tokens import TokenIssuer
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm, local_path, read_form
from iris_engine.web.staff.session import PATH
from iris_engine.web.staff.workspace import Workspace, staff_page

__all__ = ["HANDLERS"]

#: the same words whether the account exists, is inactive or the password is wrong
_REFUSED = N_("This e-mail address and password do not match an account that may sign in.")
_NOTICES = {"signed_out": N_("You have signed out."),
            "confirmed": N_("Your e-mail address is confirmed. Sign in with the password you "
                            "chose.")}

_STAFF_PAGE = re.compile(rf"{PATH}(/[A-Za-z0-9_-]+)*(\?[^#]*)?")

Next = Annotated[str | None, QueryParameter(name="next", max_length=2000,
                                            description="The staff page to go to afterwards")]
Notice = Annotated[str | None, QueryParameter(max_length=20, description="Which message to show")]


def _next(target: str | None) -> str:
    """Where to go once signed in: a staff page of this site (plain path segments only, so
    no ``..`` climbs out of it), else the work list."""
    path = local_path(target, default=PATH)
    return path if _STAFF_PAGE.fullmatch(path) else PATH


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _form_page(request: Request[Any, Any, Any], *, form: PageForm | None, target: str,
               status_code: int = 200, notice: str | None = None,
               locked: int | None = None) -> Template:
    email = form.values.get("email") if form else None
    return staff_page(request, "staff/sign_in.html", principal=None, status_code=status_code,
                      form=form, target=target, notice=notice, locked=locked,
                      email=email.replace("\x00", "") if isinstance(email, str) else "")


@get(f"{PATH}/sign-in", name="staff-sign-in-form")
async def sign_in_form(request: Request[Any, Any, Any], next_: Next = None,
                       notice: Notice = None) -> Template:
    """The sign-in form."""
    return _form_page(request, form=None, target=_next(next_),
                      notice=_NOTICES.get(notice or ""))


@post(f"{PATH}/sign-in", name="staff-sign-in")
async def sign_in(request: Request[Any, Any, Any], logins: NamedDependency[Logins],
                  tokens: NamedDependency[TokenIssuer],
                  workspace: NamedDependency[Workspace]) -> Response[Any]:
    """Check the e-mail and password as ``POST /api/v1/auth/token`` does; hold its token."""
    form = await read_form(request)
    target = _next(form.values.get("next") if isinstance(form.values.get("next"), str) else None)
    email = form.text("email", required=True, max_length=bounds.EMAIL,
                      required_message=N_("Enter your e-mail address"))
    password = form.password("password", max_length=bounds.PASSWORD,
                             required_message=N_("Enter your password"),
                             too_long_message=_REFUSED)
    if form.errors or email is None or password is None:
        return _form_page(request, form=form, target=target, status_code=400)
    try:
        user = await logins.log_in(email, password, _client(request))
    except NotAuthenticated:
        form.errors.append(FormError("password", _REFUSED))
        return _form_page(request, form=form, target=target, status_code=400)
    except TooManyAttempts as exc:
        wait = int(exc.extra.get("retry_after", 60))
        response = _form_page(request, form=form, target=target, status_code=429,
                              locked=max(math.ceil(wait / 60), 1))
        response.headers["Retry-After"] = str(wait)
        return response
    token = tokens.issue(user.id or 0, user.token_version)
    return Redirect(target, status_code=303, cookies=[workspace.session.cookie(token)])


@post(f"{PATH}/sign-out", name="staff-sign-out")
async def sign_out(workspace: NamedDependency[Workspace]) -> Redirect:
    """Forget the session on this browser."""
    return Redirect(f"{PATH}/sign-in?notice=signed_out", status_code=303,
                    cookies=[workspace.session.cleared()])


HANDLERS = [sign_in_form, sign_in, sign_out]
