"""What Litestar 2 does not say about our API, said once after it writes the OpenAPI document.

- Request bodies refuse unknown members (``forbid_unknown_fields``): their schemas say
  ``additionalProperties: false``, so clients and fuzzers know.
- Authentication is declared per operation (every staff controller names BearerToken); the
  JWT plugin's document-wide requirement would mark the public forms and the roster as
  needing a token, which they do not.
- The roster export answers CSV or JSON (``format``), one handler with two media types.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, Schema
from litestar.openapi.spec.enums import OpenAPIType

__all__ = ["refine"]


def _closed_structs(base: type[msgspec.Struct] = msgspec.Struct) -> set[str]:
    names: set[str] = set()
    for cls in base.__subclasses__():
        if getattr(cls, "__struct_config__", None) and cls.__struct_config__.forbid_unknown_fields:
            names.add(cls.__name__)
        names |= _closed_structs(cls)
    return names


def refine(document: OpenAPI) -> OpenAPI:
    closed = _closed_structs()
    for name, schema in (document.components.schemas or {}).items():
        if name in closed and isinstance(schema, Schema):
            schema.additional_properties = False
    document.security = None
    export: Any = document.paths.get("/api/v1/roster/export") if document.paths else None
    if export is not None and export.get is not None:
        ok = export.get.responses["200"]
        ok.description = "The roster: CSV (format=csv, the default) or JSON (format=json)"
        ok.content = {
            "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
            "application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT)),
        }
    return document
