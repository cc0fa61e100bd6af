"""``create_app(settings)``: wires services, routes, auth, errors and OpenAPI."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from iris_engine import __version__
from iris_engine.audit.controllers import audit_handlers
from iris_engine.cases import Principal
from iris_engine.cases.http import case_router
from iris_engine.disclosure.controllers import AuthorityController
from iris_engine.people.controllers import people_handlers
from iris_engine.people.directory_http import directory_handlers
from iris_engine.people.tokens import TokenIssuer, build_jwt_auth
from iris_engine.roster.controllers import roster_handlers
from iris_engine.services import Services, build_services
from iris_engine.settings import Settings
from iris_engine.ticker import Ticker, start_scheduler, stop_ticking
from iris_engine.web import accesslog
from iris_engine.web.again import KeptAnswers
from iris_engine.web.apidocs import SwaggerPage
from iris_engine.web.edge import edge
from iris_engine.web.headers import NO_STORE, security_headers
from iris_engine.web.helplines import load_helplines
from iris_engine.web.openapi import refine
from iris_engine.web.pages import csrf_config, page_router, static_router
from iris_engine.web.pages.rendering import template_config
from iris_engine.web.problems import exception_handlers
from iris_engine.web.ratelimit import PublicFormsLimit
from iris_engine.web.reference import reference_handlers
from iris_engine.web.staff import staff_router
from iris_engine.web.stores import rate_limit_counters

__all__ = ["create_app"]


def _constant(value: Any) -> Provide:
    def provide() -> Any:
        return value

    return Provide(provide, use_cache=True, sync_to_thread=False)


def _principal(request: Request[Principal, Any, Any]) -> Principal:
    return request.user


def _freeze_start_up() -> None:
    """Start-up leaves ~240,000 objects that live as long as the process (modules, the app, its
    schemas, SQLAlchemy's mappers and caches); each full pass of the cycle collector walked all
    of them, 140-190 ms on this machine with every request waiting (issue #14). Frozen, the
    passes walk only what requests made since. Garbage first, so none of it is kept for good."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, *, services: Services | None = None,
               serving: bool = False) -> Litestar:
    """Build the application. Pass ``services`` to share them with a test or the CLI.
    ``serving``: this process does nothing else until it stops (``iris_engine.asgi``), so what
    start-up built is moved out of the garbage collector's reach once it has started."""
    settings = settings or Settings.from_env()
    # transitions logs every state entry at INFO: far too chatty for a server
    logging.getLogger("transitions").setLevel(logging.WARNING)
    # APScheduler logs every run of the tick at INFO; our ticker logs what a tick did
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    services = services or build_services(settings)
    jwt_auth = build_jwt_auth(settings, services.db)

    # the limit first: a refused flood costs no parsing
    limit = PublicFormsLimit(settings.public_rate_limit_per_minute,
                             rate_limit_counters(settings, services.db), services.clock)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        ticker = scheduler = None
        _app.openapi_schema  # noqa: B018 -- written now (refined), not on the first request
        if settings.scheduler:
            ticker = Ticker(services)
            scheduler = start_scheduler(ticker)
        if serving:
            _freeze_start_up()
        try:
            yield
        finally:
            if scheduler is not None and ticker is not None:
                await stop_ticking(scheduler, ticker)
            await limit.counters.close()
            await services.roster_exports.close()
            await services.db.dispose()

    async def reclaim_erasures(_request: Request[Any, Any, Any]) -> None:
        """A request that erased personal data (e.g. a legal hold released past retention):
        reclaim it on disk once the answer is sent (``Database.reclaim``)."""
        if services.db.erasure_pending:
            try:
                await services.db.reclaim()
            except Exception:  # committed already: the next reclaim (a tick) tries again
                logging.getLogger(__name__).exception("reclaiming erased data on disk failed")

    domain_routes = [
        handler for domain in services.domains for handler in (
            *(case_router(api, services.cases[api.workflow]) for api in domain.cases),
            *domain.routes)]
    app = Litestar(
        route_handlers=[*domain_routes, AuthorityController, *roster_handlers, *people_handlers,
                        *directory_handlers(services.people.roles), *audit_handlers, *reference_handlers,
                        page_router(services.domains), staff_router(services, settings, jwt_auth),
                        static_router()],
        middleware=[limit, edge()],
        dependencies={
            "services": _constant(services),
            "db": _constant(services.db),
            "people": _constant(services.people),
            "directory": _constant(services.directory),
            "logins": _constant(services.logins),
            "registrations": _constant(services.registrations),
            "roster": _constant(services.roster),
            "roster_exports": _constant(services.roster_exports),
            "catalog": _constant(services.catalog),
            "codes": _constant(services.codes),
            "subscriptions": _constant(services.subscriptions),
            "authorities": _constant(services.authorities),
            "audit_trail": _constant(services.audit),
            **{name: _constant(service) for name, service in services.provided.items()},
            "tokens": _constant(TokenIssuer(jwt_auth)),
            "principal": Provide(_principal, sync_to_thread=False),
        },
        on_app_init=[jwt_auth.on_app_init],
        template_config=template_config(list(dict.fromkeys(
            [area.templates for domain in services.domains for area in domain.pages]
            + [d.staff_pages.templates for d in services.domains
               if d.staff_pages is not None and d.staff_pages.templates is not None]))),
        csrf_config=csrf_config(settings),
        after_response=reclaim_erasures,
        exception_handlers=exception_handlers,
        before_send=[security_headers],
        cache_control=NO_STORE,  # an answer the public may cache says so itself
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="IRIS Engine", version=__version__, path="/schema",
            description="Accreditation of labour recruiters against the IRIS Standard, the "
                        "public roster, grievances and their referral to authorities. Errors are "
                        "application/problem+json.",
            render_plugins=[SwaggerPage()],
        ),
        debug=False,
    )
    app.state.services = services
    app.state.helplines = load_helplines(settings.helplines_file)
    app.state.kept_answers = KeptAnswers()
    app.state.rate_limit = limit  # its counters, closed with the app (the lifespan)
    app.state.log_mask = log_mask = accesslog.AccessLogMask.for_app(app)
    accesslog.install(log_mask)
    refine(app)  # written once, when first asked (the lifespan asks), served as refined
    return app
