"""WorkflowMachine: what may fire from a state, where it leads, and the diagram."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iris_engine.workflow import WorkflowMachine, load_workflow_file

WriteWorkflow = Callable[..., Path]


@pytest.fixture
def machine(write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> WorkflowMachine:
    return WorkflowMachine(load_workflow_file(write_workflow(workflow_data)))


@pytest.mark.parametrize(("state", "events"), [
    ("open", ["edit", "submit", "close"]),
    ("review", ["close"]),
    ("closed", []),
])
def test_allowed_events_in_definition_order(machine: WorkflowMachine, state: str,
                                            events: list[str]) -> None:
    assert machine.allowed_events(state) == events


@pytest.mark.parametrize(("state", "event", "allowed"), [
    ("open", "submit", True),
    ("open", "edit", True),
    ("review", "close", True),
    ("review", "submit", False),
    ("closed", "close", False),
    ("open", "no_such_event", False),
    ("no_such_state", "submit", False),
])
def test_can_fire(machine: WorkflowMachine, state: str, event: str, allowed: bool) -> None:
    assert machine.can_fire(state, event) is allowed


@pytest.mark.parametrize(("state", "event", "dest"), [
    ("open", "submit", "review"),
    ("open", "edit", "open"),
    ("open", "close", "closed"),
    ("review", "close", "closed"),
])
def test_fire_returns_destination(machine: WorkflowMachine, state: str, event: str,
                                  dest: str) -> None:
    assert machine.fire(state, event) == dest


def test_fire_is_stateless(machine: WorkflowMachine) -> None:
    """One shared machine serves every case: firing must not move a shared state."""
    assert machine.fire("open", "submit") == "review"
    assert machine.allowed_events("open") == ["edit", "submit", "close"]
    assert machine.fire("open", "submit") == "review"


def test_mermaid_shows_every_state_and_event(machine: WorkflowMachine) -> None:
    diagram = machine.mermaid()
    assert "stateDiagram" in diagram
    for state in machine.spec.states:
        assert state in diagram
    for event in machine.spec.events():
        assert event in diagram


def test_real_accreditation_machine(repo: Path) -> None:
    machine = WorkflowMachine(load_workflow_file(repo / "workflows" / "accreditation.yaml"))
    assert machine.allowed_events("draft") == ["update_self_assessment", "submit", "update_scope"]
    assert machine.fire("decision", "accredit") == "accredited"
    assert not machine.can_fire("rejected", "resubmit")
    for state, body in machine.spec.states.items():
        if body.final:
            assert machine.allowed_events(state) == [], state
