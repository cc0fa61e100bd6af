"""Workflow timers: the bundled ones parse; start/stop semantics; every defect names file and key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import isodate
import pytest

from iris_engine.errors import WorkflowDefinitionError
from iris_engine.workflow import TimerSpec, load_workflow_file

WriteWorkflow = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]


# -- the bundled accreditation workflow ---------------------------------------------------
@pytest.fixture(scope="module")
def accreditation_timers() -> dict[str, TimerSpec]:
    return dict(load_workflow_file(REPO / "workflows" / "accreditation.yaml").timers)


def test_bundled_timers_are_all_there(accreditation_timers: dict[str, TimerSpec]) -> None:
    assert set(accreditation_timers) == {
        "review_due", "deferral_lapse", "corrective_action_due", "surveillance_due",
        "surveillance_overdue", "suspension_limit", "certificate_expiry", "complaint_review_due",
        # appeals and licences
        "representation_period", "appeal_period", "appeal_decision_due", "licence_expiry",
        "licence_review_due", "information_request_due",
        # renewal and restoration
        "restoration_period",
    }
    for name, timer in accreditation_timers.items():
        assert timer.name == name


def test_deferral_lapse(accreditation_timers: dict[str, TimerSpec]) -> None:
    timer = accreditation_timers["deferral_lapse"]
    assert timer.states == frozenset({"deferred"})
    assert timer.after == timedelta(days=60)
    assert timer.anchor is None and timer.offset is None
    assert timer.event == "lapse"
    assert timer.reason_code == "deferral_lapsed"
    assert timer.note and "60-day" in timer.note
    assert timer.remind_before == (timedelta(days=14), timedelta(days=3))
    assert timer.notify == ("recruiter",)
    assert timer.description == "Send the further information requested"


def test_review_due_only_notifies(accreditation_timers: dict[str, TimerSpec]) -> None:
    timer = accreditation_timers["review_due"]
    assert timer.states == frozenset({"submitted"})
    assert timer.after == timedelta(days=14)
    assert timer.event is None and timer.reason_code is None and timer.note is None
    assert timer.notify == ("scheme_manager",)
    assert timer.remind_before == ()


def test_corrective_action_due(accreditation_timers: dict[str, TimerSpec]) -> None:
    timer = accreditation_timers["corrective_action_due"]
    assert timer.states == frozenset({"corrective_action"})
    assert timer.after == timedelta(days=90)
    assert (timer.event, timer.reason_code) == ("lapse", "corrective_action_overdue")
    assert timer.remind_before == (timedelta(days=30), timedelta(days=7))


def test_certificate_expiry_counts_from_an_anchor(accreditation_timers: dict[str, TimerSpec]
                                                  ) -> None:
    timer = accreditation_timers["certificate_expiry"]
    # it runs on through a renewal under way, a licence review and a withdrawal notice (the
    # certificate ends whatever is under way), and a renewal granted starts it afresh
    assert timer.states == frozenset({"accredited", "surveillance", "under_review", "suspended",
                                      "licence_review", "withdrawal_notice", "recertification",
                                      "recertification_review",
                                      "recertification_audit", "recertification_audited",
                                      "recertification_decision"})
    assert timer.restart_on == frozenset({"recertify"})
    assert timer.anchor == "certificate_end"
    assert timer.after is None and timer.offset is None
    assert timer.event == "expire"
    assert timer.reason_code is None
    assert timer.remind_before == (timedelta(days=180), timedelta(days=90), timedelta(days=30))
    assert timer.notify == ("recruiter",)


def test_years_and_months_are_calendar_durations(accreditation_timers: dict[str, TimerSpec]
                                                 ) -> None:
    surveillance_due = accreditation_timers["surveillance_due"]
    assert surveillance_due.after == isodate.Duration(years=1)
    assert surveillance_due.event is None
    assert surveillance_due.notify == ("scheme_manager", "recruiter")
    assert surveillance_due.remind_before == (timedelta(days=60),)

    overdue = accreditation_timers["surveillance_overdue"]
    # a review opened by a grievance does not restart the surveillance cycle
    assert overdue.states == frozenset({"accredited", "under_review", "licence_review",
                                        "withdrawal_notice"})
    assert overdue.after == isodate.Duration(years=1, days=60)
    assert overdue.event is None

    suspension = accreditation_timers["suspension_limit"]
    # neither an appeal nor a withdrawal notice stops (or, rescinded, restarts) the six months
    assert suspension.states == frozenset({"suspended", "suspension_appeal", "withdrawal_notice"})
    assert suspension.after == isodate.Duration(months=6)
    assert (suspension.event, suspension.reason_code) == (
        "withdraw_at_suspension_limit", "suspension_limit")
    assert suspension.remind_before == (timedelta(days=30),)


# -- starts / stops -----------------------------------------------------------------------
EXPIRY = TimerSpec(name="expiry", states=frozenset({"accredited", "surveillance", "suspended"}),
                   anchor="certificate_end", event="expire")


@pytest.mark.parametrize(("source", "dest", "starts", "stops"), [
    (None, "accredited", True, False),  # a case opened straight into the states
    (None, "draft", False, False),
    ("decision", "accredited", True, False),  # entering from outside
    ("accredited", "surveillance", False, False),  # moving within
    ("surveillance", "suspended", False, False),
    ("suspended", "accredited", False, False),
    ("accredited", "accredited", False, False),  # a loop inside
    ("suspended", "withdrawn", False, True),  # leaving
    ("accredited", "expired", False, True),
    ("draft", "submitted", False, False),  # nowhere near
])
def test_starts_and_stops(source: str | None, dest: str, starts: bool, stops: bool) -> None:
    assert EXPIRY.starts(source, dest) is starts
    assert EXPIRY.stops(source, dest) is stops


# -- definition errors --------------------------------------------------------------------
#: a transition only the system may fire, from both non-final states of the sample
EXPIRE = {"event": "expire", "from": ["open", "review"], "to": "closed", "roles": ["system"]}


def _error(path: Path) -> WorkflowDefinitionError:
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_workflow_file(path)
    assert caught.value.file == str(path)
    assert str(path) in caught.value.detail
    assert caught.value.key_path in caught.value.detail
    return caught.value


def _with_timer(workflow: dict[str, Any], body: dict[str, Any], *,
                transition: dict[str, Any] | None = EXPIRE) -> dict[str, Any]:
    if transition is not None:
        workflow["transitions"].append(dict(transition))
    workflow["timers"] = {"deadline": body}
    return workflow


def test_a_valid_timer_in_the_sample_loads(write_workflow: WriteWorkflow,
                                           workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open", "review"], "after": "P1DT12H",
                                "remind_before": ["PT6H"], "notify": ["owner"],
                                "fire": {"event": "expire"}})
    workflow_data["timers"]["reminder_only"] = {"states": ["review"], "at": "due_date",
                                                "offset": "-P2D", "notify": ["manager"]}
    spec = load_workflow_file(write_workflow(workflow_data))
    deadline = spec.timers["deadline"]
    assert deadline.after == timedelta(days=1, hours=12)
    assert deadline.remind_before == (timedelta(hours=6),)
    assert deadline.event == "expire"
    other = spec.timers["reminder_only"]
    assert other.anchor == "due_date" and other.offset == timedelta(days=-2)
    assert other.after is None and other.event is None


def test_no_timers_means_an_empty_mapping(write_workflow: WriteWorkflow,
                                          workflow_data: dict[str, Any]) -> None:
    assert dict(load_workflow_file(write_workflow(workflow_data)).timers) == {}


def test_unknown_state(write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open", "limbo"], "after": "P1D",
                                "fire": {"event": "expire"}})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.states[1]"
    assert "limbo" in error.message


def test_final_state(write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["closed"], "after": "P1D", "notify": ["owner"]})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.states[0]"
    assert "final" in error.message


@pytest.mark.parametrize("duration", ["60 days", "P", "PT", "P1DT", "-P1D", "P1.5D", "60", ""])
def test_bad_duration_after(write_workflow: WriteWorkflow, workflow_data: dict[str, Any],
                            duration: str) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": duration, "notify": ["owner"]})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.after"


@pytest.mark.parametrize("duration", ["30 days", "P", "PT"])
def test_bad_duration_in_remind_before(write_workflow: WriteWorkflow,
                                       workflow_data: dict[str, Any], duration: str) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P10D", "notify": ["owner"],
                                "remind_before": ["P1D", duration]})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.remind_before[1]"


@pytest.mark.parametrize("duration", ["P", "-P", "yesterday"])
def test_bad_offset(write_workflow: WriteWorkflow, workflow_data: dict[str, Any],
                    duration: str) -> None:
    _with_timer(workflow_data, {"states": ["open"], "at": "due_date", "offset": duration,
                                "notify": ["owner"]})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.offset"


def test_an_offset_may_name_a_setting(write_workflow: WriteWorkflow,
                                      workflow_data: dict[str, Any]) -> None:
    """Reports due 3 months after arrival: the figure is a setting a scheme changes in one
    place, as ``after`` may name one."""
    workflow_data["settings"] = {"report_after": "P3M", "not_a_duration": 3}
    _with_timer(workflow_data, {"states": ["open"], "at": "due_date", "offset": "report_after",
                                "notify": ["owner"]})
    spec = load_workflow_file(write_workflow(workflow_data))
    assert spec.timers["deadline"].offset == isodate.Duration(months=3)

    for missing in ("no_such_setting", "not_a_duration"):
        workflow_data["timers"]["deadline"]["offset"] = missing
        error = _error(write_workflow(workflow_data))
        assert error.key_path == "timers.deadline.offset"
        assert f"no setting {missing!r} holding a duration" in error.message


def test_fire_event_not_defined_from_every_state(write_workflow: WriteWorkflow,
                                                 workflow_data: dict[str, Any]) -> None:
    only_review = dict(EXPIRE, **{"from": "review"})
    _with_timer(workflow_data, {"states": ["open", "review"], "after": "P1D",
                                "fire": {"event": "expire"}}, transition=only_review)
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.fire.event"
    assert "'expire'" in error.message and "'open'" in error.message


def test_fire_event_that_does_not_exist(write_workflow: WriteWorkflow,
                                        workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P1D",
                                "fire": {"event": "no_such_event"}})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.fire.event"
    assert "no_such_event" in error.message


def test_fire_event_the_system_may_not_fire(write_workflow: WriteWorkflow,
                                            workflow_data: dict[str, Any]) -> None:
    # submit exists from open, but only for the owner
    _with_timer(workflow_data, {"states": ["open"], "after": "P1D",
                                "fire": {"event": "submit"}})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.fire.event"
    assert "system" in error.message


@pytest.mark.parametrize("fire", [{"event": "expire"},
                                  {"event": "expire", "reason_code": "other"}])
def test_fire_event_needs_a_reason_code(write_workflow: WriteWorkflow,
                                        workflow_data: dict[str, Any],
                                        fire: dict[str, Any]) -> None:
    workflow_data["reason_codes"]["other"] = "Something else"
    _with_timer(workflow_data, {"states": ["open"], "after": "P1D", "fire": fire},
                transition=dict(EXPIRE, reason_codes=["spam"]))
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.fire.reason_code"
    assert "spam" in error.message


def test_fire_event_with_the_reason_code_it_needs(write_workflow: WriteWorkflow,
                                                  workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P1D",
                                "fire": {"event": "expire", "reason_code": "spam"}},
                transition=dict(EXPIRE, reason_codes=["spam"]))
    spec = load_workflow_file(write_workflow(workflow_data))
    assert spec.timers["deadline"].reason_code == "spam"


def test_fire_event_needs_a_note(write_workflow: WriteWorkflow,
                                 workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P1D", "fire": {"event": "expire"}},
                transition=dict(EXPIRE, note="required"))
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.fire.note"


def test_fire_event_with_the_note_it_needs(write_workflow: WriteWorkflow,
                                           workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P1D",
                                "fire": {"event": "expire", "note": "Too late."}},
                transition=dict(EXPIRE, note="required"))
    assert load_workflow_file(write_workflow(workflow_data)).timers["deadline"].note == "Too late."


def test_fire_event_that_requires_data(write_workflow: WriteWorkflow,
                                       workflow_data: dict[str, Any]) -> None:
    data = {"type": "object", "required": ["why"], "properties": {"why": {"type": "string"}}}
    _with_timer(workflow_data, {"states": ["open"], "after": "P1D", "fire": {"event": "expire"}},
                transition=dict(EXPIRE, data=data))
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.fire.event"
    assert "data" in error.message


def test_fire_event_with_optional_data_is_fine(write_workflow: WriteWorkflow,
                                               workflow_data: dict[str, Any]) -> None:
    data = {"type": "object", "properties": {"why": {"type": "string"}}}
    _with_timer(workflow_data, {"states": ["open"], "after": "P1D", "fire": {"event": "expire"}},
                transition=dict(EXPIRE, data=data))
    assert load_workflow_file(write_workflow(workflow_data)).timers["deadline"].event == "expire"


def test_remind_before_without_notify(write_workflow: WriteWorkflow,
                                      workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P10D", "remind_before": ["P1D"],
                                "fire": {"event": "expire"}})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.remind_before"
    assert "notify" in error.message


def test_offset_without_at(write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P10D", "offset": "-P1D",
                                "notify": ["owner"]})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline.offset"
    assert "at" in error.message


def test_both_after_and_at(write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P10D", "at": "due_date",
                                "notify": ["owner"]})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline"


def test_neither_after_nor_at(write_workflow: WriteWorkflow,
                              workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "notify": ["owner"]})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline"


def test_neither_fire_nor_notify(write_workflow: WriteWorkflow,
                                 workflow_data: dict[str, Any]) -> None:
    _with_timer(workflow_data, {"states": ["open"], "after": "P10D"})
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers.deadline"


@pytest.mark.parametrize(("body", "key_path"), [
    ({"states": [], "after": "P1D", "notify": ["owner"]}, "timers.deadline.states"),
    ({"states": ["open", "open"], "after": "P1D", "notify": ["owner"]}, "timers.deadline.states"),
    ({"after": "P1D", "notify": ["owner"]}, "timers.deadline"),
    ({"states": ["open"], "after": "P1D", "notify": []}, "timers.deadline.notify"),
    ({"states": ["open"], "after": "P1D", "notify": ["owner"], "surprise": 1}, "timers.deadline"),
    ({"states": ["open"], "after": "P1D", "fire": {}}, "timers.deadline.fire"),
    ({"states": ["open"], "after": "P1D", "fire": {"event": "expire", "note": ""}},
     "timers.deadline.fire.note"),
])
def test_structural_errors_point_into_the_timer(write_workflow: WriteWorkflow,
                                                workflow_data: dict[str, Any],
                                                body: dict[str, Any], key_path: str) -> None:
    _with_timer(workflow_data, body)
    assert _error(write_workflow(workflow_data)).key_path == key_path


def test_bad_timer_name(write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    workflow_data["timers"] = {"Bad Name": {"states": ["open"], "after": "P1D",
                                            "notify": ["owner"]}}
    error = _error(write_workflow(workflow_data))
    assert error.key_path == "timers"
    assert "Bad Name" in error.message


@pytest.mark.parametrize("duration", ["P1000000000D", "P10000Y", "P101Y"])
def test_huge_duration_is_a_definition_error(write_workflow: WriteWorkflow,
                                             workflow_data: dict[str, Any], duration: str) -> None:
    """Found by this test: isodate's OverflowError escaped without file and key path, and a
    duration it parses (P10000Y) overflowed only when a case entered the state."""
    _with_timer(workflow_data, {"states": ["open"], "after": duration, "notify": ["owner"]})
    assert _error(write_workflow(workflow_data)).key_path == "timers.deadline.after"
