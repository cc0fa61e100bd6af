"""Timers whose duration depends on a field of the case (``after: {by: severity, ...}``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from iris_engine.cases import TransitionContext
from iris_engine.errors import WorkflowDefinitionError
from iris_engine.timers.book import DeadlineUndefined, TimerBook
from iris_engine.workflow import (
    Actor,
    HookRegistry,
    TimerSpec,
    TransitionInput,
    WorkflowMachine,
    WorkflowSpec,
    load_workflow_file,
)

WriteWorkflow = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def grievance() -> WorkflowSpec:
    return load_workflow_file(REPO / "workflows" / "grievance.yaml")


# -- the bundled grievance workflow (deadlines of DOMAIN.md) ------------------------------
@pytest.mark.parametrize(("timer", "state", "durations"), [
    ("acknowledge_due", "received", {"high": 24, "medium": 48, "low": 5 * 24}),
    ("consultation_due", "acknowledged", {"high": 24, "medium": 4 * 24, "low": 8 * 24}),
    ("investigation_due", "triaged", {"high": 2 * 24, "medium": 10 * 24, "low": 15 * 24}),
])
def test_grievance_deadlines_by_severity(grievance: WorkflowSpec, timer: str, state: str,
                                         durations: dict[str, int]) -> None:
    """Each stage's time frame is set per severity, in hours, as DOMAIN.md publishes them."""
    spec = grievance.timers[timer]
    assert spec.states == frozenset({state})
    assert spec.after is None and spec.anchor is None
    assert spec.after_by == "severity"
    assert dict(spec.after_by_value) == {k: timedelta(hours=h) for k, h in durations.items()}
    assert spec.event == "escalate"


def test_fixed_timers_have_no_field(grievance: WorkflowSpec) -> None:
    """A plain ``after`` duration leaves the by-field parts empty."""
    appeal = grievance.timers["appeal_review_due"]
    assert appeal.after == timedelta(days=14)
    assert appeal.after_by is None and dict(appeal.after_by_value) == {}


# -- definition errors --------------------------------------------------------------------
def _load(write_workflow: WriteWorkflow, workflow_data: dict[str, Any], after: Any) -> TimerSpec:
    workflow_data["timers"] = {"deadline": {"states": ["open"], "after": after,
                                            "notify": ["owner"]}}
    return load_workflow_file(write_workflow(workflow_data)).timers["deadline"]


def _error(write_workflow: WriteWorkflow, workflow_data: dict[str, Any],
           after: Any) -> WorkflowDefinitionError:
    with pytest.raises(WorkflowDefinitionError) as caught:
        _load(write_workflow, workflow_data, after)
    assert caught.value.key_path in caught.value.detail
    assert caught.value.file in caught.value.detail
    return caught.value


def test_a_partial_mapping_loads(write_workflow: WriteWorkflow,
                                 workflow_data: dict[str, Any]) -> None:
    """Any identifier field and any set of values; durations may be calendar ones."""
    timer = _load(write_workflow, workflow_data, {"by": "tier", "one": "PT6H", "two": "P1W"})
    assert timer.after_by == "tier"
    assert dict(timer.after_by_value) == {"one": timedelta(hours=6), "two": timedelta(weeks=1)}


@pytest.mark.parametrize(("after", "key_path"), [
    ({"by": "severity", "high": "PT24H", "low": "5 days"}, "timers.deadline.after.low"),
    ({"by": "severity", "high": "P", "low": "P5D"}, "timers.deadline.after.high"),
    ({"by": "severity", "high": "-P1D"}, "timers.deadline.after.high"),
    ({"by": "Severity", "high": "PT24H"}, "timers.deadline.after.by"),
    ({"by": "the severity", "high": "PT24H"}, "timers.deadline.after.by"),
])
def test_a_bad_entry_is_named_by_its_key(write_workflow: WriteWorkflow,
                                         workflow_data: dict[str, Any], after: dict[str, str],
                                         key_path: str) -> None:
    """Found by this test: the schema's oneOf reported only ``...after`` and "is not valid
    under any of the given schemas", not which entry of the mapping is wrong."""
    assert _error(write_workflow, workflow_data, after).key_path == key_path


@pytest.mark.parametrize("after", [
    {"by": "severity"},  # no values
    {"high": "PT24H", "low": "P5D"},  # no field
    {"by": 3, "high": "PT24H"},
    {"by": "severity", "high": 24},
])
def test_a_malformed_mapping_points_at_after(write_workflow: WriteWorkflow,
                                             workflow_data: dict[str, Any],
                                             after: dict[str, Any]) -> None:
    """Structural defects of the mapping are reported at (or under) its key."""
    assert _error(write_workflow, workflow_data, after).key_path.startswith("timers.deadline.after")


def test_an_overlong_duration_in_the_mapping(write_workflow: WriteWorkflow,
                                             workflow_data: dict[str, Any]) -> None:
    """A duration that would overflow at run time is refused at load, under its key."""
    error = _error(write_workflow, workflow_data, {"by": "severity", "high": "P1D",
                                                   "low": "P10000Y"})
    assert error.key_path == "timers.deadline.after.low"


# -- TimerBook.deadline -------------------------------------------------------------------
def _ctx(detail: Any, session: Any = None) -> TransitionContext:
    return TransitionContext(case=SimpleNamespace(id=7), detail=detail,
                             actor=Actor(user_id=None, role="system"),
                             request=TransitionInput(event="open", expected_revision=0),
                             source="", dest="received", now=NOW, session=session,
                             workflow_settings={})


@pytest.mark.parametrize(("severity", "hours"), [("high", 24), ("medium", 48), ("low", 120)])
async def test_deadline_by_the_detail(grievance: WorkflowSpec, severity: str,
                                      hours: int) -> None:
    """The detail's field picks the duration, counted from now."""
    due = await TimerBook(HookRegistry()).deadline(_ctx(SimpleNamespace(severity=severity)),
                                                   grievance.timers["acknowledge_due"])
    assert due == NOW + timedelta(hours=hours)


@pytest.mark.parametrize("detail", [SimpleNamespace(severity="urgent"),
                                    SimpleNamespace(severity=None), SimpleNamespace(), None])
async def test_unknown_value_is_refused(grievance: WorkflowSpec, detail: Any) -> None:
    """A value outside the mapping never leaves a deadline silently unset."""
    with pytest.raises(DeadlineUndefined, match="acknowledge_due") as caught:
        await TimerBook(HookRegistry()).deadline(_ctx(detail), grievance.timers["acknowledge_due"])
    assert "severity=" in caught.value.detail and "high" in caught.value.detail


class _Session:
    """Just what TimerBook.on_transition uses of a session."""

    def __init__(self) -> None:
        self.added: list[dict[str, Any]] = []  # the timer rows inserted
        self.info: dict[str, Any] = {}  # no Database: ``run_in`` goes through ``execute``

    async def execute(self, statement: Any,
                      rows: list[dict[str, Any]] | dict[str, Any] | None = None) -> Any:
        if rows is not None:
            self.added.extend(rows if isinstance(rows, list) else [rows])
        return SimpleNamespace(returns_rows=False)


async def test_opening_a_grievance_books_its_acknowledgement(grievance: WorkflowSpec) -> None:
    """Entering ``received`` starts acknowledge_due at the severity's deadline."""
    session = _Session()
    started = await TimerBook(HookRegistry()).on_transition(
        _ctx(SimpleNamespace(severity="medium"), session), grievance, None, "received")
    assert [(d.spec.name, d.due_at) for d in started] == [
        ("acknowledge_due", NOW + timedelta(hours=48))]
    assert [(t["name"], t["kind"], t["due_at"]) for t in session.added] == [
        ("acknowledge_due", "deadline", NOW + timedelta(hours=48))]


# -- transitions without `to` -------------------------------------------------------------
@pytest.mark.parametrize("name", ["grievance", "referral", "accreditation"])
def test_transitions_without_to_keep_the_state(name: str) -> None:
    """An event with no destination is recorded but leaves the case where it is."""
    spec = load_workflow_file(REPO / "workflows" / f"{name}.yaml")
    machine = WorkflowMachine(spec)
    for transition in spec.transitions:
        for source in transition.sources:
            assert machine.can_fire(source, transition.event)
            after = machine.fire(source, transition.event)
            assert after == (source if transition.dest is None else transition.dest)
