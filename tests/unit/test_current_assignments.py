"""What "current" means for an assignment (the staff directory): read from the workflow file,
the states in which the assignee still has a part."""

from __future__ import annotations

from typing import Any

from iris_engine.accreditation.assignments import ASSIGNEE_ROLE, states_awaiting
from iris_engine.workflow import WorkflowCatalog
from iris_engine.workflow.spec import build_workflow
from tests.unit.conftest import REPO


def test_an_auditor_is_current_from_the_planned_audit_to_the_referral() -> None:
    spec = WorkflowCatalog.from_dir(REPO / "workflows").machine("accreditation").spec
    assert states_awaiting(spec, ASSIGNEE_ROLE) == {
        "audit_planned", "audited", "corrective_action", "corrective_action_review",
        "surveillance",
        # recertification and restoration: their audit, and its corrective-action loop
        "recertification_audit", "recertification_audited",
        "restoration_audit", "restoration_audited"}


def _spec(transitions: list[dict[str, Any]]) -> Any:
    return build_workflow({
        "name": "sample", "version": 1, "title": "Sample", "initial": "waiting",
        "access": {"worker": "assigned", "manager": "all"},
        "states": {"waiting": {}, "working": {}, "answering": {}, "done": {"final": True},
                   "handed_over": {}},
        "transitions": transitions}, source="sample.yaml")


def test_a_state_that_leads_back_is_current_unless_the_case_is_assigned_anew() -> None:
    assign = {"data": "worker_id"}
    data = {"type": "object", "required": ["worker_id"],
            "properties": {"worker_id": {"type": "integer"}}}
    spec = _spec([
        {"event": "assign", "from": "waiting", "to": "working", "roles": ["manager"],
         "assign": assign, "data": data},
        {"event": "ask", "from": "working", "to": "answering", "roles": ["worker"]},
        {"event": "answer", "from": "answering", "to": "working", "roles": ["manager"]},
        {"event": "finish", "from": "working", "to": "handed_over", "roles": ["worker"]},
        # back to the worker only through a new assignment: handed_over is not current
        {"event": "reassign", "from": "handed_over", "to": "working", "roles": ["manager"],
         "assign": assign, "data": data},
        {"event": "close", "from": ["handed_over", "working"], "to": "done", "roles": ["manager"]},
    ])
    assert states_awaiting(spec, "worker") == {"working", "answering"}
