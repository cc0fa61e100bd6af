"""Public GETs answered again without their handler.

A handler whose answer to a GET is a kept response (``iris_engine.web.encoding``) made from
the request's path and query string alone (and from what ``again`` reads of the scope, such as
``Accept-Encoding`` or the asker's language) says so with ``answer_again``; the edge
(``iris_engine.web.edge``) then answers the same path and query string from ``KeptAnswers``
without parsing, checking or routing the parameters to the handler again: they were checked
the first time, and ``again`` asks the roster for its current page.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from litestar.response.base import ASGIResponse
    from litestar.types import Scope

    from iris_engine.web.encoding import KeptResponse

__all__ = ["Again", "KeptAnswers", "answer_again"]

_IF_NONE_MATCH = b"if-none-match"
#: where a handler leaves its ``again`` in the request's scope for the edge to learn
_AGAIN = "iris.answer_again"

#: makes a GET's answer again from its scope: the kept response, or None (answer it in full)
Again = Callable[["Scope"], Awaitable["KeptResponse | None"]]


def answer_again(scope: Scope, again: Again) -> None:
    """Say that any GET with this request's path and query string is answered by
    ``again(scope)``, whoever asks: the answer depends on nothing else of the request but what
    ``again`` reads of its scope, and the parameters were accepted as they are. Call it once
    the handler has its answer (a refused request must be refused again, in full)."""
    scope[_AGAIN] = again  # type: ignore[literal-required]


class KeptAnswers:
    """The ``again`` of recent GETs by path and query string, the least recently asked
    dropped first (``size``): a client that sends every query once only pushes others out.

    A request answered here skips the route's parameter checks, Litestar's parsing and the
    handler. It is not answered here (but in full) when it has an ``If-None-Match`` (the
    handler decides between 304 and 200), a header with a NUL (the edge refuses it), or when
    ``again`` has no response this route has sent before (a new roster page: its first
    sending merges the route's headers)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._again: OrderedDict[tuple[str, bytes], Again] = OrderedDict()
        #: requests answered here (tests and diagnostics)
        self.answered = 0

    def __len__(self) -> int:
        return len(self._again)

    def learn(self, scope: Scope) -> None:
        """After a GET answered in full: keep its handler's ``again``, if it left one."""
        again = cast("Again | None", scope.get(_AGAIN))
        if again is None:
            return
        key = (scope["path"], scope["query_string"])
        self._again[key] = again
        self._again.move_to_end(key)
        if len(self._again) > self.size:
            self._again.popitem(last=False)

    async def answer(self, scope: Scope) -> ASGIResponse | None:
        """The response for a GET from what a handler said of its path and query, or None."""
        key = (scope["path"], scope["query_string"])
        again = self._again.get(key)
        if again is None:
            return None
        for name, value in scope["headers"]:
            if b"\x00" in value or bytes(name).lower() == _IF_NONE_MATCH:
                return None
        kept = await again(scope)
        asgi = None if kept is None else kept.sent_by(scope.get("route_handler"))
        if asgi is not None:
            self.answered += 1
            if key in self._again:  # not pushed out while ``again`` awaited
                self._again.move_to_end(key)
        return asgi
