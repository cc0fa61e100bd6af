"""The body check's quick yes (``iris_engine.web.bodies.fits``): msgspec's strict decoding in C
answers for a body that fits, the JSON Schema walk (~0.3-1 ms in Python) only for one that may
not. The quick yes must never accept what the schema refuses: checked here on a real filing
mutated field by field, and on the types where msgspec is laxer than its schema (a decimal
given as a number, a set with an item twice), for which it stands aside."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Annotated, Any

import msgspec
import pytest

from iris_engine.grievances.schemas import GrievanceFiling
from iris_engine.web.bodies import body_errors, fits
from tests.integration.conftest import grievance_filing

#: a complete filing, as the integration tests file it
FILING: dict[str, Any] = grievance_filing()
#: what a member is replaced with, one at a time, wherever it sits in the document
ODD_VALUES: list[Any] = [None, "", "x" * 10_001, 0, -1, 1.5, True, [], {}, ["recruitment_fees"] * 2,
                         "NP", "not-a-code", {"unexpected": 1}]


def _mutations(document: Any, path: tuple[Any, ...] = ()) -> list[Any]:
    """``document`` with one member removed, replaced or added, for every member at every
    depth."""
    found: list[Any] = []
    if isinstance(document, dict):
        for key, value in document.items():
            without = copy.deepcopy(document)
            del without[key]
            found.append(without)
            for odd in ODD_VALUES:
                changed = copy.deepcopy(document)
                changed[key] = odd
                found.append(changed)
            for inner in _mutations(value, (*path, key)):
                changed = copy.deepcopy(document)
                changed[key] = inner
                found.append(changed)
        found.append({**copy.deepcopy(document), "unknown_member": "x"})
    elif isinstance(document, list):
        for index, value in enumerate(document):
            for inner in [*ODD_VALUES, *_mutations(value, (*path, index))]:
                changed = copy.deepcopy(document)
                changed[index] = inner
                found.append(changed)
    return found


def test_a_valid_filing_gets_the_quick_yes() -> None:
    assert body_errors(FILING, GrievanceFiling) == []
    assert fits(json.dumps(FILING).encode(), GrievanceFiling)


def test_the_quick_yes_never_accepts_what_the_schema_refuses() -> None:
    mutated = _mutations(FILING)
    assert len(mutated) > 300
    refused = 0
    for document in mutated:
        errors = body_errors(document, GrievanceFiling)
        if fits(json.dumps(document).encode(), GrievanceFiling):
            assert errors == [], (document, errors)
        refused += bool(errors)
    assert refused > 200  # the mutations do reach the schema's refusals


class _Priced(msgspec.Struct):
    amount: Decimal


class _Tagged(msgspec.Struct):
    tags: frozenset[str]


class _Named(msgspec.Struct, forbid_unknown_fields=True):
    """Members named as JSON Schema keywords: names, not keywords, to the laxness check."""

    format: Annotated[str, msgspec.Meta(max_length=8)]
    uniqueItems: list[str] = []  # a member named as the keyword, on purpose


def test_members_named_as_keywords_keep_the_quick_yes() -> None:
    assert fits(b'{"format": "online", "uniqueItems": ["a", "a"]}', _Named)
    assert body_errors({"format": "online", "uniqueItems": ["a", "a"]}, _Named) == []
    assert not fits(b'{"format": "far too long"}', _Named)
    assert body_errors({"format": "far too long"}, _Named) != []


class _Short(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(max_length=3, pattern="^[A-Z]+$")]
    when: Annotated[int, msgspec.Meta(ge=1)] = 1


@pytest.mark.parametrize(("body_type", "document"), [
    (_Priced, {"amount": 1.5}),  # msgspec takes a number; the schema says a string
    (_Tagged, {"tags": ["a", "a"]}),  # msgspec makes a set; the schema says unique items
])
def test_where_msgspec_is_laxer_the_schema_decides(body_type: Any, document: Any) -> None:
    assert msgspec.json.decode(json.dumps(document).encode(), type=body_type, strict=True)
    assert body_errors(document, body_type) != []
    assert not fits(json.dumps(document).encode(), body_type)


@pytest.mark.parametrize("document", [
    {"code": "ABCD"}, {"code": "ab"}, {"code": "AB", "extra": 1}, {"code": "AB", "when": 0},
    {"code": "AB", "when": "1"}, {}, [], "AB",
])
def test_a_body_msgspec_refuses_is_left_to_the_schema(document: Any) -> None:
    assert not fits(json.dumps(document).encode(), _Short)
    assert body_errors(document, _Short) != []
