"""A recruiter registers its organisation from the workspace, and confirms its address from
the link the e-mail brings: the API's ``Registrations`` (the same answer whether or not the
address has an account, the same e-mail, the same rate limit), in forms.

The confirmation link opens a page with a button; only posting it confirms (a mail scanner
that follows links confirms nothing). Its token is in the query string, which the access log
masks (``LogMask(query=True)``), and the page sends no referrer.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from iris_engine import bounds
from iris_engine.errors import InvalidInput, NotFound
from iris_engine.people.registration import Registrations
from iris_engine.people.service import NewUser
from iris_engine.web.accesslog import LOG_MASK_OPT, LogMask
from iris_engine.web.i18n import N_, countries_by_name
from iris_engine.web.pages.rendering import FormError, PageForm, read_form
from iris_engine.web.staff.session import PATH
from iris_engine.web.staff.workspace import staff_page

__all__ = ["HANDLERS"]

#: the form's field for each registration pointer
_FIELDS = {"/organisation/name": "organisation_name", "/organisation/country": "country",
           "/user/email": "email", "/user/name": "name", "/user/password": "password"}
_RATE = {"rate_limit": "registration"}

Token = Annotated[str | None, QueryParameter(max_length=bounds.TOKEN,
                                             description="The token the e-mail brought")]


def _page(request: Request[Any, Any, Any], template: str, *, status_code: int = 200,
          **context: Any) -> Template:
    return staff_page(request, template, principal=None, status_code=status_code, **context)


def _form(request: Request[Any, Any, Any], form: PageForm | None, *,
          status_code: int = 200) -> Template:
    """The registration form (again, with what was typed and its problems)."""
    return _page(request, "staff/register.html", status_code=status_code, form=form,
                 kept=_kept(form), countries=countries_by_name("en"))


def _kept(form: PageForm | None) -> dict[str, str]:
    """What was typed, to show again (never the password)."""
    if form is None:
        return {}
    return {k: v.replace("\x00", "") for k in ("organisation_name", "country", "name", "email")
            if isinstance(v := form.values.get(k), str)}


@get(f"{PATH}/register", name="staff-register-form")
async def register_form(request: Request[Any, Any, Any]) -> Template:
    """The registration form for a recruiter organisation and its first user."""
    return _form(request, None)


@post(f"{PATH}/register", name="staff-register", opt=_RATE)
async def register(request: Request[Any, Any, Any],
                   registrations: NamedDependency[Registrations]) -> Response[Any]:
    """Register as ``POST /api/v1/recruiters`` does; the answer says to read the e-mail."""
    form = await read_form(request)
    organisation = form.text("organisation_name", required=True,
                             max_length=bounds.ORGANISATION_NAME,
                             required_message=N_("Enter your organisation's registered name"))
    country = form.text("country", required=True, max_length=bounds.COUNTRY,
                        required_message=N_("Choose the country your organisation is in"))
    name = form.text("name", required=True, max_length=bounds.PERSON_NAME,
                     required_message=N_("Enter your name"))
    email = form.text("email", required=True, max_length=bounds.EMAIL,
                      required_message=N_("Enter your e-mail address"))
    password = form.password("password", max_length=bounds.NEW_PASSWORD_MAX,
                             required_message=N_("Choose a password"))
    if (form.errors or organisation is None or country is None or name is None
            or email is None or password is None):
        return _form(request, form, status_code=400)
    try:
        await registrations.register(name=organisation, country=country,
                                     user=NewUser(email, name, password, ("recruiter",)))
    except InvalidInput as exc:
        form.errors.extend(FormError(_FIELDS.get(e.pointer, ""), e.message) for e in exc.errors)
        if not exc.errors:
            form.errors.append(FormError("", exc.detail))
        return _form(request, form, status_code=422)
    return Redirect(f"{PATH}/registered", status_code=303)


@get(f"{PATH}/registered", name="staff-registered")
async def registered(request: Request[Any, Any, Any]) -> Template:
    """What happens next: the e-mail (said alike whether or not the address had an account)."""
    return _page(request, "staff/registered.html")


@get(f"{PATH}/confirm", name="staff-confirm-form", opt={LOG_MASK_OPT: LogMask(query=True)})
async def confirm_form(request: Request[Any, Any, Any], token: Token = None) -> Template:
    """The page the e-mail's link opens: a button that confirms the address."""
    return _page(request, "staff/confirm.html", token=token or "", form=None)


@post(f"{PATH}/confirm", name="staff-confirm", opt=_RATE)
async def confirm(request: Request[Any, Any, Any],
                  registrations: NamedDependency[Registrations]) -> Response[Any]:
    """Confirm the address with the token; then the account may sign in."""
    form = await read_form(request)
    token = form.text("token", required=True, max_length=bounds.TOKEN,
                      required_message=N_("Paste the token from the e-mail"))
    if token is not None and not form.errors:
        try:
            await registrations.confirm(token)
        except NotFound:
            form.errors.append(FormError("token", N_(
                "This link or token is not valid any more: tokens last a limited time and work "
                "once. If your address is confirmed already, sign in; if not, register again.")))
        else:
            return Redirect(f"{PATH}/sign-in?notice=confirmed", status_code=303)
    return _page(request, "staff/confirm.html", status_code=400, form=form,
                 token=form.values.get("token") if isinstance(form.values.get("token"), str) else "")


HANDLERS = [register_form, register, registered, confirm_form, confirm]
