"""The public roster rebuilt from the accreditation events, for ``iris audit verify``.

``roster.publish`` writes an entry in the transaction of each transition whose effects include
``sync_roster``; the events of those transitions say everything it wrote that the public
relies on: the certificate (``assign_lrn``'s outcome), the status (the state reached) and the
change-feed number. Replaying them gives the roster as it must be; a status set by hand, an
entry added for a recruiter never accredited, or a change dropped from the feed shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.accreditation.roster import PUBLIC_STATUS
from iris_engine.roster.models import RosterChange, RosterEntry
from iris_engine.store.models import Case, CaseEvent
from iris_engine.workflow import WorkflowSpec

__all__ = ["RosterReplay"]

#: the effects (workflows/accreditation.yaml) whose results the roster shows
ASSIGN_LRN = "assign_lrn"
SYNC_ROSTER = "sync_roster"


def _day(moment: datetime) -> date:
    """The UTC date of an event's time (the day the engine's clock said)."""
    return (moment.astimezone(UTC) if moment.tzinfo is not None else moment).date()


@dataclass(slots=True)
class _Entry:
    """An entry as a case's events make it."""

    case_id: int
    lrn: str | None = None
    accredited_on: date | None = None
    valid_until: date | None = None
    status: str | None = None
    status_since: date | None = None


@dataclass(frozen=True, slots=True)
class _Change:
    case_id: int
    event_seq: int
    lrn: str | None
    status: str
    previous_status: str | None


class RosterReplay:
    name = "roster"

    def __init__(self, workflow: str) -> None:
        self.workflows = frozenset({workflow})
        self._entries: dict[int, _Entry] = {}
        self._changes: dict[int, _Change] = {}
        self._problems: list[str] = []

    def replay(self, case: Case, events: Sequence[CaseEvent],
               specs: Sequence[WorkflowSpec]) -> None:
        entry = _Entry(case.id or 0)
        for event, spec in zip(events[1:], specs[1:], strict=True):
            transition = spec.transition(event.event, event.from_state or "")
            if transition is None:  # the case row's replay reports it
                continue
            outcome: Any = event.data.get("outcome") or {}
            if ASSIGN_LRN in transition.effects:
                try:
                    entry.lrn = str(outcome["lrn"])
                    entry.valid_until = date.fromisoformat(outcome["valid_until"])
                except (KeyError, TypeError, ValueError):
                    self._problems.append(f"case {case.id}, event #{event.seq}: its outcome "
                                          "does not hold the certificate it assigned")
                entry.accredited_on = _day(event.created_at)
            if SYNC_ROSTER in transition.effects and event.to_state in PUBLIC_STATUS:
                status = PUBLIC_STATUS[event.to_state]
                if status != entry.status:
                    entry.status_since = _day(event.created_at)
                if isinstance(outcome, dict) and "roster_change" in outcome:
                    self._changes[int(outcome["roster_change"])] = _Change(
                        case.id or 0, event.seq, entry.lrn, status, entry.status)
                entry.status = status
        if entry.status is not None:
            self._entries[entry.case_id] = entry

    async def differences(self, session: AsyncSession) -> list[str]:
        problems = list(self._problems)
        rows = (await session.scalars(select(RosterEntry).order_by(col(RosterEntry.lrn)))).all()
        expected = dict(self._entries)
        for row in rows:
            entry = expected.pop(row.case_id, None)
            if entry is None:
                problems.append(f"entry {row.lrn} (case {row.case_id}, {row.status}) follows "
                                "from no accreditation event: it was added behind the engine")
                continue
            for name in ("lrn", "status", "status_since", "accredited_on", "valid_until"):
                stored, replayed = getattr(row, name), getattr(entry, name)
                if stored != replayed:
                    problems.append(f"entry {row.lrn} (case {row.case_id}): {name} is "
                                    f"{_show(stored)}, but the case's events make it "
                                    f"{_show(replayed)}")
        for entry in expected.values():
            problems.append(f"case {entry.case_id}'s events put {entry.lrn} on it as "
                            f"{entry.status}, but it has no entry for it (removed)")
        claimed = dict(self._changes)
        for change in (await session.scalars(
                select(RosterChange).order_by(col(RosterChange.seq)))).all():
            made = claimed.pop(change.seq, None)
            if made is None:
                problems.append(f"change-feed entry {change.seq} ({change.lrn} -> "
                                f"{change.status}) was made by no accreditation event")
            elif (made.lrn, made.status, made.previous_status) != (
                    change.lrn, change.status, change.previous_status):
                problems.append(
                    f"change-feed entry {change.seq} says {change.lrn} went from "
                    f"{_show(change.previous_status)} to {change.status}; event #{made.event_seq} "
                    f"of case {made.case_id} says {made.lrn} went from "
                    f"{_show(made.previous_status)} to {made.status}")
        for seq, made in sorted(claimed.items()):
            problems.append(f"change-feed entry {seq} ({made.lrn} -> {made.status}, event "
                            f"#{made.event_seq} of case {made.case_id}) is missing")
        return problems


def _show(value: object) -> str:
    if value is None:
        return "nothing"
    return value.isoformat() if isinstance(value, date) else repr(value)
