"""A request body checked against its type, every problem at once, each at its JSON pointer.

The check is the JSON Schema msgspec writes for the body's type (the one the OpenAPI publishes,
see ``iris_engine.web.openapi``), so what the document promises and what the server accepts
are one thing. msgspec alone stops at the first problem, and Litestar converts leniently
(``"true"`` for a boolean); once the schema holds, Litestar's conversion only builds the value
(``1.0``, an integer in JSON Schema, becomes ``1``).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

import msgspec
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from iris_engine import bounds
from iris_engine.errors import FieldError, pointer_segment

__all__ = ["body_errors", "fits"]

_BRANCHING = frozenset({"anyOf", "oneOf"})
_SELECTORS = frozenset({"const", "enum"})


def _pointer(path: Any) -> str:
    return "".join(f"/{pointer_segment(s)}" for s in path)


@cache
def _validator(body_type: Any) -> Draft202012Validator:
    (schema,), definitions = msgspec.json.schema_components(
        [body_type], ref_template="#/components/schemas/{name}")
    return Draft202012Validator({**schema, "components": {"schemas": definitions}})


def _words(error: ValidationError) -> str:
    """What is wrong, without echoing the value (it may be long, or personal)."""
    value = error.validator_value
    return {
        "maxLength": f"at most {value} characters",
        "minLength": f"at least {value} characters" if value != 1 else "must not be empty",
        "pattern": bounds.PATTERN_WORDS.get(str(value), f"must match the pattern {value}"),
        "type": f"must be of type {value}",
        "enum": "one of: " + ", ".join(map(str, value)) if isinstance(value, list) else "",
        "const": f"must be {value!r}",
        "maximum": f"at most {value}",
        "minimum": f"at least {value}",
        "maxItems": f"at most {value} items",
        "minItems": f"at least {value} items",
    }.get(str(error.validator)) or error.message[:200]


def _branch(error: ValidationError) -> list[ValidationError]:
    """The errors of the alternative of an ``anyOf`` the body meant: the one whose selecting
    member (a tag, or ``null`` against a value) did not fail, with the fewest problems."""
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for sub in error.context or []:
        branches[sub.relative_schema_path[0]].append(sub)

    def rank(errors: list[ValidationError]) -> tuple[int, int]:
        mis_selected = any(e.validator in _SELECTORS or (e.validator == "type" and not e.path)
                           for e in errors)
        return (int(mis_selected), len(errors))

    return min(branches.values(), key=rank) if branches else []


def _fields(error: ValidationError) -> list[FieldError]:
    base = _pointer(error.absolute_path)
    if error.validator in _BRANCHING:
        chosen = _branch(error)
        if chosen:
            return [field for sub in chosen for field in _fields(sub)]
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        return [FieldError(f"{base}/{pointer_segment(name)}", "required")
                for name in required if name not in error.instance]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        return [FieldError(f"{base}/{pointer_segment(name)}", "not a member of this object")
                for name in error.instance if name not in known]
    return [FieldError(base or "/", _words(error))]


#: formats msgspec's strict decoding accepts only as strings its schema allows. Elsewhere it is
#: laxer than the schema it writes: a ``decimal`` it also takes as a JSON number, a set
#: (``uniqueItems``) with an item given twice
_STRICT_FORMATS = frozenset({"date", "date-time", "time", "uuid"})


def _laxer_than_schema(schema: Any) -> bool:
    if isinstance(schema, list):
        return any(_laxer_than_schema(item) for item in schema)
    if not isinstance(schema, dict):
        return False
    # (a value that is no string or boolean there is a property of that name, not the keyword)
    fmt = schema.get("format")
    if schema.get("uniqueItems") is True or (isinstance(fmt, str) and fmt not in _STRICT_FORMATS):
        return True
    return any(_laxer_than_schema(value) for value in schema.values())


@cache
def _strict_decoder(body_type: Any) -> msgspec.json.Decoder[Any] | None:
    """msgspec's strict decoder of ``body_type`` when whatever it accepts the schema holds too
    (None: for some part of the type it is laxer)."""
    if _laxer_than_schema(msgspec.json.schema(body_type)):
        return None
    return msgspec.json.Decoder(body_type, strict=True)


def fits(body: bytes, body_type: Any) -> bool:
    """A quick yes: the raw JSON ``body`` certainly fits ``body_type`` (msgspec's strict
    decoding, in C, accepts it, and for this type accepts nothing its schema refuses). False
    says nothing: ask ``body_errors``, which walks the schema in Python (~0.3-1 ms a body)."""
    decoder = _strict_decoder(body_type)
    if decoder is None:
        return False
    try:
        decoder.decode(body)
    except (msgspec.MsgspecError, ValueError, TypeError):
        return False
    return True


def body_errors(document: Any, body_type: Any) -> list[FieldError]:
    """Every way ``document`` (decoded JSON) fails ``body_type``; empty when it fits."""
    found: dict[str, FieldError] = {}
    for error in _validator(body_type).iter_errors(document):
        for field in _fields(error):
            found.setdefault(field.pointer, field)
    return sorted(found.values(), key=lambda f: f.pointer)
