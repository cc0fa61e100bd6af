"""``to: {back_from: [...]}``: where a transition may go back to is computed at load, refused
when nowhere, drawn in the diagram; ``restart_on`` and a timer timed by a named setting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iris_engine.errors import WorkflowDefinitionError
from iris_engine.workflow import load_workflow_file
from iris_engine.workflow.history import entering_index
from iris_engine.workflow.machine import WorkflowMachine

WriteWorkflow = Callable[..., Path]


def _with_hold(data: dict[str, Any]) -> dict[str, Any]:
    """open and review may be put on hold (through two states); release goes back."""
    data["states"]["on_hold"] = {"description": "Held"}
    data["states"]["held_longer"] = {"description": "Held longer"}
    data["transitions"] += [
        {"event": "hold", "from": ["open", "review"], "to": "on_hold", "roles": ["manager"]},
        {"event": "prolong", "from": "on_hold", "to": "held_longer", "roles": ["manager"]},
        {"event": "release", "from": ["on_hold", "held_longer"],
         "to": {"back_from": ["on_hold", "held_longer"]}, "roles": ["manager"]},
    ]
    return data


def _error(path: Path) -> WorkflowDefinitionError:
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_workflow_file(path)
    return caught.value


def test_back_from_computes_where_it_may_return(write_workflow: WriteWorkflow,
                                                workflow_data: dict[str, Any]) -> None:
    spec = load_workflow_file(write_workflow(_with_hold(workflow_data)))
    release = spec.transition("release", "held_longer")
    assert release is not None
    assert release.dest is None and release.back_from == {"on_hold", "held_longer"}
    assert release.back_to == ("open", "review")  # in the order the states are declared
    assert release.destinations == ("open", "review")


def test_a_return_into_the_set_is_no_way_in(write_workflow: WriteWorkflow,
                                            workflow_data: dict[str, Any]) -> None:
    """A return (another back_from transition landing in the set) resumes a stay that began
    by a transition with a fixed ``to``: only those count."""
    data = _with_hold(workflow_data)
    data["states"]["paused"] = {}
    data["transitions"] += [
        {"event": "pause", "from": "on_hold", "to": "paused", "roles": ["manager"]},
        {"event": "resume", "from": "paused", "to": {"back_from": ["paused"]}, "roles": ["manager"]},
        {"event": "rehold", "from": "paused", "to": {"back_from": ["paused", "review"]},
         "roles": ["manager"]},
    ]
    spec = load_workflow_file(write_workflow(data))
    assert spec.transition("resume", "paused").back_to == ("on_hold",)  # type: ignore[union-attr]
    assert spec.transition("release", "on_hold").back_to == ("open", "review")  # type: ignore[union-attr]
    # into review by submit (from open), into paused by pause (from on_hold); release may
    # land in review, but only back into a stay begun by submit
    assert spec.transition("rehold", "paused").back_to == (  # type: ignore[union-attr]
        "open", "on_hold")


@dataclass(frozen=True)
class _Event:
    event: str
    from_state: str | None
    to_state: str


def test_the_stay_a_return_resumes_began_before_it(write_workflow: WriteWorkflow,
                                                   workflow_data: dict[str, Any]) -> None:
    """review -> hold -> release (back to review) -> hold -> release: the second release
    goes back to review, and review's stay began with submit, from open."""
    spec = load_workflow_file(write_workflow(_with_hold(workflow_data)))
    events = [_Event("open", None, "open"), _Event("submit", "open", "review"),
              _Event("hold", "review", "on_hold"), _Event("release", "on_hold", "review"),
              _Event("hold", "review", "on_hold"), _Event("prolong", "on_hold", "held_longer")]
    assert entering_index(events, frozenset({"on_hold", "held_longer"}), spec) == 4
    # the stay in review: the return at #3 resumed the one submit began at #1
    assert entering_index(events[:4], frozenset({"review"}), spec) == 1
    assert entering_index(events[:1], frozenset({"review"}), spec) is None


def test_back_from_with_no_way_in_is_refused(write_workflow: WriteWorkflow,
                                             workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"].append(
        {"event": "undo", "from": "open", "to": {"back_from": ["open"]}, "roles": ["manager"]})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "transitions[3].to.back_from"
    assert "nowhere to go back to" in error.message


def test_back_from_must_hold_every_source(write_workflow: WriteWorkflow,
                                          workflow_data: dict[str, Any]) -> None:
    data = _with_hold(workflow_data)
    data["transitions"][-1]["from"] = ["on_hold", "review"]
    error = _error(write_workflow(data))
    assert error.key_path == "transitions[5].to.back_from"
    assert "review" in error.message


def test_back_from_names_known_states(write_workflow: WriteWorkflow,
                                      workflow_data: dict[str, Any]) -> None:
    data = _with_hold(workflow_data)
    data["transitions"][-1]["to"] = {"back_from": ["on_hold", "nowhere"]}
    assert _error(write_workflow(data)).key_path == "transitions[5].to.back_from[1]"
    data["transitions"][-1]["to"] = {"back_from": []}
    assert _error(write_workflow(data)).key_path == "transitions[5].to.back_from"


def test_the_machine_keeps_the_state_and_the_diagram_draws_every_return(
        write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    machine = WorkflowMachine(load_workflow_file(write_workflow(_with_hold(workflow_data))))
    assert machine.can_fire("held_longer", "release")
    assert machine.fire("held_longer", "release") == "held_longer"  # the engine decides
    lines = machine.mermaid().splitlines()
    for source in ("on_hold", "held_longer"):
        for dest in ("open", "review"):
            assert any(source in line and dest in line and "release" in line
                       for line in lines), (source, dest)


def test_accreditation_back_transitions_resolve(repo: Path) -> None:
    spec = load_workflow_file(repo / "workflows" / "accreditation.yaml")
    backs = [t for t in spec.transitions if t.back_from]
    assert backs, "accreditation uses back_from for appeals and requests"
    for t in backs:
        assert t.back_to and not set(t.back_to) & t.back_from


def test_restart_on_and_setting_durations(write_workflow: WriteWorkflow,
                                          workflow_data: dict[str, Any]) -> None:
    workflow_data["settings"] = {"review_period": "P9D"}
    workflow_data["timers"] = {"review_due": {"states": ["review"], "after": "review_period",
                                              "restart_on": ["close"], "notify": ["manager"]}}
    timer = load_workflow_file(write_workflow(workflow_data)).timers["review_due"]
    assert timer.after is not None and timer.after.days == 9
    assert timer.restart_on == frozenset({"close"})


@pytest.mark.parametrize(("timer", "key_path", "words"), [
    ({"after": "P1D", "restart_on": ["submit"]}, "timers.t.restart_on[0]", "never re-arm"),
    ({"after": "P1D", "restart_on": ["nope"]}, "timers.t.restart_on[0]", "never re-arm"),
    ({"after": "missing_period"}, "timers.t.after", "no setting 'missing_period'"),
])
def test_restart_on_and_setting_durations_refused(
        write_workflow: WriteWorkflow, workflow_data: dict[str, Any], timer: dict[str, Any],
        key_path: str, words: str) -> None:
    workflow_data["timers"] = {"t": {"states": ["review"], "notify": ["manager"], **timer}}
    error = _error(write_workflow(workflow_data))
    assert error.key_path == key_path and words in error.message
