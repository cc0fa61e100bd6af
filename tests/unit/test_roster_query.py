"""Roster queries: normalised before use, refused with a pointer per bad field (cursors are
LRNs: tests/integration/test_roster.py follows and forges them)."""

from __future__ import annotations

import pytest

from iris_engine.errors import InvalidInput
from iris_engine.roster.service import PUBLIC_STATUSES, RosterQuery


def _pointers(query: RosterQuery) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        query.checked()
    assert caught.value.status == 422
    for error in caught.value.errors:
        assert error.message.strip()
    return [e.pointer for e in caught.value.errors]


def test_normalisation() -> None:
    q = RosterQuery(q="  Himalayan Manpower ", lrn=" lrn0001 ", country="np",
                    status=("suspended", "accredited", "suspended"), cursor="abc", limit=50)
    assert q.checked() == RosterQuery(q="himalayan manpower", lrn="LRN0001", country="NP",
                                      status=("accredited", "suspended"), cursor="abc", limit=50)


def test_casefold_not_just_lower() -> None:
    assert RosterQuery(q="STRAßE").checked().q == "strasse"


def test_blank_filters_become_none_and_all_statuses() -> None:
    checked = RosterQuery(q="   ", lrn="", country=None, status=()).checked()
    assert checked.q is None
    assert checked.lrn is None
    assert checked.country is None
    assert checked.status == PUBLIC_STATUSES


def test_checked_is_idempotent() -> None:
    once = RosterQuery(q=" A ", country="qa", status=("expired",)).checked()
    assert once.checked() == once


@pytest.mark.parametrize("status", [("pending",), ("accredited", "draft"), ("Accredited",)])
def test_unknown_status(status: tuple[str, ...]) -> None:
    assert _pointers(RosterQuery(status=status)) == ["/query/status"]


@pytest.mark.parametrize("country", ["NPL", "N", "", "N1", "1P"])
def test_bad_country(country: str) -> None:
    assert _pointers(RosterQuery(country=country)) == ["/query/country"]


@pytest.mark.parametrize("limit", [0, -1, 201])
def test_limit_out_of_range(limit: int) -> None:
    assert _pointers(RosterQuery(limit=limit)) == ["/query/limit"]


@pytest.mark.parametrize("limit", [1, 200])
def test_limit_bounds_are_accepted(limit: int) -> None:
    assert RosterQuery(limit=limit).checked().limit == limit


def test_every_bad_field_is_reported_at_once() -> None:
    assert sorted(_pointers(RosterQuery(status=("x",), country="xyz", limit=0))) == [
        "/query/country", "/query/limit", "/query/status",
    ]
