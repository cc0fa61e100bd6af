"""The one place errors become HTTP: ``application/problem+json`` (RFC 9457) everywhere."""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from iris_engine.errors import ApplicationError, FieldError, pointer_segment
from iris_engine.failures import traceback_of
from iris_engine.store.db import commits_in_request, connection_lost

if TYPE_CHECKING:
    from litestar.types import ExceptionHandlersMap

__all__ = [
    "BEARER_CHALLENGE", "MOMENTARY", "PROBLEM_MEDIA_TYPE", "Problem", "ProblemField", "describe",
    "exception_handlers", "logged_path", "momentary", "msgspec_error_field", "problem_responses",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://iris-engine.org/problems/"
#: SQLite's primary result code for "the database file is locked"
_SQLITE_BUSY = 5
BEARER_CHALLENGE = 'Bearer realm="iris-engine"'
log = logging.getLogger("iris_engine")


class ProblemField(msgspec.Struct):
    pointer: str
    message: str
    principle: str | None = None


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details; ``errors`` locates each bad field by JSON pointer."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] = msgspec.field(default_factory=list)
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, expired or invalid access token",
    403: "Your role or organisation may not do this",
    404: "Not found",
    409: ("Conflict: stale revision, event not allowed in the current state, or an application "
          "already under way"),
    415: "The body is not JSON (send Content-Type: application/json)",
    422: "Invalid input or an unmet condition; errors[] locates each problem by JSON pointer",
    429: "Too many requests",
    500: "Internal error",
    503: ("Service unavailable: the database stayed busy with other writes (type .../busy) or "
          "could not be reached (.../database-unavailable): nothing was saved, send the request "
          "again after Retry-After seconds; or the connection to it was lost while the change "
          "was being saved (.../outcome-unknown): it may have been saved, look for it before "
          "sending it again"),
}


def describe(status: int) -> str:
    """What a problem answer with this status means, as the OpenAPI says it."""
    return _DESCRIPTIONS.get(status, "Error")


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries documenting the problem+json shape for these status codes."""
    return {
        s: ResponseSpec(data_container=Problem, description=_DESCRIPTIONS.get(s, "Error"),
                        media_type=PROBLEM_MEDIA_TYPE, generate_examples=False)
        for s in (400, 500, 503, *statuses)
    }


def _response(request: Request[Any, Any, Any], problem: Problem,
              headers: dict[str, str] | None = None) -> Response[Problem]:
    problem.instance = request.url.path
    if problem.status == 401:  # RFC 9110, 15.5.2: a 401 says how to authenticate
        headers = {"WWW-Authenticate": BEARER_CHALLENGE, **(headers or {})}
    # an error answers one request (a wrong access code, a stale revision): never cache it
    return Response(problem, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE,
                    headers={"Cache-Control": "no-store", **(headers or {})})


def _from_application_error(request: Request[Any, Any, Any], exc: ApplicationError) -> Response[Problem]:
    return _response(request, Problem(
        type=TYPE_BASE + exc.slug, title=exc.title, status=exc.status, detail=exc.detail,
        errors=[ProblemField(e.pointer, e.message, e.principle) for e in exc.errors],
        extra=exc.extra,
    ), exc.headers or None)


_PATH = re.compile(r" - at `\$((?:\.[^.\[`]+|\[\d+\])*)`$")
_SEGMENT = re.compile(r"\.([^.\[`]+)|\[(\d+)\]")
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]+)`")


def _body_pointer(exc: ValidationException, key: str, message: str) -> str:
    """An RFC 6901 pointer into the request body. msgspec's own path (the exception's cause,
    e.g. ``$.data.corridor.origin`` where ``data`` is the handler's parameter) is exact; the
    dotted key Litestar derives from it cannot tell the body from a member named ``data``."""
    found = _PATH.search(str(exc.__cause__ or ""))
    if found:
        segments = [a or b for a, b in _SEGMENT.findall(found.group(1))][1:]
    else:
        segments = [s for s in re.split(r"[.\[\]]+", key) if s]
    named = _NAMED_FIELD.match(message)
    if named:  # the error is about a member of the object at the path
        segments.append(named.group(1))
    return "".join(f"/{pointer_segment(s)}" for s in segments)


def msgspec_error_field(message: str) -> FieldError:
    """A msgspec validation error (``Expected `int`, got `str` - at `$.a[0]```) as a field error
    whose pointer locates the value in the document that was validated."""
    found = _PATH.search(message)
    segments = [a or b for a, b in _SEGMENT.findall(found.group(1))] if found else []
    text = message[:found.start()] if found else message
    named = _NAMED_FIELD.match(text)
    if named:  # the error is about a member of the object at the path
        segments.append(named.group(1))
    return FieldError("".join(f"/{pointer_segment(s)}" for s in segments) or "/", text)


def _wire_name(request: Request[Any, Any, Any], key: str) -> str:
    """A parameter's name as the client sends it: Litestar reports the handler's argument
    (``from_``), which differs where the parameter is declared with another (``from``)."""
    try:
        field = request.route_handler.parsed_fn_signature.parameters.get(key)
    except AttributeError:  # no route was matched
        return key
    name = getattr(field.kwarg_definition, "name", None) if field is not None else None
    return name or key


def _from_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    fields = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or "")
            source = getattr(item.get("source"), "value", item.get("source"))  # a ParamType
            message = str(item.get("message", "invalid"))
            if source == "body":
                fields.append(FieldError(_body_pointer(exc, key, message) or "/", message))
            else:
                key = _wire_name(request, key)
                fields.append(FieldError(f"/{source}" + (f"/{key}" if key else ""), message))
    status = 422 if fields and all(f.pointer.startswith("/") for f in fields) else 400
    return _response(request, Problem(
        type=TYPE_BASE + ("invalid-input" if status == 422 else "bad-request"),
        title="Invalid input" if status == 422 else "Bad request", status=status,
        detail=exc.detail or "the request could not be read",
        errors=[ProblemField(f.pointer, f.message) for f in fields],
    ))


#: paths that answer in JSON whoever asks: everything else is the site, where a browser that
#: asked for an address that does not exist gets a page saying so
_MACHINE_PATHS = ("/api/", "/schema", "/.well-known/", "/health", "/static/")


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    return (not request.url.path.startswith(_MACHINE_PATHS)
            and "text/html" in request.headers.get("accept", ""))


def _from_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code in (404, 405) and _wants_page(request):
        from iris_engine.web.pages.rendering import html_exception_handlers

        return html_exception_handlers[HTTPException](request, exc)
    headers = dict(exc.headers or {})
    return _response(request, Problem(
        type=TYPE_BASE + str(exc.status_code), title=_DESCRIPTIONS.get(exc.status_code, "Error"),
        status=exc.status_code, detail=exc.detail,
    ), headers)


#: how long a client is told to wait when the database stayed busy past its timeout
BUSY_RETRY_AFTER_SECONDS = 5


def _database_busy(exc: BaseException) -> bool:
    """SQLite refused with SQLITE_BUSY until the busy timeout ran out (another process held
    the write lock throughout), as raised by the driver or wrapped by SQLAlchemy."""
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, sqlite3.OperationalError):
            return (getattr(found, "sqlite_errorcode", 0) or 0) & 0xFF == _SQLITE_BUSY
        found = getattr(found, "orig", None) or found.__cause__ or found.__context__
    return False


#: and when the connection to PostgreSQL was lost (a restart, a failover): the pool is renewed
LOST_RETRY_AFTER_SECONDS = 1


def _nothing_saved(then: str = "") -> str:
    """What a failed request saved: nothing (and ``then``, what to do), unless a write
    transaction of it had committed before the failure (the answer was built after it)."""
    if commits_in_request():
        return ("what this request changed was saved before the failure: look at it before "
                "sending the request again")
    return f"nothing was saved{': ' if then else ''}{then}"


#: failures that are no fault of ours or the client's, each a moment's: (slug, title, what
#: happened, seconds to wait); a lost COMMIT is ``OutcomeUnknown`` instead (``Database.write``)
MOMENTARY = {
    "busy": ("Service busy", "the database was busy with other writes for too long",
             BUSY_RETRY_AFTER_SECONDS),
    "database-unavailable": ("Database unavailable", "the connection to the database was lost",
                             LOST_RETRY_AFTER_SECONDS),
}


def logged_path(request: Request[Any, Any, Any]) -> str:
    """The request's path as our log may keep it: masked as the access log masks it (no
    grievance reference, access code or identity query)."""
    mask = request.app.state.get("log_mask")
    return mask.mask(request.url.path) if mask is not None else request.url.path


def momentary(request: Request[Any, Any, Any],
              exc: BaseException) -> tuple[str, dict[str, str]] | None:
    """A failure that a moment's wait mends, if ``exc`` is one: its slug in ``MOMENTARY`` and
    the headers of the 503 the API and the pages answer it with (``Retry-After``, unless this
    request's change was saved before it: not to be sent again); logged without a traceback."""
    slug = ("busy" if _database_busy(exc)  # SQLite's lock, held by another process too long
            else "database-unavailable" if connection_lost(exc)  # PostgreSQL ended it
            else None)
    if slug is None:
        return None
    _title, what, seconds = MOMENTARY[slug]
    log.warning("%s on %s %s: answered 503", what, request.method, logged_path(request))
    return slug, {} if commits_in_request() else {"Retry-After": str(seconds)}


def _from_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    found = momentary(request, exc)
    if found is not None:
        slug, headers = found
        title, what, seconds = MOMENTARY[slug]
        return _response(request, Problem(
            type=TYPE_BASE + slug, title=title, status=503, detail=f"{what}; " + _nothing_saved(
                f"send the same request again in {seconds} second{'s' if seconds > 1 else ''}"),
        ), headers)
    log.error("unhandled error on %s %s\n%s", request.method, logged_path(request),
              traceback_of(exc))
    return _response(request, Problem(
        type=TYPE_BASE + "internal-error", title="Internal error", status=500,
        detail=f"something went wrong on our side; {_nothing_saved()}",
    ))


exception_handlers: ExceptionHandlersMap = {
    ApplicationError: _from_application_error,
    ValidationException: _from_validation,
    HTTPException: _from_http,
    Exception: _from_unexpected,
}
