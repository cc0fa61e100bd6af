"""Replaying a case's chain to its row: the row must say what its events say.

The chain proves the events were not altered; the row is what the service acts on (its state
decides what may fire, its assignee who may see it). A row changed behind the engine's back
(a state set by hand, a head rewound with the events it stood for, a workflow version changed
without an upgrade) no longer follows from its events, and this says where.

A case runs on the version its opening records until an ``upgrade`` event moves it on
(``iris_engine.cases.upgrade``): each event is replayed on the version in force when it
happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from iris_engine.cases.engine import OPENED_ON
from iris_engine.errors import NotFound
from iris_engine.store.models import Case, CaseEvent
from iris_engine.workflow import WorkflowCatalog, WorkflowSpec
from iris_engine.workflow.history import entering_index
from iris_engine.workflow.spec import SYSTEM_ROLE, UPGRADE_EVENT

__all__ = ["event_versions", "row_departures"]


def _opened_version(case: Case, events: Sequence[CaseEvent]) -> int:
    """The version a case opened on: its opening's record, or for a case opened before the
    opening recorded it, the version its first upgrade left (or else the row's)."""
    opened_on = events[0].data.get(OPENED_ON)
    if isinstance(opened_on, dict) and isinstance(opened_on.get("version"), int):
        return int(opened_on["version"])
    upgrade = next((e for e in events[1:] if e.event == UPGRADE_EVENT), None)
    if upgrade is not None and isinstance(upgrade.data.get("from_version"), int):
        return int(upgrade.data["from_version"])
    return case.workflow_version


def _upgrade_defect(event: CaseEvent, version: int) -> str | None:
    """What is wrong with an upgrade event that finds the case on ``version``, if anything."""
    moved_from, moved_to = event.data.get("from_version"), event.data.get("to_version")
    where = f"event #{event.seq} {UPGRADE_EVENT!r}"
    if moved_from != version:
        return f"{where} says the case left v{moved_from}, but it ran on v{version}"
    if not isinstance(moved_to, int) or moved_to <= version:
        return f"{where} moves the case from v{version} to v{moved_to}: only to a later version"
    if event.from_state != event.to_state:
        return f"{where} changes the state ({event.from_state!r} -> {event.to_state!r})"
    if event.actor_role != SYSTEM_ROLE:
        return f"{where} was made by {event.actor_role!r}: only the system moves a case"
    return None


def event_versions(case: Case, events: Sequence[CaseEvent],
                   catalog: WorkflowCatalog) -> tuple[list[WorkflowSpec] | None, list[str]]:
    """The workflow version each event ran on (the opening's, then each upgrade's target),
    and what in the chain or the row contradicts it. No list when some version is unknown
    or an upgrade is malformed (the problems say which)."""
    if not events:
        return None, []
    version = _opened_version(case, events)
    specs: list[WorkflowSpec] = []
    for event in events:
        if event.event == UPGRADE_EVENT and event.seq != 1:
            defect = _upgrade_defect(event, version)
            if defect is not None:
                return None, [defect]
            version = int(event.data["to_version"])
        try:
            spec = catalog.machine(case.workflow, version).spec
        except NotFound:
            return None, [f"no workflow {case.workflow!r} version {version} exists to replay "
                          f"its event #{event.seq} on"]
        if event.event == UPGRADE_EVENT and event.to_state not in spec.states:
            return None, [f"event #{event.seq} {UPGRADE_EVENT!r} moved the case to v{version}, "
                          f"which has no state {event.to_state!r}"]
        specs.append(spec)
    if version != case.workflow_version:
        return specs, [f"the row says {case.workflow} v{case.workflow_version}, but its events "
                       f"leave it on v{version} (a version changes only by an "
                       f"{UPGRADE_EVENT!r} event)"]
    return specs, []


def _opening(case: Case, first: CaseEvent, spec: WorkflowSpec) -> list[str]:
    if (first.seq, first.event, first.from_state) != (1, "open", None):
        return [f"its first event is #{first.seq} {first.event!r}, not the opening"]
    problems = []
    if first.to_state != spec.initial:
        problems.append(f"it opened in state {first.to_state!r}; {spec.name} "
                        f"v{spec.version} opens in {spec.initial!r}")
    opened_on = first.data.get(OPENED_ON)
    # cases opened before the opening recorded its workflow have only the replay to go by
    # (its version is where the replay starts: ``event_versions`` holds the row to the last)
    if opened_on is not None and opened_on != {"name": case.workflow, "version": spec.version}:
        problems.append(f"the row says {case.workflow} v{case.workflow_version}; its opening "
                        f"event says {opened_on}")
    return problems


def _transitions(events: Sequence[CaseEvent], specs: Sequence[WorkflowSpec]) -> list[str]:
    """Each event after the opening must be a transition of the workflow version in force,
    from the state the one before left (an upgrade keeps the state: checked above)."""
    for k, ((before, event), spec) in enumerate(zip(pairwise(events), specs[1:], strict=True),
                                                start=1):
        if event.from_state != before.to_state:
            return [f"event #{event.seq} {event.event!r} starts from {event.from_state!r}, but "
                    f"event #{before.seq} left the case in {before.to_state!r}"]
        if event.event == UPGRADE_EVENT:
            continue
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
    specs, version_problems = event_versions(case, events, catalog)
    problems += version_problems
    if specs is None:
        return problems
    return problems + _opening(case, events[0], specs[0]) + _transitions(events, specs)
