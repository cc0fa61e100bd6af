"""Workflow files: a valid one loads; every defect names the file and the key path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iris_engine.errors import WorkflowDefinitionError
from iris_engine.workflow import WorkflowCatalog, load_workflow_file
from iris_engine.workflow.machine import WorkflowMachine

WriteWorkflow = Callable[..., Path]


def _error(path: Path) -> WorkflowDefinitionError:
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_workflow_file(path)
    assert caught.value.file == str(path)
    assert str(path) in caught.value.detail
    return caught.value


def test_minimal_workflow_loads(write_workflow: WriteWorkflow,
                                workflow_data: dict[str, Any]) -> None:
    spec = load_workflow_file(write_workflow(workflow_data))

    assert spec.key == ("sample", 1)
    assert spec.initial == "open"
    assert list(spec.states) == ["open", "review", "closed"]
    assert spec.states["closed"].final and not spec.states["open"].final
    close = spec.transition("close", "review")
    assert close is not None
    assert close.sources == ("open", "review")
    assert close.requires_reason and close.reason_codes == ("spam",)
    assert spec.transition("submit", "review") is None
    assert [t.event for t in spec.transitions_from("open")] == ["edit", "submit", "close"]


def test_title_defaults_to_name(write_workflow: WriteWorkflow,
                                workflow_data: dict[str, Any]) -> None:
    del workflow_data["title"]
    assert load_workflow_file(write_workflow(workflow_data)).title == "sample"


@pytest.mark.parametrize("text", ["name: [unclosed\n", "a: b\n  c: d\n", "\tname: x\n"])
def test_malformed_yaml(write_workflow: WriteWorkflow, text: str) -> None:
    error = _error(write_workflow(text))
    assert error.key_path == ""
    assert "YAML" in error.message


@pytest.mark.parametrize("text", ["", "- a list\n", "just a string\n"])
def test_yaml_that_is_not_a_mapping(write_workflow: WriteWorkflow, text: str) -> None:
    assert _error(write_workflow(text)).key_path == ""


@pytest.mark.parametrize("key", ["name", "version", "initial", "states", "transitions"])
def test_missing_top_level_key(write_workflow: WriteWorkflow, workflow_data: dict[str, Any],
                               key: str) -> None:
    del workflow_data[key]
    error = _error(write_workflow(workflow_data))
    assert error.key_path == ""
    assert repr(key) in error.message


@pytest.mark.parametrize("key", ["event", "from", "roles"])
def test_missing_transition_key(write_workflow: WriteWorkflow, workflow_data: dict[str, Any],
                                key: str) -> None:
    del workflow_data["transitions"][1][key]
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "transitions[1]"
    assert repr(key) in error.message


def test_a_transition_without_to_stays_in_its_state(write_workflow: WriteWorkflow,
                                                    workflow_data: dict[str, Any]) -> None:
    del workflow_data["transitions"][1]["to"]
    spec = load_workflow_file(write_workflow(workflow_data))
    event, source = spec.transitions[1].event, spec.transitions[1].sources[0]
    assert spec.transitions[1].dest is None
    assert WorkflowMachine(spec).fire(source, event) == source


@pytest.mark.parametrize(("mutate", "key_path"), [
    (lambda w: w.update(version=0), "version"),
    (lambda w: w.update(name="Bad Name"), "name"),
    (lambda w: w.update(surprise=True), ""),
    (lambda w: w["transitions"][2].update(roles=[]), "transitions[2].roles"),
    (lambda w: w["transitions"][0].update(note="sometimes"), "transitions[0].note"),
    (lambda w: w["transitions"][1].update(data="not a schema"), "transitions[1].data"),
    (lambda w: w["states"]["open"].update(final="yes"), "states.open.final"),
], ids=["version", "name", "unknown-key", "empty-roles", "bad-note", "data-not-object",
        "final-not-bool"])
def test_structural_error_names_key_path(write_workflow: WriteWorkflow,
                                         workflow_data: dict[str, Any],
                                         mutate: Any, key_path: str) -> None:
    mutate(workflow_data)
    assert _error(write_workflow(workflow_data)).key_path == key_path


def test_unknown_initial_state(write_workflow: WriteWorkflow,
                               workflow_data: dict[str, Any]) -> None:
    workflow_data["initial"] = "nowhere"
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "initial"
    assert "nowhere" in error.message


def test_unknown_destination_state(write_workflow: WriteWorkflow,
                                   workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][1]["to"] = "nowhere"
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "transitions[1].to"
    assert "nowhere" in error.message


def test_unknown_source_state(write_workflow: WriteWorkflow,
                              workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][0]["from"] = "nowhere"
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "transitions[0].from"
    assert "nowhere" in error.message


def test_unknown_source_state_in_a_list(write_workflow: WriteWorkflow,
                                        workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][2]["from"] = ["open", "nowhere"]
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "transitions[2].from[1]"
    assert "nowhere" in error.message


def test_unknown_reason_code(write_workflow: WriteWorkflow,
                             workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][2]["reason_codes"] = ["spam", "rude"]
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "transitions[2].reason_codes[1]"
    assert "rude" in error.message


def test_duplicate_event_from_same_state(write_workflow: WriteWorkflow,
                                         workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"].append(
        {"event": "submit", "from": ["review", "open"], "to": "closed", "roles": ["owner"]}
    )
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "transitions[3].event"
    assert "transitions[1]" in error.message  # where the first definition is


def test_same_event_from_different_states_is_allowed(write_workflow: WriteWorkflow,
                                                     workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"].append(
        {"event": "submit", "from": "review", "to": "closed", "roles": ["owner"]}
    )
    spec = load_workflow_file(write_workflow(workflow_data))
    assert spec.transition("submit", "review") is spec.transitions[3]


def test_transition_from_final_state(write_workflow: WriteWorkflow,
                                     workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"].append(
        {"event": "reopen", "from": "closed", "to": "open", "roles": ["manager"]}
    )
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "transitions[3].from"
    assert "closed" in error.message and "final" in error.message


def test_transition_from_final_state_in_a_list(write_workflow: WriteWorkflow,
                                               workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"].append(
        {"event": "reopen", "from": ["review", "closed"], "to": "open", "roles": ["manager"]}
    )
    assert _error(write_workflow(workflow_data)).key_path == "transitions[3].from[1]"


@pytest.mark.parametrize("data", [
    {"type": "no-such-type"},
    {"type": "object", "properties": {"n": {"minimum": "ten"}}},
    {"required": "not-a-list"},
])
def test_invalid_data_schema(write_workflow: WriteWorkflow, workflow_data: dict[str, Any],
                             data: dict[str, Any]) -> None:
    workflow_data["transitions"][1]["data"] = data
    assert _error(write_workflow(workflow_data)).key_path == "transitions[1].data"


def test_data_schema_is_compiled_with_formats(write_workflow: WriteWorkflow,
                                              workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][1]["data"] = {
        "type": "object", "required": ["on"],
        "properties": {"on": {"type": "string", "format": "date"}},
    }
    submit = load_workflow_file(write_workflow(workflow_data)).transitions[1]
    assert submit.data_validator is not None
    assert submit.data_validator.is_valid({"on": "2024-02-29"})
    assert not submit.data_validator.is_valid({"on": "2023-02-29"})
    assert not submit.data_validator.is_valid({})


def test_same_name_and_version_in_two_files(write_workflow: WriteWorkflow,
                                            workflow_data: dict[str, Any]) -> None:
    first = write_workflow(workflow_data, "a.yaml")
    second = write_workflow(workflow_data, "old/b.yaml")
    with pytest.raises(WorkflowDefinitionError) as caught:
        WorkflowCatalog.from_dir(first.parent)
    error = caught.value
    assert error.key_path == "version"
    files = {str(first), str(second)}
    assert error.file in files
    (other,) = files - {error.file}
    assert other in error.message  # names where the first definition is


def test_notes_are_personal_where_the_file_says_or_by_the_person_the_case_is_about(
        write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    """``personal_notes`` sets the default, ``personal_note`` on a transition overrides it, and
    a role whose scope is the one case (its person) always writes personal notes."""
    workflow_data["access"]["person"] = "case"
    workflow_data["transitions"].append({"event": "comment", "from": "review", "roles": ["person"]})
    spec = load_workflow_file(write_workflow(workflow_data))
    assert [t.personal_note for t in spec.transitions] == [False] * 4
    comment, close = spec.transition("comment", "review"), spec.transition("close", "review")
    assert spec.note_is_personal(comment, "person") and spec.note_is_personal(None, "person")
    assert not spec.note_is_personal(close, "manager")

    workflow_data["personal_notes"] = True
    workflow_data["transitions"][2]["personal_note"] = False  # close
    spec = load_workflow_file(write_workflow(workflow_data))
    assert {t.event: t.personal_note for t in spec.transitions} == {
        "edit": True, "submit": True, "close": False, "comment": True}
    assert spec.note_is_personal(spec.transition("edit", "open"), "owner")
    assert not spec.note_is_personal(spec.transition("close", "open"), "manager")


@pytest.mark.parametrize(("where", "key_path"), [
    (lambda d: d.update(personal_notes="yes"), "personal_notes"),
    (lambda d: d["transitions"][0].update(personal_note="sometimes"), "transitions[0].personal_note"),
])
def test_personal_note_flags_are_booleans(write_workflow: WriteWorkflow,
                                          workflow_data: dict[str, Any], where: Any,
                                          key_path: str) -> None:
    where(workflow_data)
    assert _error(write_workflow(workflow_data)).key_path == key_path


def test_the_shipped_grievance_notes_are_personal_but_what_stays_on_record(repo: Path) -> None:
    """Everything written in a grievance or its referrals is personal, except what is kept
    after the complainant's data is erased (findings, legal holds) and the system's own text."""
    catalog = WorkflowCatalog.from_dir(repo / "workflows")
    grievance = catalog.machine("grievance").spec
    clear = {t.event for t in grievance.transitions
             if not any(grievance.note_is_personal(t, role) for role in t.roles)}
    assert clear == {"record_findings", "escalate", "place_legal_hold", "release_legal_hold"}
    assert grievance.note_is_personal(grievance.transition("appeal", "closed"), "complainant")
    referral = catalog.machine("referral").spec
    assert {t.event for t in referral.transitions if not t.personal_note} == {"escalate"}
    # about organisations, not persons: but a recruiter's representations, grounds of appeal,
    # answers to a request and reasons for a wider scope often name workers or staff: sealed
    accreditation = catalog.machine("accreditation").spec
    assert {t.event for t in accreditation.transitions if t.personal_note} == {
        "make_representations", "appeal", "answer_information_request", "request_scope_extension"}
