"""The public roster rebuilt from the accreditation events, for ``iris audit verify``.

``roster.publish`` writes an entry in the transaction of each transition whose effects include
``sync_roster``; the events of those transitions say everything it wrote that the public
relies on: the certificate (``assign_lrn``'s outcome, or ``extend_validity``'s), the status
(the state reached) and whether the public status changed (``roster_status`` in the outcome).
A change-feed row names the event that made it (``case_id``, ``event_seq``; rows made before
migration 0016 are named by their event's ``roster_change``, the row's ``seq``). Replaying
them gives the roster as it must be; a status set by hand, an entry added for a recruiter
never accredited, or a change dropped from the feed shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.accreditation.roster import PUBLIC_STATUS, UNDER_APPEAL
from iris_engine.roster.models import RosterChange, RosterEntry
from iris_engine.store.models import Case, CaseEvent
from iris_engine.workflow import WorkflowSpec

__all__ = ["RosterReplay"]

#: the effects (workflows/accreditation.yaml) whose results the roster shows
ASSIGN_LRN = "assign_lrn"
EXTEND_VALIDITY = "extend_validity"
SYNC_ROSTER = "sync_roster"


def _day(moment: datetime) -> date:
    """The UTC date of an event's time (the day the engine's clock said)."""
    return (moment.astimezone(UTC) if moment.tzinfo is not None else moment).date()


@dataclass(slots=True)
class _Entry:
    """An organisation's entry (its one LRN) as the events of its cases make it."""

    lrn: str
    case_id: int = 0
    accredited_on: date | None = None
    valid_until: date | None = None
    status: str | None = None
    status_since: date | None = None
    under_appeal: bool = False


@dataclass(frozen=True, slots=True)
class _Step:
    """What one event did to the roster: a certificate (``accredited_on`` set when one was
    granted, else extended), then a status published (``status``), in that order."""

    at: datetime
    case_id: int
    event_seq: int
    lrn: str
    valid_until: date | None = None
    accredited_on: date | None = None
    status: str | None = None
    under_appeal: bool = False
    #: the change-feed row the event made: its event (case id, event seq), or its ``seq``
    #: for an event before migration 0016; None when the public status did not change
    change: tuple[int, int] | int | None = None

    @property
    def order(self) -> tuple[int, int]:
        """An organisation's cases follow each other (a new one opens only once the last is
        final, so a later case has a larger id): by case, then by event. Not by the events'
        times, which a clock set back (the demo's past) could misorder."""
        return (self.case_id, self.event_seq)


@dataclass(frozen=True, slots=True)
class _Change:
    case_id: int
    event_seq: int
    lrn: str | None
    status: str
    previous_status: str | None
    under_appeal: bool


class RosterReplay:
    """One entry per LRN: the steps of every case that carries it are taken in the order
    they happened (``_Step.order``: a renewal and a restoration inside one case, a new
    application after a withdrawal in the next), and the change feed's previous status runs
    across them."""

    name = "roster"

    def __init__(self, workflow: str) -> None:
        self.workflows = frozenset({workflow})
        self._steps: list[_Step] = []
        self._problems: list[str] = []

    def replay(self, case: Case, events: Sequence[CaseEvent],
               specs: Sequence[WorkflowSpec]) -> None:
        case_id, lrn = case.id or 0, None
        for event, spec in zip(events[1:], specs[1:], strict=True):
            transition = spec.transition(event.event, event.from_state or "")
            if transition is None:  # the case row's replay reports it
                continue
            outcome: Any = event.data.get("outcome") or {}
            certificate = {}
            granted = ASSIGN_LRN in transition.effects
            if granted or EXTEND_VALIDITY in transition.effects:
                try:
                    lrn = str(outcome["lrn"])
                    certificate["valid_until"] = date.fromisoformat(outcome["valid_until"])
                except (KeyError, TypeError, ValueError):
                    self._problems.append(f"case {case.id}, event #{event.seq}: its outcome "
                                          "does not hold the certificate it assigned")
                if granted:
                    certificate["accredited_on"] = _day(event.created_at)
            status, under_appeal = None, False
            change: tuple[int, int] | int | None = None
            if SYNC_ROSTER in transition.effects and event.to_state in PUBLIC_STATUS:
                status = PUBLIC_STATUS[event.to_state]
                under_appeal = event.to_state in UNDER_APPEAL
                if isinstance(outcome, dict) and "roster_change" in outcome:
                    change = int(outcome["roster_change"])
                elif isinstance(outcome, dict) and "roster_status" in outcome:
                    change = (case_id, event.seq)
            if lrn is None or not (certificate or status):
                continue
            self._steps.append(_Step(event.created_at, case_id, event.seq, lrn, status=status,
                                     under_appeal=under_appeal, change=change,
                                     **certificate))

    def _entries(self) -> tuple[dict[str, _Entry], dict[tuple[int, int] | int, _Change]]:
        entries: dict[str, _Entry] = {}
        changes: dict[tuple[int, int] | int, _Change] = {}
        for step in sorted(self._steps, key=lambda s: s.order):
            entry = entries.setdefault(step.lrn, _Entry(step.lrn))
            if step.valid_until is not None:
                entry.valid_until = step.valid_until
            if step.accredited_on is not None:
                entry.accredited_on = step.accredited_on
            if step.status is None:
                continue
            if step.status != entry.status:
                entry.status_since = _day(step.at)
            if step.change is not None:
                changes[step.change] = _Change(step.case_id, step.event_seq, step.lrn,
                                                   step.status, entry.status, step.under_appeal)
            entry.status, entry.case_id = step.status, step.case_id
            entry.under_appeal = step.under_appeal
        return {lrn: e for lrn, e in entries.items() if e.status is not None}, changes

    async def differences(self, session: AsyncSession) -> list[str]:
        problems = list(self._problems)
        expected, claimed = self._entries()
        rows = (await session.scalars(select(RosterEntry).order_by(col(RosterEntry.lrn)))).all()
        for row in rows:
            entry = expected.pop(row.lrn, None)
            if entry is None:
                problems.append(f"entry {row.lrn} (case {row.case_id}, {row.status}) follows "
                                "from no accreditation event: it was added behind the engine")
                continue
            for name in ("case_id", "status", "under_appeal", "status_since", "accredited_on",
                         "valid_until"):
                stored, replayed = getattr(row, name), getattr(entry, name)
                if stored != replayed:
                    problems.append(f"entry {row.lrn} (case {row.case_id}): {name} is "
                                    f"{_show(stored)}, but the case's events make it "
                                    f"{_show(replayed)}")
        for entry in expected.values():
            problems.append(f"case {entry.case_id}'s events put {entry.lrn} on it as "
                            f"{entry.status}, but it has no entry for it (removed)")
        for change in (await session.scalars(
                select(RosterChange).order_by(col(RosterChange.seq)))).all():
            key = (change.seq if change.event_seq is None
                   else (change.case_id or 0, change.event_seq))
            made = claimed.pop(key, None)
            if made is None:
                problems.append(f"change-feed entry {change.seq} ({change.lrn} -> "
                                f"{change.status}) was made by no accreditation event")
            elif (made.lrn, made.status, made.previous_status, made.under_appeal) != (
                    change.lrn, change.status, change.previous_status, change.under_appeal):
                problems.append(
                    f"change-feed entry {change.seq} says {change.lrn} went from "
                    f"{_show(change.previous_status)} to {_status(change.status, change.under_appeal)}; "
                    f"event #{made.event_seq} of case {made.case_id} says {made.lrn} went from "
                    f"{_show(made.previous_status)} to {_status(made.status, made.under_appeal)}")
        for key, made in sorted(claimed.items(), key=lambda item: (item[1].case_id,
                                                                   item[1].event_seq)):
            number = f"{key} " if isinstance(key, int) else ""  # before migration 0016
            problems.append(f"change-feed entry {number}({made.lrn} -> {made.status}, event "
                            f"#{made.event_seq} of case {made.case_id}) is missing")
        return problems


def _status(status: str, under_appeal: bool) -> str:
    return f"{status} (under appeal)" if under_appeal else status


def _show(value: object) -> str:
    if value is None:
        return "nothing"
    return value.isoformat() if isinstance(value, date) else repr(value)
