"""One vocabulary of allegations and principles: the filing schema, the triage event of the
workflow file, routing and the referral remits must not drift apart."""

from __future__ import annotations

from typing import get_args

from iris_engine.disclosure.schemas import REMITS
from iris_engine.grievances.routing import ALLEGATION_REMITS
from iris_engine.grievances.schemas import ALLEGATIONS, CRIMINAL_ALLEGATIONS, Principle
from iris_engine.workflow import load_workflow_file
from tests.conftest import REPO


def test_the_filing_the_triage_and_routing_know_the_same_allegations() -> None:
    spec = load_workflow_file(REPO / "workflows" / "grievance.yaml")
    triage = next(t for t in spec.transitions if t.event == "triage")
    assert triage.data_schema is not None
    in_workflow = triage.data_schema["properties"]["allegations"]["items"]["enum"]
    assert list(in_workflow) == list(ALLEGATIONS)
    assert set(ALLEGATION_REMITS) == set(ALLEGATIONS)
    # DOMAIN.md: allegations of a criminal nature must be referred
    assert {"trafficking", "forced_labour", "child_labour"} == CRIMINAL_ALLEGATIONS


def test_routing_proposes_only_remits_an_authority_can_have() -> None:
    assert {r for remits in ALLEGATION_REMITS.values() for r in remits} <= set(REMITS)


def test_principles_match_the_workflow() -> None:
    spec = load_workflow_file(REPO / "workflows" / "grievance.yaml")
    findings = next(t for t in spec.transitions if t.event == "record_findings")
    assert findings.data_schema is not None
    assert list(findings.data_schema["properties"]["principles"]["items"]["enum"]) == list(
        get_args(Principle))
