"""How a public page is made: the Jinja2 environment (with gettext), the language of a request,
the page response with its headers, forms read safely, and errors shown as pages.

Every page is server-rendered and works without JavaScript; the little script there is comes
from ``/static`` (no inline script: the pages' Content-Security-Policy forbids it). Pages are
``no-store`` (the app's default), carry ``Content-Language`` and vary on the language's
sources.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from gettext import NullTranslations
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_date
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import Request, Response
from litestar.datastructures import Cookie, FormMultiDict
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from litestar.types import ExceptionHandlersMap, PathType

from iris_engine.errors import ApplicationError, OutcomeUnknown
from iris_engine.failures import traceback_of
from iris_engine.store.db import commits_in_request
from iris_engine.web.headers import SITE_POLICY
from iris_engine.web.i18n import DEFAULT, LANGUAGES, N_, from_accept_language, load
from iris_engine.web.problems import logged_path, momentary

__all__ = ["LANGUAGE_COOKIE", "FormError", "PageForm", "html_exception_handlers", "language_of",
           "local_path", "page", "read_form", "template_config"]

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent.parent / "templates"
LANGUAGE_COOKIE = "lang"
_LANGUAGE_COOKIE_NAME = LANGUAGE_COOKIE.encode() + b"="
#: a form field holds at most this many characters (a narrative's bound is its own, larger)
FIELD_MAX = 20_000
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

_TRANSLATIONS: dict[str, NullTranslations] = load()


@pass_context
def _gettext(context: Context, message: str) -> str:
    return str(context.get("translations", _TRANSLATIONS[DEFAULT]).gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(context.get("translations", _TRANSLATIONS[DEFAULT]).ngettext(singular, plural, n))


@pass_context
def _country(context: Context, code: str | None) -> str:
    """A country's name in the page's language (CLDR, through Babel)."""
    if not code:
        return ""
    try:
        return str(Locale.parse(context.get("lang", DEFAULT)).territories.get(code, code))
    except (ValueError, TypeError):
        return code


@pass_context
def _day(context: Context, value: date | datetime | None) -> str:
    """A day as people write it in the page's language (``3 December 2026``)."""
    if value is None:
        return ""
    return format_date(value, format="long", locale=context.get("lang", DEFAULT))


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["languages"] = LANGUAGES
    env.filters["country"] = _country
    env.filters["day"] = _day


def template_config(folders: Sequence[Path] = ()) -> TemplateConfig[JinjaTemplateEngine]:
    """The site's templates, then each domain's page areas' (``PageArea.templates``)."""
    directories: list[PathType] = [TEMPLATES, *dict.fromkeys(folders)]
    return TemplateConfig(directory=directories, engine=JinjaTemplateEngine,
                          engine_callback=_configure)


def language_of(request: Request[Any, Any, Any]) -> str:
    """The language a page is shown in: the one chosen with the switcher (a cookie), else
    the browser's first that we speak, else English. Read from the raw headers: every page
    asks, and parsing every header and cookie of the request cost a cached page an eighth
    of its time."""
    accept: bytes | None = None
    for raw_name, value in request.scope["headers"]:
        name = bytes(raw_name).lower()
        if name == b"cookie" and _LANGUAGE_COOKIE_NAME in value:
            chosen = request.cookies.get(LANGUAGE_COOKIE)
            if chosen in LANGUAGES:
                return chosen
        elif name == b"accept-language" and accept is None:
            accept = bytes(value)
    return from_accept_language(accept.decode("latin-1") if accept else None) or DEFAULT


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site (``/roster?q=x``), else ``default``: a link
    that brings the user back never sends them elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or _UNSTORABLE.search(target) or len(target) > 2000:
        return default
    return target


def _headers(language: str) -> dict[str, str]:
    return {"Content-Security-Policy": SITE_POLICY, "Content-Language": language,
            "Vary": "Accept-Language, Cookie"}


def page(request: Request[Any, Any, Any], template: str, *, status_code: int = 200,
         cookies: list[Cookie] | None = None, languages: Collection[str] | None = None,
         **context: Any) -> Template:
    """A page in the request's language. ``context`` is the template's; every template also
    sees ``lang``, ``dir``, ``translations`` and ``here`` (this page's path, for the language
    switcher to come back to). ``languages``: the ones this page's area is translated into
    (``i18n.languages_of``); another is shown in English."""
    language = language_of(request)
    if languages is not None and language not in languages:
        language = DEFAULT
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Template(template_name=template, status_code=status_code, cookies=cookies or [],
                    headers=_headers(language),
                    context={**context, "lang": language,
                             "dir": LANGUAGES[language].direction,
                             "translations": _TRANSLATIONS[language],
                             "here": here if request.method == "GET" else request.url.path})


@dataclass(slots=True)
class FormError:
    """A form field's problem, shown at the field and in the summary at the top."""

    field: str
    message: str  #: an English message, marked N_ where written; translated in the template


@dataclass(slots=True)
class PageForm:
    """A submitted form's fields, with the problems found reading them."""

    values: FormMultiDict
    errors: list[FormError] = field(default_factory=list)

    def text(self, name: str, *, required: bool = False, max_length: int = 200,
             required_message: str = N_("Fill this in")) -> str | None:
        """A field's text, stripped; None when empty (an error if ``required``)."""
        raw = self.values.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            if required:
                self.errors.append(FormError(name, required_message))
            return None
        if len(value) > max_length:
            self.errors.append(FormError(name, N_("This is too long")))
            return None
        return value

    def password(self, name: str, *, max_length: int, required_message: str,
                 too_long_message: str = N_("This is too long")) -> str | None:
        """A password as typed (never stripped: its spaces are its own); None, with a problem
        at the field, when it is empty or longer than ``max_length``."""
        raw = self.values.get(name)
        if not isinstance(raw, str) or not raw:
            self.errors.append(FormError(name, required_message))
            return None
        if len(raw) > max_length:
            self.errors.append(FormError(name, too_long_message))
            return None
        return raw

    def choices(self, name: str, allowed: set[str] | frozenset[str]) -> list[str]:
        """The checked boxes of a group, only those the form offers."""
        picked = [v for v in self.values.getall(name, []) if isinstance(v, str)]
        if any(v not in allowed for v in picked):
            self.errors.append(FormError(name, N_("Choose from the options shown")))
        return [v for v in picked if v in allowed]

    def flag(self, name: str) -> bool:
        return self.values.get(name) in ("yes", "on", "true")

    def error_for(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)


async def read_form(request: Request[Any, Any, Any]) -> PageForm:
    """The posted form. A value no database can store (NUL, a lone surrogate) or longer than
    ``FIELD_MAX`` is refused at its field, never stored or half-read."""
    values = await request.form()
    form = PageForm(values)
    for name, value in values.multi_items():
        if isinstance(value, str) and (_UNSTORABLE.search(value) or len(value) > FIELD_MAX):
            form.errors.append(FormError(name, N_("This contains characters that cannot be kept")
                                         if _UNSTORABLE.search(value) else N_("This is too long")))
    return form


#: what an error page says, by status
_ERRORS = {
    400: (N_("We could not read that"),
          N_("Something in the request was not as expected. Go back and try again.")),
    403: (N_("That was refused"),
          N_("The form had expired or came from another site. Go back, reload the page and try again.")),
    404: (N_("Page not found"),
          N_("There is nothing at this address. Check it, or start again from the home page.")),
    405: (N_("That was refused"),
          N_("This page cannot be used that way.")),
    413: (N_("That was too long"),
          N_("What you sent was too long. Shorten it and try again.")),
    422: (N_("We could not read that"),
          N_("Something in the request was not as expected. Go back and try again.")),
    429: (N_("Too many attempts"),
          N_("Please wait a minute, then try again.")),
    500: (N_("Something went wrong on our side"),
          N_("Nothing was saved. Please try again in a few minutes.")),
    # the database busy or its connection lost (``problems.momentary``)
    503: (N_("Please try again in a moment"),
          N_("Our database did not answer just now. Nothing was saved. Wait a moment, then try "
             "again.")),
}


#: a write whose COMMIT lost its connection (``OutcomeUnknown``): it may have been saved
_OUTCOME_UNKNOWN = (
    N_("We cannot tell whether that was saved"),
    N_("The connection to our database was lost while it was being saved. Wait a few minutes "
       "and check whether it is there before you send it again. If you cannot check, send it "
       "again."))
#: a failure after the request's change was committed (``commits_in_request``)
_SAVED_BEFORE_FAILING = (
    N_("Something went wrong on our side"),
    N_("What you sent was saved, but the page after it could not be shown. You do not need to "
       "send it again."))


def _error_page(request: Request[Any, Any, Any], status: int, headers: dict[str, str] | None = None,
                *, says: tuple[str, str] | None = None) -> Response[Any]:
    shown = status if status in _ERRORS else (500 if status >= 500 else 400)
    title, detail = says or (_SAVED_BEFORE_FAILING if status >= 500 and commits_in_request()
                             else _ERRORS[shown])
    response = page(request, "error.html", status_code=status, title=title, detail=detail)
    if headers:
        response.headers.update(headers)
    return response


def _from_application_error(request: Request[Any, Any, Any], exc: ApplicationError) -> Response[Any]:
    return _error_page(request, exc.status,
                       says=_OUTCOME_UNKNOWN if isinstance(exc, OutcomeUnknown) else None)


def _from_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in ("retry-after", "allow")}
    return _error_page(request, exc.status_code, headers)


def _from_validation(request: Request[Any, Any, Any], _exc: ValidationException) -> Response[Any]:
    return _error_page(request, 400)


def _from_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    found = momentary(request, exc)
    if found is not None:  # as the API answers it: 503, when to send it again
        return _error_page(request, 503, found[1])
    log.error("unhandled error on page %s %s\n%s", request.method, logged_path(request),
              traceback_of(exc))
    return _error_page(request, 500)


html_exception_handlers: ExceptionHandlersMap = {
    ApplicationError: _from_application_error,
    ValidationException: _from_validation,
    HTTPException: _from_http,
    Exception: _from_unexpected,
}
