"""The follow pages' session: a worker's reference and access code, held between pages in a
cookie sealed by the vault.

The browser keeps no code in clear and a script cannot read it (HttpOnly); it goes to the
follow pages only (path ``/track``), never with a request another site starts
(SameSite=Strict), and over HTTPS only where the site is served so. It ends ``LIFETIME``
after the last page seen: the cookie's Max-Age says so to the browser, and the sealed value
carries the same end, so a cookie kept or copied past it does not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from litestar.datastructures import Cookie

from iris_engine.vault import SealedValueError

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["COOKIE", "LIFETIME", "PATH", "Holder", "cleared", "held", "sealed"]

COOKIE = "iris_track"
PATH = "/track"
LIFETIME = timedelta(minutes=20)
#: what the sealed value is bound to: a value sealed for another place does not open here
_PLACE = "web:track:session"
#: a sealed reference and code are a few hundred characters; anything longer is not ours
_LONGEST = 2000


@dataclass(frozen=True, slots=True)
class Holder:
    """Who the cookie says the visitor is: the holder of this reference and access code."""

    reference: str
    code: str


def _secure(services: Services) -> bool:
    return services.settings.public_url.startswith("https://")


def sealed(services: Services, holder: Holder) -> Cookie:
    """The cookie that holds ``holder`` for ``LIFETIME`` from now."""
    until = services.clock() + LIFETIME
    value = services.vault.seal({"reference": holder.reference, "code": holder.code,
                                 "until": int(until.timestamp())}, place=_PLACE)
    return Cookie(key=COOKIE, value=value, path=PATH, max_age=int(LIFETIME.total_seconds()),
                  httponly=True, samesite="strict", secure=_secure(services))


def cleared(services: Services) -> Cookie:
    """The cookie that makes the browser forget the holder."""
    return Cookie(key=COOKIE, value="", path=PATH, max_age=0, httponly=True, samesite="strict",
                  secure=_secure(services))


def held(services: Services, value: str | None) -> Holder | None:
    """The holder a cookie's value names, or None when there is none, it ended, or it does
    not open (altered, sealed with a key no longer held, not ours)."""
    if not value or len(value) > _LONGEST:
        return None
    try:
        opened = services.vault.open(value, place=_PLACE)
    except (SealedValueError, ValueError):
        return None
    if not isinstance(opened, dict):
        return None
    reference, code, until = opened.get("reference"), opened.get("code"), opened.get("until")
    if not (isinstance(reference, str) and isinstance(code, str) and isinstance(until, int)):
        return None
    if services.clock().timestamp() >= until:
        return None
    return Holder(reference, code)
