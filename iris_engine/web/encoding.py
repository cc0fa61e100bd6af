"""Answers kept ready to send, compressed once.

The public roster's pages and JSON are built once per roster version and then sent many times,
so each is gzipped once, the first time a client that accepts gzip (every browser does) asks
for it, and kept: a search page of ~13 kB goes over a slow mobile link as ~2.5 kB, and costs
the server less to send. A kept body is never compressed twice, and each form of it is kept
as the response Litestar sends (``KeptResponse``): its headers are merged and encoded once,
not on every request (a fifth of a cached page's time went to that).

Only answers shared by every client are kept this way: they carry no secret (no CSRF token, no
session, nothing of the person asking), so compressing them next to what a client typed
(BREACH) reveals nothing. Answers that vary by client are not compressed.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from litestar import Response
from litestar.response.base import ASGIResponse

if TYPE_CHECKING:
    from litestar import Litestar, Request
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.datastructures import Cookie
    from litestar.types import Scope, TypeEncodersMap

__all__ = ["VARY", "Encoded", "KeptResponse", "accepts_gzip"]

#: what a cache in between must key an answer by, when it may come either way
VARY = "Accept-Encoding"
#: bodies smaller than this go as they are: gzip's frame would cost more than it saves
_MIN_SIZE = 512
_ACCEPT_ENCODING = b"accept-encoding"


class KeptResponse(Response[bytes]):
    """A response sent as it is to many clients. Litestar turns a response into its ASGI form
    (headers merged with the route's, checked and encoded) on every request; this one does
    that once and sends the same ASGI response after. The route's own headers and cookies
    are the same object for every request of a route, so a kept response served by another
    route is built again for it."""

    __slots__ = ("_asgi", "_layered", "_route")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._asgi: ASGIResponse | None = None
        self._layered: tuple[object, object] | None = None
        #: the route handler the kept ASGI response was made for
        self._route: object = None

    def sent_by(self, route: object) -> ASGIResponse | None:
        """The ASGI response this was sent as by ``route``'s handler, if it was (with that
        route's headers and cookies merged); None if not yet, or last for another route."""
        return self._asgi if self._route is route else None

    def to_asgi_response(
        self, app: Litestar | None, request: Request[Any, Any, Any], *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None, is_head_response: bool = False,
        media_type: Any = None, status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        layered = (headers, cookies)
        asgi = self._asgi
        if (asgi is None or self._layered is None or self._layered[0] is not headers
                or self._layered[1] is not cookies or is_head_response or background):
            asgi = super().to_asgi_response(
                app, request, background=background, cookies=cookies,
                encoded_headers=encoded_headers, headers=headers,
                is_head_response=is_head_response, media_type=media_type,
                status_code=status_code, type_encoders=type_encoders)
            if not is_head_response and background is None and encoded_headers is None:
                self._asgi, self._layered = asgi, layered
                self._route = request.scope.get("route_handler")
        return asgi


class Encoded:
    """A body as it is and, when that is smaller, gzipped. The gzip is made the first time a
    client that takes it asks, then kept: a body nobody asks compressed (an API client's
    search, most likely seen once) costs nothing more."""

    __slots__ = ("_gzip", "_made", "_responses", "identity")

    def __init__(self, body: bytes) -> None:
        self.identity = body
        self._gzip: bytes | None = None
        self._made = len(body) < _MIN_SIZE  # too small: nothing to make
        #: the response for each form (as is, gzipped), made on first use (``response``)
        self._responses: list[KeptResponse | None] = [None, None]

    def response(self, scope: Scope,
                 make: Callable[[bytes, bool], KeptResponse]) -> KeptResponse:
        """The kept response for this client: gzipped when it takes that and that is
        smaller. ``make(body, gzipped)`` builds a form's response the first time it is sent."""
        gzipped = accepts_gzip(scope) and self.gzip is not None
        form = int(gzipped)
        found = self._responses[form]
        if found is None:
            found = self._responses[form] = make(
                self._gzip if gzipped else self.identity, gzipped)  # type: ignore[arg-type]
        return found

    @property
    def gzip(self) -> bytes | None:
        if not self._made:
            packed = gzip.compress(self.identity, compresslevel=6, mtime=0)  # mtime 0: same bytes
            self._gzip = packed if len(packed) < len(self.identity) else None
            self._made = True
        return self._gzip


def _gzip_weight(value: str) -> bool:
    """Whether an ``Accept-Encoding`` value (RFC 9110 12.5.3) accepts gzip: named, or ``*``,
    with a weight above zero; an explicit ``gzip;q=0`` refuses it whatever ``*`` says."""
    star = None
    for item in value.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(number.strip())
                except ValueError:
                    weight = 0.0  # a weight that is no number accepts nothing
        if coding == "*":
            star = weight > 0
        else:
            return weight > 0
    return bool(star)


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request says it takes gzip (read from the raw headers: no parsing of the
    others). Several ``Accept-Encoding`` headers are one list, as RFC 9110 5.3 says."""
    values = [bytes(value).decode("latin-1") for name, value in scope["headers"]
              if bytes(name).lower() == _ACCEPT_ENCODING]
    return bool(values) and _gzip_weight(",".join(values))
