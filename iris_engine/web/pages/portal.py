"""The information portal: what ethical recruitment is, the warning signs, a worker's rights,
how to check a recruiter and complain, where to get help; and the language switcher."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from iris_engine import bounds
from iris_engine.countries import is_country
from iris_engine.web.helplines import Helplines
from iris_engine.web.i18n import LANGUAGES
from iris_engine.web.pages.rendering import LANGUAGE_COOKIE, local_path, page

__all__ = ["HANDLERS"]

_NO_FORM = {"exclude_from_csrf": True}  # a page without a form sets no cookie


@get("/", opt=_NO_FORM, name="portal")
async def portal(request: Request[Any, Any, Any]) -> Template:
    """The portal's home: everything a worker should know before and after recruitment."""
    return page(request, "portal/home.html")


@get("/help", opt=_NO_FORM, name="help")
async def get_help(request: Request[Any, Any, Any],
                   country: Annotated[str | None, QueryParameter(max_length=2)] = None) -> Template:
    """Helplines for the destination country a worker chooses (a plain GET form)."""
    helplines: Helplines = request.app.state.helplines
    chosen = country if country and is_country(country) else None
    return page(request, "portal/help.html", helplines=helplines, chosen=chosen,
                shown=helplines.for_country(chosen))


@get("/language/{code:str}", opt=_NO_FORM, name="language")
async def choose_language(
        code: Annotated[str, PathParameter(max_length=bounds.LANGUAGE_TAG)],
        next_: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
) -> Redirect:
    """Remember the language chosen with the switcher (a cookie for this site only), then go
    back to the page it was chosen on."""
    target = local_path(next_)
    if code not in LANGUAGES:
        return Redirect(target, status_code=303)
    return Redirect(target, status_code=303, cookies=[Cookie(
        key=LANGUAGE_COOKIE, value=code, max_age=365 * 86400, path="/", httponly=True,
        samesite="lax")])


HANDLERS = [portal, get_help, choose_language]
