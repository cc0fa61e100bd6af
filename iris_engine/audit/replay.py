"""Replaying a case's chain to its row: the row must say what its events say.

The chain proves the events were not altered; the row is what the service acts on (its state
decides what may fire, its assignee who may see it). A row changed behind the engine's back
(a state set by hand, a head rewound with the events it stood for) no longer follows from
its events, and this says where.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from iris_engine.cases.engine import OPENED_ON
from iris_engine.errors import NotFound
from iris_engine.store.models import Case, CaseEvent
from iris_engine.workflow import WorkflowCatalog, WorkflowSpec
from iris_engine.workflow.history import entering_index

__all__ = ["row_departures"]


def _spec(case: Case, catalog: WorkflowCatalog) -> WorkflowSpec | None:
    try:
        return catalog.machine(case.workflow, case.workflow_version).spec
    except NotFound:
        return None


def _opening(case: Case, first: CaseEvent, spec: WorkflowSpec) -> list[str]:
    if (first.seq, first.event, first.from_state) != (1, "open", None):
        return [f"its first event is #{first.seq} {first.event!r}, not the opening"]
    problems = []
    if first.to_state != spec.initial:
        problems.append(f"it opened in state {first.to_state!r}; {spec.name} "
                        f"v{spec.version} opens in {spec.initial!r}")
    opened_on = first.data.get(OPENED_ON)
    # cases opened before the opening recorded its workflow have only the replay to go by
    if opened_on is not None and opened_on != {"name": case.workflow,
                                               "version": case.workflow_version}:
        problems.append(f"the row says {case.workflow} v{case.workflow_version}; its opening "
                        f"event says {opened_on}")
    return problems


def _transitions(events: Sequence[CaseEvent], spec: WorkflowSpec) -> list[str]:
    """Each event after the opening must be a transition of the case's workflow version, from
    the state the one before left."""
    for k, (before, event) in enumerate(pairwise(events), start=1):
        if event.from_state != before.to_state:
            return [f"event #{event.seq} {event.event!r} starts from {event.from_state!r}, but "
                    f"event #{before.seq} left the case in {before.to_state!r}"]
        transition = spec.transition(event.event, event.from_state or "")
        if transition is None:
            return [f"event #{event.seq} {event.event!r} from {event.from_state!r} is no "
                    f"transition of {spec.name} v{spec.version}"]
        expected = (_state_before(events[:k], transition.back_from, spec)
                    if transition.back_from else transition.dest or event.from_state)
        if expected != event.to_state:
            return [f"event #{event.seq} {event.event!r} leads to "
                    f"{expected!r}, not {event.to_state!r}"]
    return []


def _state_before(events: Sequence[CaseEvent], states: frozenset[str],
                  spec: WorkflowSpec) -> str | None:
    """Where the case was before its stay in ``states`` began (what a ``to: {back_from:
    [...]}`` transition returns to)."""
    found = entering_index(events, states, spec)
    return events[found].from_state if found is not None else None


def _assignee(events: Sequence[CaseEvent]) -> int | None:
    """Who holds the case by its events: the opening's ``assignee_id``, then each change the
    engine recorded in a transition's outcome."""
    assignee = events[0].data.get("assignee_id")
    for event in events[1:]:
        outcome = event.data.get("outcome")
        if isinstance(outcome, dict) and "assignee_id" in outcome:
            assignee = outcome["assignee_id"]
    return assignee if isinstance(assignee, int) else None


def row_departures(case: Case, events: Sequence[CaseEvent],
                   catalog: WorkflowCatalog) -> list[str]:
    """Where the case row departs from what its events say (its chain is checked apart)."""
    if not events:
        return ["it has no events: every case starts with its opening event, so its history "
                "was removed"]
    last = events[-1]
    problems = []
    if case.head_hash != last.hash:
        problems.append("the case's head hash is not its last event's hash (events removed or "
                        "the head altered)")
    if case.revision != last.seq:
        problems.append(f"its revision is {case.revision}, but its last event is #{last.seq}")
    if case.state != last.to_state:
        problems.append(f"its state is {case.state!r}, but its last event "
                        f"(#{last.seq} {last.event!r}) left it in {last.to_state!r}")
    assignee = _assignee(events)
    if case.assignee_id != assignee:
        problems.append(f"it is assigned to user {case.assignee_id}, but its events assign it "
                        f"to {assignee if assignee is not None else 'nobody'}")
    spec = _spec(case, catalog)
    if spec is None:
        problems.append(f"no workflow {case.workflow!r} version {case.workflow_version} exists "
                        "to replay its events on")
        return problems
    return problems + _opening(case, events[0], spec) + _transitions(events, spec)
