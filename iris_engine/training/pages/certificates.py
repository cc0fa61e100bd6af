"""Checking a training certificate: anyone holding its number (an employer, a worker, an
authority) sees whether it is genuine, as the API's verification says, in their language."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from iris_engine import bounds
from iris_engine.training.certificates import Certificates
from iris_engine.training.numbers import is_well_formed, normalise
from iris_engine.web.pages.rendering import page

__all__ = ["HANDLERS"]

#: as the API's: room for spaces, hyphens and a stray word, little enough to refuse a flood
_TYPED = 100
_NO_FORM = {"exclude_from_csrf": True}
_LIMITED = {**_NO_FORM, "rate_limit": "certificate-verification"}  # the API's limit


@get("/certificates", opt=_NO_FORM, name="certificates")
async def certificate_form(
        request: Request[Any, Any, Any],
        number: Annotated[str | None, QueryParameter(max_length=_TYPED, pattern=bounds.NO_NUL)] = None,
) -> Template | Redirect:
    """A form for a certificate's number (a GET form: the answer is a page one can share)."""
    if number and number.strip():
        return Redirect(f"/certificates/{quote(normalise(number)[:_TYPED], safe='')}",
                        status_code=303)
    return page(request, "certificates/form.html")


@get("/certificates/{number:str}", opt=_LIMITED, name="certificate")
async def certificate_page(
        request: Request[Any, Any, Any],
        number: Annotated[str, PathParameter(min_length=1, max_length=_TYPED, pattern=bounds.NO_NUL)],
        certificates: NamedDependency[Certificates],
) -> Template:
    """What the certificate says, and whether it stands: valid, expired, revoked or unknown."""
    facts = await certificates.verification(number)
    return page(request, "certificates/result.html", facts=facts,
                mistyped=facts.status == "unknown" and not is_well_formed(normalise(number)),
                status_code=200)


HANDLERS = [certificate_form, certificate_page]
