"""Rate limits on the public forms: a handler opts in with ``opt={"rate_limit": "<form>"}``
and each form allows ``IRIS_PUBLIC_RATE_LIMIT_PER_MINUTE`` requests a minute per client
address, counted in ``iris_engine.web.stores`` (shared by every instance unless
IRIS_RATE_LIMIT_STORE=memory).

The window slides: a request is refused when the hits of this minute plus the hits of the
minute before, weighted by how much of that minute still lies within the last sixty seconds,
exceed the limit (a sliding-window counter, as Cloudflare describes it). A fixed window would
let a client send twice the limit across a minute's boundary. Refused requests count too: a
client that keeps hammering stays refused, and ``Retry-After`` says when it would not be."""

from __future__ import annotations

import math
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from iris_engine.clock import Clock
from iris_engine.throttle import throttle_key
from iris_engine.web.stores import Counters

__all__ = ["RATE_LIMIT_OPT", "PublicFormsLimit", "estimate", "retry_after"]

RATE_LIMIT_OPT = "rate_limit"
_MINUTE = 60.0
#: float error in the estimate must not refuse a request exactly at the limit
_SLACK = 1e-9


def estimate(hits: int, hits_before: int, into: float) -> float:
    """Requests within the last minute, ``into`` (0..1) of the way through the current one."""
    return hits_before * (1.0 - into) + hits


def retry_after(limit: int, hits: int, hits_before: int, into: float) -> int:
    """Whole seconds until one more request would be within ``limit`` (at least 1)."""
    room = limit - hits - 1
    if room >= 0 and hits_before > 0:  # later in this minute, as the minute before slides out
        wait = (1.0 - room / hits_before) - into
    else:  # in the next minute, as this minute's hits slide out
        wait = (1.0 - into) + max(0.0, 1.0 - (limit - 1) / hits)
    return max(1, math.ceil(wait * _MINUTE))


class PublicFormsLimit(ASGIMiddleware):
    """Counts each request to a handler that names a form, and refuses it (429 problem+json,
    ``Retry-After``) once the client is over the limit, before the request is read."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, per_minute: int, counters: Counters, clock: Clock) -> None:
        self.per_minute = per_minute
        self.counters = counters
        self._clock = clock

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        form: Any = scope["route_handler"].opt.get(RATE_LIMIT_OPT)
        if form is not None:
            client = scope.get("client")
            # the form and the client's address, hashed: the store keeps no address in clear
            key = throttle_key(form, client[0] if client else "anonymous")
            minutes = self._clock().timestamp() / _MINUTE
            period = math.floor(minutes)
            hits, before = await self.counters.hit(key, period)
            into = minutes - period
            if estimate(hits, before, into) > self.per_minute + _SLACK:
                wait = str(retry_after(self.per_minute, hits, before, into))
                raise TooManyRequestsException(
                    detail="Too many requests from this address; try again later.",
                    headers={"Retry-After": wait})
        await next_app(scope, receive, send)
