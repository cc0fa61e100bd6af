"""The public web: server-rendered pages for job seekers and workers, in their languages.

One router holds every page (``page_router``). The platform's areas are modules here
(``portal``, ``roster``), their templates in ``web/templates/<area>``; a domain declares its
own (``Domain.pages``: the complaint and follow-up pages, the certificate check), with its
templates in its package. Every area's catalogs are in
``web/locales/<language>/LC_MESSAGES/<area>.po``. Pages call the same
services as the API (``GrievanceService``, ``Roster``, ``Subscriptions``); nothing here
reads the database itself. Forms are protected by Litestar's CSRF middleware (a cookie set
only on pages that show a form), rate-limited as the API's forms are, and every page's
errors are pages too (``rendering.html_exception_handlers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from iris_engine.domain import Domain
from iris_engine.settings import Settings
from iris_engine.web.pages import portal, roster
from iris_engine.web.pages.rendering import html_exception_handlers

__all__ = ["PAGE_AREAS", "csrf_config", "page_router", "static_router"]

STATIC = Path(__file__).parent.parent / "static"
#: the platform's areas' route handlers (a domain adds its own: ``Domain.pages``)
PAGE_AREAS: dict[str, Any] = {"portal": portal.HANDLERS, "roster": roster.HANDLERS}
#: a page's form may post at most this much
MAX_FORM_BYTES = 256 * 1024


def page_router(domains: Sequence[Domain]) -> Router:
    """Every page: the platform's areas, then each domain's."""
    handlers = [h for area in PAGE_AREAS.values() for h in area]
    handlers += [h for domain in domains for area in domain.pages for h in area.handlers]
    return Router(
        path="/", route_handlers=handlers,
        exception_handlers=html_exception_handlers,
        include_in_schema=False, request_max_body_size=MAX_FORM_BYTES,
        opt={"exclude_from_auth": True})  # public: no bearer token; a staff page would not be


def static_router() -> Router:
    """The pages' style and script, from the package (never a CDN), cached for a day."""
    return create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False,
        cache_control=CacheControlHeader(public=True, max_age=86400),
        opt={"exclude_from_csrf": True, "exclude_from_auth": True})


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF for the pages' forms: the API (a bearer token, JSON bodies, no
    cookie) is excluded, and so is every page that shows no form (``exclude_from_csrf``), so
    a visitor who only reads gets no cookie."""
    return CSRFConfig(
        secret=settings.signing_key(), cookie_httponly=True, cookie_samesite="strict",
        cookie_secure=settings.public_url.startswith("https://"),
        exclude=["^/api/", "^/schema", "^/\\.well-known/", "^/health"])
