"""What Litestar 2 does not say about our API, said once after it writes the OpenAPI document.

``refine(app)`` makes the app's document refined when it is first written (Litestar writes it
on first use: the service warms it at start-up, a test app that never asks never pays for it).

- Request bodies are documented with msgspec's own JSON Schema of their types: the same types
  that decode and validate them, so the document states every constraint the server enforces
  (Litestar's generator drops some: constraints on list items, tagged unions, closed objects).
- Authentication is declared per operation (every staff controller names BearerToken); the
  JWT plugin's document-wide requirement would mark the public forms and the roster as
  needing a token, which they do not.
- What the request gate (``iris_engine.web.edge``) refuses: any operation that takes input may
  answer 422 (e.g. a NUL character, a repeated parameter), and one that takes a body 415 (not
  JSON). A query parameter that takes one value says it must be given once.
- The roster export answers CSV or JSON (``format``), one handler with two media types.
- A handler that reads its body raw (a CSV upload; Litestar decodes every declared body as
  JSON) says what it takes in ``opt[RAW_BODY_OPT]``, a ``RawBody``: documented as such.
- A query parameter whose values are data (the sectors a workflow file lists) states them as
  an ``enum``: its handler's ``opt["query_values"]`` maps the parameter to a function of the
  app that answers them, so the document and the server's check read the same list.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType

from iris_engine.web.edge import openapi_path, request_body_types
from iris_engine.web.problems import PROBLEM_MEDIA_TYPE, describe

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.openapi.spec import Operation, PathItem

__all__ = ["RAW_BODY_OPT", "RawBody", "refine"]


class _RefinedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, whose document is refined as it is first built."""

    __slots__ = ()

    def provide_openapi(self) -> OpenAPI:
        if not self._openapi:
            self._openapi = _refined(self.app, self._build_openapi())
        return self._openapi

RAW_BODY_OPT = "raw_body"


@dataclass(frozen=True, slots=True)
class RawBody:
    """A body a handler reads itself (``await request.body()``), e.g. an uploaded CSV."""

    media_type: str
    max_bytes: int
    description: str

_REF = "#/components/schemas/{name}"
_METHODS = ("get", "put", "post", "delete", "patch")
_ONCE = "Give it once: repeated, it is refused (422)."


def _operations(document: OpenAPI) -> dict[tuple[str, str], Operation]:
    found: dict[tuple[str, str], Operation] = {}
    for path, item in (document.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if operation is not None:
                found[(path, method)] = operation
    return found


def _document_bodies(app: Litestar, document: OpenAPI) -> None:
    """Each request body, and the components it refers to, as msgspec's JSON Schema."""
    bodies = request_body_types(app)
    if not bodies:
        return
    types = list(dict.fromkeys(bodies.values()))
    schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    by_type = dict(zip(types, schemas, strict=True))
    if document.components.schemas is None:
        document.components.schemas = {}
    document.components.schemas.update(components)
    operations = _operations(document)
    for (path, method), body_type in bodies.items():
        operation = operations.get((path, method))
        if operation is None or operation.request_body is None:
            continue
        request_body: Any = operation.request_body
        for media in (request_body.content or {}).values():
            media.schema = by_type[body_type]


def _problem(document: OpenAPI, status: int) -> OpenAPIResponse | None:
    """A problem+json response for ``status``, shaped like the ones Litestar documented."""
    for operation in _operations(document).values():
        for response in (operation.responses or {}).values():
            if isinstance(response, OpenAPIResponse) and PROBLEM_MEDIA_TYPE in (response.content or {}):
                return OpenAPIResponse(description=describe(status),
                                       content=copy.deepcopy(response.content))
    return None


def _document_refusals(document: OpenAPI) -> None:
    unprocessable, unsupported = _problem(document, 422), _problem(document, 415)
    for operation in _operations(document).values():
        responses = operation.responses if operation.responses is not None else {}
        parameters: list[Any] = list(operation.parameters or [])
        if (parameters or operation.request_body is not None) and unprocessable is not None:
            responses.setdefault("422", unprocessable)
        if operation.request_body is not None and unsupported is not None:
            responses.setdefault("415", unsupported)
        for parameter in parameters:
            schema = parameter.schema
            many = isinstance(schema, Schema) and (
                schema.type == OpenAPIType.ARRAY
                or any(isinstance(s, Schema) and s.type == OpenAPIType.ARRAY
                       for s in schema.one_of or []))
            if parameter.param_in == "query" and not many:
                parameter.description = f"{parameter.description or ''} {_ONCE}".strip()


def _document_query_values(app: Litestar, document: OpenAPI) -> None:
    operations = _operations(document)
    for path, handlers in app.route_handler_method_map.items():
        for method, handler in handlers.items():
            values_of = handler.opt.get("query_values") or {}
            operation = operations.get((openapi_path(path), method.lower()))
            if not values_of or operation is None:
                continue
            for parameter in operation.parameters or []:
                answer = values_of.get(getattr(parameter, "name", None))
                if answer is None or not isinstance(parameter.schema, Schema):  # type: ignore[union-attr]
                    continue
                values = list(answer(app))
                if not values:
                    continue
                schema: Schema = parameter.schema  # type: ignore[union-attr]
                for option in [schema, *(schema.one_of or [])]:
                    if isinstance(option, Schema) and option.type == OpenAPIType.STRING:
                        option.enum = values
                        option.pattern = None


def _document_raw_bodies(app: Litestar, document: OpenAPI) -> None:
    operations = _operations(document)
    for path, handlers in app.route_handler_method_map.items():
        for method, handler in handlers.items():
            raw = getattr(handler, "opt", {}).get(RAW_BODY_OPT)
            operation = operations.get((openapi_path(path), method.lower()))
            if isinstance(raw, RawBody) and operation is not None:
                operation.request_body = RequestBody(required=True, description=raw.description,
                                                     content={raw.media_type: OpenAPIMediaType(
                                                         schema=Schema(type=OpenAPIType.STRING,
                                                                       max_length=raw.max_bytes))})


def refine(app: Litestar) -> None:
    """Have ``app``'s OpenAPI document refined when it is first written (the plugin
    Litestar made takes this subclass's behaviour: same state, one method more)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    if plugin._openapi is not None:  # written already: refine it as it is
        plugin._openapi = _refined(app, plugin._openapi)
    plugin.__class__ = _RefinedOpenAPIPlugin


def _refined(app: Litestar, document: OpenAPI) -> OpenAPI:
    _document_bodies(app, document)
    _document_raw_bodies(app, document)
    _document_refusals(document)
    _document_query_values(app, document)
    document.security = None
    export: PathItem | None = document.paths.get("/api/v1/roster/export") if document.paths else None
    if export is not None and export.get is not None:
        ok: Any = (export.get.responses or {})["200"]
        ok.description = "The roster: CSV (format=csv, the default) or JSON (format=json)"
        ok.content = {
            "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
            "application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT)),
        }
    return document
