"""The return forms' examples: each valid one validates, each invalid one fails exactly
where it says it should, with a sentence a partner can act on; every property is described."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from iris_engine.errors import Forbidden
from iris_engine.returns.forms import FORM_NAMES, FORMS_FOLDER, ReturnForms, form

EXAMPLES = FORMS_FOLDER / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.json"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.json"))


def _form_of(path: Path) -> Any:
    return form(path.name.split(".")[0])  # type: ignore[arg-type]  # checked by the next test


def test_every_form_has_valid_and_invalid_examples() -> None:
    for name in FORM_NAMES:
        assert [p for p in VALID if p.name.startswith(f"{name}.")], name
        assert [p for p in INVALID if p.name.startswith(f"{name}.")], name
    assert {p.name.split(".")[0] for p in VALID + INVALID} <= set(FORM_NAMES)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_has_no_errors(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert _form_of(path).errors(document, base_pointer="") == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_fails_where_it_says(path: Path) -> None:
    example = json.loads(path.read_text(encoding="utf-8"))
    assert set(example) == {"description", "expected_errors", "document"}
    assert example["description"].strip()
    expected = {e["pointer"] for e in example["expected_errors"]}
    assert expected, "an invalid example must expect at least one error"

    errors = _form_of(path).errors(example["document"], base_pointer="/data/report")

    assert {e.pointer for e in errors} == {"/data/report" + p for p in expected}
    assert all(e.message.strip() for e in errors)


def _properties(schema: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield f"{path}/{name}", sub
            yield from _properties(sub, f"{path}/{name}")


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_property_is_described_for_a_partner(name: Any) -> None:
    schema = form(name).schema
    Draft202012Validator.check_schema(schema)
    for path, sub in _properties(schema):
        described = sub.get("description") or (
            "$ref" in sub and schema["$defs"][sub["$ref"].rsplit("/", 1)[1]].get("description"))
        assert described, f"{name}: {path} has no description"


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_string_is_bounded(name: Any) -> None:
    """A form is sealed whole: an unbounded string would let a request seal any amount."""
    def strings(node: Any) -> Iterator[Any]:
        if isinstance(node, dict):
            if node.get("type") == "string":
                yield node
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    found = list(strings(form(name).schema))
    assert found and all("maxLength" in s or "format" in s for s in found)


def test_the_published_schema_is_a_copy() -> None:
    published = ReturnForms().schema(frozenset({"partner"}), "risk_assessment")
    published["title"] = "changed"
    assert form("risk_assessment").schema["title"] != "changed"


def test_only_the_people_of_a_return_read_the_forms() -> None:
    with pytest.raises(Forbidden):
        ReturnForms().schema(frozenset({"auditor", "recruiter"}), "monitoring_report")
