"""The scope's pure rules: one stored form, the faults a stated or added scope may have (each
with its pointer), the bounds the workflow file repeats, and the roster query's new filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from iris_engine import bounds
from iris_engine.accreditation import scope
from iris_engine.countries import ISO_3166_ALPHA_2
from iris_engine.errors import InvalidInput
from iris_engine.roster.service import RosterQuery

NP_QA = {"origin": "NP", "destination": "QA"}


def _problems(data: dict[str, Any], **kw: Any) -> dict[str, str]:
    return {e.pointer: e.message for e in scope.problems(data, **kw)}


def test_one_stored_form_sorted_and_each_once() -> None:
    stated = scope.of({"corridors": [{"origin": "PH", "destination": "SA"}, NP_QA, NP_QA],
                       "sectors": ["hospitality", "construction", "hospitality"]})
    assert stated == {"corridors": [NP_QA, {"origin": "PH", "destination": "SA"}],
                      "sectors": ["construction", "hospitality"]}
    assert scope.of(None) == scope.EMPTY
    grown = scope.extended(stated, {"corridors": [NP_QA, {"origin": "NP", "destination": "AE"}],
                                    "sectors": ["agriculture"]})
    assert grown["corridors"][0] == {"origin": "NP", "destination": "AE"}
    assert grown["sectors"] == ["agriculture", "construction", "hospitality"]
    assert scope.show(grown) == "NP>AE, NP>QA, PH>SA; agriculture, construction, hospitality"
    assert scope.show(scope.EMPTY) == "no corridor; no sector"


def test_a_valid_scope_has_no_problem() -> None:
    assert _problems({"corridors": [NP_QA], "sectors": ["construction"]}) == {}


def test_faults_each_at_their_pointer() -> None:
    found = _problems({"corridors": [{"origin": "NP", "destination": "NP"},
                                     {"origin": "ZZ", "destination": "QA"}, NP_QA, NP_QA],
                       "sectors": ["fishing", "fishing"]}, base="/x")
    assert set(found) == {"/x/corridors/0", "/x/corridors/1/origin", "/x/corridors/3",
                          "/x/sectors/1"}
    assert "also at /x/corridors/2" in found["/x/corridors/3"]


def test_an_extension_adds_only_what_is_new_within_the_bounds() -> None:
    granted = {"corridors": [NP_QA], "sectors": ["construction"]}
    found = _problems({"corridors": [NP_QA], "sectors": ["construction", "fishing"]},
                      granted=granted)
    assert found == {"/data/corridors/0": "NP -> QA is already in the scope",
                     "/data/sectors/0": "construction is already in the scope"}
    many = [{"origin": "NP", "destination": code}
            for code in sorted(ISO_3166_ALPHA_2 - {"NP"})]
    assert "/data/corridors" not in _problems({"corridors": many[:99]}, granted=granted)
    assert "extensions included" in _problems({"corridors": many[:100]},
                                              granted=granted)["/data/corridors"]


def test_the_workflow_file_states_the_bounds_bounds_py_holds(repo: Path) -> None:
    doc = yaml.safe_load((repo / "workflows" / "accreditation.yaml").read_text())
    schemas = [t["data"] for t in doc["transitions"]
               if t["event"] in ("update_scope", "request_scope_extension")]
    assert len(schemas) == 2
    for data in schemas:
        assert data["properties"]["corridors"]["maxItems"] == bounds.SCOPE_CORRIDORS
        assert data["properties"]["sectors"]["maxItems"] == bounds.SCOPE_SECTORS
        assert data["properties"]["sectors"]["items"]["enum"] == doc["settings"]["sectors"]
    sectors = doc["settings"]["sectors"]
    assert len(sectors) == len(set(sectors)) <= bounds.SCOPE_SECTORS
    assert all(len(s) <= bounds.NAME and s.isidentifier() and s.islower() for s in sectors)


def test_roster_query_scope_filters() -> None:
    q = RosterQuery(origin="np", destination="qa", sector="construction").checked(
        frozenset({"construction"}))
    assert (q.origin, q.destination, q.sector) == ("NP", "QA", "construction")
    assert RosterQuery(sector="anything").checked().sector == "anything"  # no list: any
    with pytest.raises(InvalidInput) as caught:
        RosterQuery(origin="N1", destination="QAT", sector="mining").checked(
            frozenset({"construction", "fishing"}))
    errors = {e.pointer: e.message for e in caught.value.errors}
    assert set(errors) == {"/query/origin", "/query/destination", "/query/sector"}
    assert errors["/query/sector"] == "unknown sector 'mining'; one of construction, fishing"
