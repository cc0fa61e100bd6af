"""Pure helpers of the accreditation hooks: which licences are valid on a day, and adding
years to a certificate date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from iris_engine.accreditation.hooks import add_years, valid_licences

TODAY = date(2025, 6, 15)


def _document(*licences: Any) -> dict[str, Any]:
    return {"code": "iris-standard", "version": "1.2",
            "principles": {"A": {"licences": list(licences)}}}


def _licence(number: str = "L-1", **dates: str) -> dict[str, Any]:
    return {"number": number, "issuer": "Ministry of Labour", "country": "NP", **dates}


@pytest.mark.parametrize(("dates", "valid"), [
    ({"valid_until": "2027-12-31"}, True),
    ({"valid_from": "2025-06-15", "valid_until": "2027-12-31"}, True),  # starts today
    ({"valid_from": "2020-01-01", "valid_until": "2025-06-15"}, True),  # ends today
    ({"valid_from": "2025-06-15", "valid_until": "2025-06-15"}, True),  # one-day licence
    ({"valid_until": "2025-06-14"}, False),  # expired yesterday
    ({"valid_from": "2025-06-16", "valid_until": "2027-12-31"}, False),  # starts tomorrow
    ({}, False),  # no expiry date: not shown to be valid
], ids=["open-start", "from-today", "until-today", "one-day", "expired-yesterday",
        "starts-tomorrow", "no-dates"])
def test_licence_validity_boundaries(dates: dict[str, str], valid: bool) -> None:
    licence = _licence(**dates)
    assert valid_licences(_document(licence), TODAY) == ([licence] if valid else [])


def test_only_valid_licences_are_returned_in_order() -> None:
    a = _licence("A", valid_until="2026-01-01")
    b = _licence("B", valid_until="2024-01-01")
    c = _licence("C", valid_from="2025-01-01", valid_until="2025-12-31")
    assert valid_licences(_document(a, b, c), TODAY) == [a, c]


@pytest.mark.parametrize("document", [
    None,
    {},
    [],
    "a string",
    {"principles": None},
    {"principles": {}},
    {"principles": {"A": None}},
    {"principles": {"A": {}}},
    {"principles": {"A": {"licences": []}}},
    {"principles": {"A": {"licences": ["L-1", 3, None]}}},
], ids=repr)
def test_malformed_document_has_no_valid_licence(document: Any) -> None:
    assert valid_licences(document, TODAY) == []


@pytest.mark.parametrize("licences", [None, 5], ids=repr)
def test_licences_that_are_not_a_list(licences: Any) -> None:
    assert valid_licences({"principles": {"A": {"licences": licences}}}, TODAY) == []


@pytest.mark.parametrize(("day", "years", "expected"), [
    (date(2024, 2, 29), 1, date(2025, 2, 28)),
    (date(2024, 2, 29), 3, date(2027, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2025, 2, 28), 3, date(2028, 2, 28)),
    (date(2025, 3, 1), 3, date(2028, 3, 1)),
    (date(2025, 12, 31), 3, date(2028, 12, 31)),
    (date(2025, 6, 15), 0, date(2025, 6, 15)),
])
def test_add_years(day: date, years: int, expected: date) -> None:
    assert add_years(day, years) == expected
