"""The audit replay across an upgrade: each event is replayed on the version in force when it
happened (the opening's, then each upgrade's), and a version the events do not explain is
caught. Events are built in memory: the chain's hashes are checked elsewhere."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from iris_engine.audit.replay import event_versions, row_departures
from iris_engine.errors import WorkflowDefinitionError
from iris_engine.store.models import Case, CaseEvent
from iris_engine.workflow import WorkflowCatalog
from iris_engine.workflow.spec import build_workflow
from tests.unit.conftest import MINIMAL_WORKFLOW

AT = datetime(2026, 12, 1, tzinfo=UTC)


def _v2() -> dict[str, Any]:
    spec = copy.deepcopy(MINIMAL_WORKFLOW)
    spec["version"] = 2
    spec["transitions"].append({"event": "reopen", "from": "review", "to": "open",
                                "roles": ["manager"]})
    return spec


CATALOG = WorkflowCatalog([build_workflow(MINIMAL_WORKFLOW, source="v1.yaml"),
                           build_workflow(_v2(), source="v2.yaml")])


def _event(seq: int, event: str, source: str | None, dest: str, *, role: str = "owner",
           **data: Any) -> CaseEvent:
    return CaseEvent(id=seq, case_id=7, seq=seq, event=event, from_state=source, to_state=dest,
                     actor_role=role, data=data, created_at=AT, prev_hash="", hash=f"h{seq}")


def _upgrade(seq: int, state: str, *, role: str = "system", **data: Any) -> CaseEvent:
    return _event(seq, "upgrade", state, state, role=role,
                  **({"from_version": 1, "to_version": 2} | data))


def _history(*upgrade: CaseEvent) -> list[CaseEvent]:
    """Opened on v1, submitted, (upgraded), reopened: an event only v2 has."""
    events = [_event(1, "open", None, "open", workflow={"name": "sample", "version": 1}),
              _event(2, "submit", "open", "review"), *upgrade]
    events.append(_event(len(events) + 1, "reopen", "review", "open", role="manager"))
    return events


def _case(events: list[CaseEvent], version: int) -> Case:
    last = events[-1]
    return Case(id=7, workflow="sample", workflow_version=version, state=last.to_state,
                revision=last.seq, head_hash=last.hash, created_at=AT, updated_at=AT)


def test_events_after_an_upgrade_replay_on_the_new_version() -> None:
    events = _history(_upgrade(3, "review"))
    case = _case(events, 2)

    specs, problems = event_versions(case, events, CATALOG)

    assert problems == [] and specs is not None
    assert [s.version for s in specs] == [1, 1, 2, 2]
    assert row_departures(case, events, CATALOG) == []


def test_a_version_no_upgrade_explains_is_caught() -> None:
    events = _history()
    assert row_departures(_case(events, 2), events, CATALOG) == [
        "the row says sample v2, but its events leave it on v1 (a version changes only by an "
        "'upgrade' event)",
        "event #3 'reopen' from 'review' is no transition of sample v1"]


def test_an_event_of_the_new_version_before_the_upgrade_is_caught() -> None:
    events = _history()
    events.append(_upgrade(4, "open"))
    assert row_departures(_case(events, 2), events, CATALOG) == [
        "event #3 'reopen' from 'review' is no transition of sample v1"]


@pytest.mark.parametrize(("upgrade", "says"), [
    (_upgrade(3, "review", from_version=2),
     "event #3 'upgrade' says the case left v2, but it ran on v1"),
    (_upgrade(3, "review", to_version=1),
     "event #3 'upgrade' moves the case from v1 to v1: only to a later version"),
    (_upgrade(3, "review", role="manager"),
     "event #3 'upgrade' was made by 'manager': only the system moves a case"),
    (_upgrade(3, "review", to_version=3),
     "no workflow 'sample' version 3 exists to replay its event #3 on"),
], ids=["from-another-version", "backwards", "not-the-system", "unknown-version"])
def test_a_malformed_upgrade_is_caught(upgrade: CaseEvent, says: str) -> None:
    events = _history(upgrade)
    assert says in row_departures(_case(events, 2), events, CATALOG)


def test_an_upgrade_that_changes_the_state_is_caught() -> None:
    events = _history(_event(3, "upgrade", "review", "open", role="system", from_version=1,
                             to_version=2))
    assert ("event #3 'upgrade' changes the state ('review' -> 'open')"
            in row_departures(_case(events, 2), events, CATALOG))


@pytest.mark.parametrize("event", ["open", "upgrade"])
def test_a_workflow_may_not_name_an_event_the_engine_records(event: str) -> None:
    spec = copy.deepcopy(MINIMAL_WORKFLOW)
    spec["transitions"][0]["event"] = event
    with pytest.raises(WorkflowDefinitionError) as caught:
        build_workflow(spec, source="sample.yaml")
    assert caught.value.key_path == "transitions[0].event"
    assert "the engine records itself" in caught.value.message
