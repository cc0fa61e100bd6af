"""What every request passes before a handler reads it: one gate for the whole API.

A handler's parameters and body are typed (msgspec), and Litestar checks them; what neither
does is checked here, once, for every route:

- no NUL (U+0000) or lone surrogate in the path, the query, a header or any string (or member
  name) of a JSON body: PostgreSQL refuses to store them, so they would fail deep inside as a
  500 where SQLite stores them quietly;
- a query parameter is one the operation takes (a misspelt filter is refused, not ignored),
  and one that takes one value is given once (``?limit=1&limit=2`` is refused, not read as
  either value);
- a body is ``application/json`` (or ``+json``): anything else is refused with 415;
- a JSON body nests at most ``MAX_DEPTH`` levels (msgspec recurses, and a body nested ~1000
  deep would otherwise end in a RecursionError);
- a body matches its declared type strictly, every problem reported at once
  (``iris_engine.web.bodies``): Litestar converts bodies leniently (``"true"`` or ``1`` for a
  boolean, ``"5"`` for an integer), which is not what the OpenAPI promises;
- ``OPTIONS`` answers list every method of the path (Litestar 2 lists only one when several
  handlers share a path: litestar#4169, fixed in 3.0).

A GET whose handler said its path and query string are answered again from a kept response
(``iris_engine.web.again.answer_again``) is answered here the next time, from the app's
``KeptAnswers`` (``app.state.kept_answers``): its parameters passed every check above then,
and only its headers can differ, which are checked again.

Every refusal is an ``ApplicationError``, so it leaves as problem+json with a JSON pointer to
the value at fault: ``/path/<name>``, ``/query/<name>``, ``/header/<name>`` or into the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import SerializationException
from litestar.middleware import DefineMiddleware
from litestar.params import BodyKwarg, QueryParameter

from iris_engine.bounds import DOCUMENT_KEY, DOCUMENT_TEXT, MAX_DEPTH
from iris_engine.errors import (
    FieldError,
    InvalidInput,
    MalformedRequest,
    UnsupportedMediaType,
    pointer_segment,
)
from iris_engine.store.db import track_commits
from iris_engine.web.again import KeptAnswers
from iris_engine.web.bodies import body_errors, fits

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.handlers import HTTPRouteHandler
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_DEPTH", "edge", "openapi_path", "request_body_types"]

#: what PostgreSQL cannot store in text: NUL, and lone surrogates (not valid UTF-8)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_MESSAGE = "contains a NUL character or an unpaired surrogate, which cannot be stored"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class _Expects:
    """What a handler reads: its query parameters, those that take one value, its body's type."""

    query: frozenset[str]
    single_query: frozenset[str]
    body: Any  # the ``data`` parameter's type, or None


def _expects(handler: HTTPRouteHandler) -> _Expects:
    query, single = set(), set()
    body = None
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if isinstance(kwarg, QueryParameter):
            query.add(kwarg.name or name)
            if not field.is_non_string_sequence:
                single.add(kwarg.name or name)
        elif isinstance(kwarg, BodyKwarg) or name == "data":
            body = field.annotation
    return _Expects(frozenset(query), frozenset(single), body)


_TYPED_PARAMETER = re.compile(r"\{(\w+):\w+\}")


def openapi_path(path: str) -> str:
    """A route's path as the OpenAPI document writes it (``{lrn:str}`` -> ``{lrn}``)."""
    return _TYPED_PARAMETER.sub(r"{\1}", path)


def request_body_types(app: Litestar) -> dict[tuple[str, str], Any]:
    """The type of every JSON body the app reads, by OpenAPI path and lower-case method."""
    found = {}
    for path, handlers in app.route_handler_method_map.items():
        for method, handler in handlers.items():
            body = _expects(handler).body  # type: ignore[arg-type]
            if body is not None:
                found[(openapi_path(path), method.lower())] = body
    return found


def _check_text(value: str, pointer: str, errors: list[FieldError]) -> None:
    if _UNSTORABLE.search(value):
        errors.append(FieldError(pointer, _UNSTORABLE_MESSAGE))


def _check_parameters(scope: Scope, expects: _Expects) -> None:
    errors: list[FieldError] = []
    connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
    for name, value in (scope.get("path_params") or {}).items():
        if isinstance(value, str):
            _check_text(value, f"/path/{pointer_segment(name)}", errors)
    if not errors and "\x00" in scope["path"]:  # in a part of the path that is no parameter
        errors.append(FieldError("/path", _UNSTORABLE_MESSAGE))
    query = connection.query_params
    for name in query:
        pointer = f"/query/{pointer_segment(name)}"
        _check_text(name, pointer, errors)
        values = query.getall(name)
        for value in values:
            _check_text(value, pointer, errors)
        if name not in expects.query:
            errors.append(FieldError(pointer, "not a parameter of this operation"))
        elif len(values) > 1 and name in expects.single_query:
            errors.append(FieldError(pointer, "give this parameter once; it takes one value"))
    for raw_name, raw_value in scope["headers"]:
        if b"\x00" in raw_value:
            errors.append(FieldError(f"/header/{pointer_segment(raw_name.decode('latin-1').lower())}",
                                     _UNSTORABLE_MESSAGE))
    if errors:
        raise InvalidInput("the request's parameters cannot be accepted", errors=errors)


def _walk(value: Any, pointer: str, depth: int, errors: list[FieldError]) -> None:
    """Every string and member name of a decoded JSON document, and how deep it nests."""
    if isinstance(value, str):
        _check_text(value, pointer or "/", errors)
        if len(value) > DOCUMENT_TEXT:
            errors.append(FieldError(pointer or "/", f"at most {DOCUMENT_TEXT} characters"))
        return
    if not isinstance(value, dict | list):
        return
    if depth >= MAX_DEPTH:
        errors.append(FieldError(pointer or "/", f"nested more than {MAX_DEPTH} levels deep"))
        return
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{pointer}/{pointer_segment(key)}"
            _check_text(key, child, errors)
            if len(key) > DOCUMENT_KEY:
                errors.append(FieldError(child, f"a member name of at most {DOCUMENT_KEY} characters"))
            _walk(item, child, depth + 1, errors)
    else:
        for index, item in enumerate(value):
            _walk(item, f"{pointer}/{index}", depth + 1, errors)


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json"))


async def _check_body(scope: Scope, receive: Receive, send: Send, body_type: Any) -> None:
    request: Request[Any, Any, Any] = Request(scope, receive, send)
    body = await request.body()  # kept in the scope: the handler reads the same bytes
    if not body:
        return  # Litestar answers a missing body itself
    media_type = request.content_type[0].lower()
    if not _is_json(media_type):
        raise UnsupportedMediaType(
            f"the body must be JSON (Content-Type: application/json), not {media_type or 'untyped'}",
            errors=[FieldError("/header/content-type", "application/json")])
    try:
        document = await request.json()  # kept in the scope too: decoded once
    except RecursionError:
        raise MalformedRequest(f"the JSON body nests more than {MAX_DEPTH} levels deep", errors=[
            FieldError("/", f"nested more than {MAX_DEPTH} levels deep")]) from None
    except SerializationException:
        return  # not JSON at all: Litestar refuses it in its own words
    errors: list[FieldError] = []
    _walk(document, "", 0, errors)
    if errors:
        raise InvalidInput("the body cannot be accepted", errors=errors)
    if fits(body, body_type):
        return
    errors = body_errors(document, body_type)
    if errors:
        raise InvalidInput("the body does not match its schema", errors=errors)


class _Edge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._expects: dict[int, _Expects] = {}
        self._allow: dict[str, str] | None = None
        self._answers: KeptAnswers | None = None
        self._answers_looked_up = False

    def _kept_answers(self, scope: Scope) -> KeptAnswers | None:
        if not self._answers_looked_up:
            found = getattr(scope["app"].state, "kept_answers", None)
            self._answers = found if isinstance(found, KeptAnswers) else None
            self._answers_looked_up = True
        return self._answers

    def _for(self, handler: HTTPRouteHandler) -> _Expects:
        found = self._expects.get(id(handler))
        if found is None:
            found = self._expects[id(handler)] = _expects(handler)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if method is None:  # a websocket
            await self.app(scope, receive, send)
            return
        track_commits()  # an error answer says whether anything was saved (``web.problems``)
        if method == "OPTIONS":
            if self._allow is None:
                self._allow = _allowed_methods(scope["app"])
            methods = self._allow.get(scope.get("path_template", ""))
            await self.app(scope, receive, _allowing(methods, send))
            return
        answers = self._kept_answers(scope) if method == "GET" else None
        if answers is not None:
            kept = await answers.answer(scope)
            if kept is not None:
                await kept(scope, receive, send)
                return
        expects = self._for(scope["route_handler"])  # type: ignore[arg-type]
        _check_parameters(scope, expects)
        if expects.body is not None and method in _BODY_METHODS:
            await _check_body(scope, receive, send, expects.body)
        await self.app(scope, receive, send)
        if answers is not None:
            answers.learn(scope)


def _allowed_methods(app: Litestar) -> dict[str, str]:
    """The ``Allow`` value of every path, by its template as routing reports it."""
    return {_TYPED_PARAMETER.sub(r"{\1}", path): ", ".join(sorted({*handlers, "OPTIONS"}))
            for path, handlers in app.route_handler_method_map.items()}


def _allowing(methods: str | None, send: Send) -> Send:
    """``send`` with the ``Allow`` header of an OPTIONS answer set to ``methods``."""

    async def send_with_allow(message: Message) -> None:
        if message["type"] == "http.response.start" and methods:
            headers = MutableScopeHeaders.from_message(message)
            if "allow" in headers:
                headers["Allow"] = methods
        await send(message)

    return send_with_allow


def edge() -> DefineMiddleware:
    """The middleware: give it first in the app's list, so it runs before any other of ours."""
    return DefineMiddleware(_Edge)
