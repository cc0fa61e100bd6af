"""``restart_on``: a timer started afresh by an event that keeps the case inside its states
(a renewal moves the certificate's end), and the restoration period as the settings say."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import isodate
import pytest
import yaml

from iris_engine.errors import WorkflowDefinitionError
from iris_engine.workflow import TimerSpec, load_workflow_file

WriteWorkflow = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]

EXPIRY = TimerSpec(name="expiry", states=frozenset({"accredited", "recertification"}),
                   anchor="certificate_end", event="expire", restart_on=frozenset({"recertify"}))


@pytest.mark.parametrize(("event", "source", "dest", "restarts"), [
    ("recertify", "recertification", "accredited", True),  # inside the states: afresh
    ("recertify", "accredited", "accredited", True),
    ("apply_for_renewal", "accredited", "recertification", False),  # moving within
    ("recertify", None, "accredited", False),  # an opening starts it anyway
    ("recertify", "decision", "accredited", False),  # entering from outside starts it anyway
    ("recertify", "accredited", "expired", False),  # leaving stops it
])
def test_restarts(event: str, source: str | None, dest: str, restarts: bool) -> None:
    assert EXPIRY.restarts(event, source, dest) is restarts


def test_restart_on_names_a_known_event(write_workflow: WriteWorkflow,
                                        workflow_data: dict[str, Any]) -> None:
    workflow_data["timers"] = {"deadline": {"states": ["open"], "after": "P1D",
                                            "notify": ["owner"], "restart_on": ["renew"]}}
    path = write_workflow(workflow_data)
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_workflow_file(path)
    assert caught.value.key_path == "timers.deadline.restart_on[0]"
    assert "unknown event 'renew'" in caught.value.message


def test_restart_on_loads(write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    event = workflow_data["transitions"][0]["event"]
    workflow_data["timers"] = {"deadline": {"states": ["open"], "after": "P1D",
                                            "notify": ["owner"], "restart_on": [event]}}
    spec = load_workflow_file(write_workflow(workflow_data))
    assert spec.timers["deadline"].restart_on == frozenset({event})


def test_the_restoration_timer_counts_the_restoration_period_setting() -> None:
    spec = load_workflow_file(REPO / "workflows" / "accreditation.yaml")
    timer = spec.timers["restoration_period"]
    assert timer.anchor == "certificate_end" and timer.event == "end_restoration_period"
    assert timer.offset == isodate.parse_duration(spec.settings["restoration_period"])
    assert "expired" in timer.states and "ended" not in timer.states
    assert spec.states["ended"].final
    raw = yaml.safe_load((REPO / "workflows" / "accreditation.yaml").read_text())
    assert raw["settings"]["recertification_window"] == "P1Y"
