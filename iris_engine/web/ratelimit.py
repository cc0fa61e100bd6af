"""Rate limits on the public forms: one Litestar ``RateLimitConfig`` for the app; a handler
opts in with ``opt={"rate_limit": "<form>"}`` and each form counts per client address, in the
app's store named ``RATE_LIMIT_STORE`` (``iris_engine.web.stores``: shared by every instance
unless IRIS_RATE_LIMIT_STORE=memory)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from iris_engine.settings import Settings
from iris_engine.throttle import throttle_key

__all__ = ["RATE_LIMIT_OPT", "RATE_LIMIT_STORE", "public_forms_limit"]

RATE_LIMIT_OPT = "rate_limit"
RATE_LIMIT_STORE = "rate_limit"


def _form(request: Request[Any, Any, Any]) -> str | None:
    return request.route_handler.opt.get(RATE_LIMIT_OPT)


async def _limited(request: Request[Any, Any, Any]) -> bool:
    # async: Litestar runs a sync check in a worker thread on every request
    return _form(request) is not None


def _identifier(request: Request[Any, Any, Any]) -> str:
    """The form and the client's address, hashed: the store keeps no address in clear."""
    return throttle_key(_form(request) or "", get_remote_address(request))


def public_forms_limit(settings: Settings) -> DefineMiddleware:
    return RateLimitConfig(
        rate_limit=("minute", settings.public_rate_limit_per_minute),
        check_throttle_handler=_limited,
        identifier_for_request=_identifier,
        store=RATE_LIMIT_STORE,
    ).middleware
