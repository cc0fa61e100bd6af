"""Every code-of-conduct example validates, or fails exactly where it says it should,
with a message a recruiter can act on; every schema property is described."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from iris_engine.documents import CodeLibrary, CodeOfConduct, pointer_of
from iris_engine.errors import NotFound

CODES = Path(__file__).resolve().parents[2] / "codes_of_conduct"
VALID = sorted(CODES.glob("*/*/examples/valid/*.json"))
INVALID = sorted(CODES.glob("*/*/examples/invalid/*.json"))
MANIFESTS = sorted(CODES.glob("*/*/manifest.json"))


def _id(path: Path) -> str:
    return str(path.relative_to(CODES))


def _code_for(example: Path) -> CodeOfConduct:
    folder = example.parents[2]  # <code>/<version>/examples/<kind>/<file>
    return _library().get(f"{folder.parent.name}/{folder.name}")


@cache
def _library() -> CodeLibrary:
    return CodeLibrary(CODES)


def test_there_are_examples() -> None:
    assert MANIFESTS and VALID and INVALID


def test_every_manifest_is_loaded() -> None:
    assert len(list(_library())) == len(MANIFESTS)
    code = _library().get("iris-standard/1.2")
    assert code.key == "iris-standard/1.2"
    assert [p.id for p in code.principles] == ["A", "B", "1", "2", "3", "4", "5"]


def test_unknown_code_is_not_found() -> None:
    with pytest.raises(NotFound, match=re.escape("iris-standard/9.9")):
        _library().get("iris-standard/9.9")


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_valid_example_has_no_errors(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert _code_for(path).validate(document) == []


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_invalid_example_fails_where_it_says(path: Path) -> None:
    example = json.loads(path.read_text(encoding="utf-8"))
    assert set(example) == {"description", "expected_errors", "document"}
    assert example["description"].strip()
    expected = {(e["principle"], e["pointer"]) for e in example["expected_errors"]}
    assert expected, "an invalid example must expect at least one error"

    errors = _code_for(path).validate(example["document"])

    assert {(e.principle, e.pointer) for e in errors} == expected
    for error in errors:
        assert error.message.strip(), error


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_base_pointer_prefixes_every_error(path: Path) -> None:
    example = json.loads(path.read_text(encoding="utf-8"))
    code = _code_for(path)
    plain = code.validate(example["document"])
    nested = code.validate(example["document"], base_pointer="/self_assessment")
    assert [e.pointer for e in nested] == ["/self_assessment" + e.pointer for e in plain]


def _raw_validator(code: CodeOfConduct) -> Draft202012Validator:
    """The bare jsonschema validator, to learn which keyword each error comes from."""
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in code.schemas.values()
    )
    return Draft202012Validator(code.schemas[code.envelope_file], registry=registry)


def _objects(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every object in a JSON document."""
    if isinstance(node, dict):
        yield path
        for key, value in node.items():
            yield from _objects(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, (*path, i))


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_missing_required_field_is_named(path: Path) -> None:
    """Remove each field of a valid document in turn: when the field was required, the error
    at its parent's pointer names it."""
    document = json.loads(path.read_text(encoding="utf-8"))
    code = _code_for(path)
    raw = _raw_validator(code)
    checked = 0
    for parent in _objects(document):
        for key in list(_at(document, parent)):
            broken = copy.deepcopy(document)
            del _at(broken, parent)[key]
            if not any(e.validator == "required" for e in raw.iter_errors(broken)):
                continue
            checked += 1
            pointer = pointer_of(parent)
            messages = [e.message for e in code.validate(broken) if e.pointer == pointer]
            assert any(f"'{key}'" in m for m in messages), (pointer, key, messages)
    assert checked >= 10  # the walk really removed required fields


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_VALUES = ("items", "additionalProperties", "unevaluatedProperties", "contains", "not",
                  "if", "then", "else", "propertyNames", "unevaluatedItems")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _undescribed(schema: Any, where: str) -> Iterator[str]:
    """Locations of properties, at any depth, that have no description."""
    if not isinstance(schema, dict):
        return
    for name, sub in (schema.get("properties") or {}).items():
        if not (isinstance(sub, dict) and str(sub.get("description", "")).strip()):
            yield f"{where}/properties/{name}"
    for keyword in _SCHEMA_MAPS:
        for name, sub in (schema.get(keyword) or {}).items():
            yield from _undescribed(sub, f"{where}/{keyword}/{name}")
    for keyword in _SCHEMA_VALUES:
        yield from _undescribed(schema.get(keyword), f"{where}/{keyword}")
    for keyword in _SCHEMA_LISTS:
        for i, sub in enumerate(schema.get(keyword) or []):
            yield from _undescribed(sub, f"{where}/{keyword}/{i}")


def test_undescribed_walker_finds_nested_gaps() -> None:
    schema = {"properties": {"a": {"description": "ok", "items": {"properties": {"b": {}}}}},
              "$defs": {"d": {"properties": {"c": {"type": "string"}}}}}
    assert sorted(_undescribed(schema, "")) == [
        "/$defs/d/properties/c", "/properties/a/items/properties/b",
    ]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=_id)
def test_every_property_is_described(manifest: Path) -> None:
    code = CodeOfConduct(manifest.parent)
    assert len(code.schemas) == 1 + len(code.principles)
    missing = [f"{name}#{where}" for name, schema in code.schemas.items()
               for where in _undescribed(schema, "")]
    assert missing == []


@pytest.mark.parametrize(("path", "pointer"), [
    ([], ""),
    (["principles", "A", "licences", 0], "/principles/A/licences/0"),
    (["a/b", "c~d"], "/a~1b/c~0d"),
])
def test_pointer_of(path: list[Any], pointer: str) -> None:
    assert pointer_of(path) == pointer
