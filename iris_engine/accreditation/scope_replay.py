"""The roster's corridors and sectors rebuilt from the accreditation events, for
``iris audit verify``.

The scope on the roster follows from the events' inputs alone, never from a table: the scope
is what the last ``store_scope`` event (``update_scope``) stated, grown by each extension
asked for (``record_scope_extension``) and granted (``grant_scope_extension``), and cleared of
one refused (``drop_scope_extension``); an event with ``publish_scope`` (``accredit``,
``extend_scope``) puts the scope as it then stands on the roster under the case's LRN. The
latest such event for an LRN is what its rows must say, whichever case wrote it. So a corridor
added to the roster by hand, or a sector granted without an event, shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.accreditation import scope as scopes
from iris_engine.roster.models import RosterCorridor, RosterSector
from iris_engine.store.models import Case, CaseEvent
from iris_engine.workflow import WorkflowSpec

__all__ = ["RosterScopeReplay"]

#: the effects (workflows/accreditation.yaml) that state, grow and publish the scope
STORE, REQUEST, GRANT, DROP = ("store_scope", "record_scope_extension", "grant_scope_extension",
                               "drop_scope_extension")
PUBLISH, ASSIGN_LRN = "publish_scope", "assign_lrn"


@dataclass(frozen=True, slots=True)
class _Published:
    at: tuple[int, int]  # (case id, event number): the latest wins
    scope: scopes.Scope


class RosterScopeReplay:
    name = "roster scope"

    def __init__(self, workflow: str) -> None:
        self.workflows = frozenset({workflow})
        self._published: dict[str, _Published] = {}

    def replay(self, case: Case, events: Sequence[CaseEvent],
               specs: Sequence[WorkflowSpec]) -> None:
        scope, extension, lrn = scopes.EMPTY, None, None
        for event, spec in zip(events[1:], specs[1:], strict=True):
            transition = spec.transition(event.event, event.from_state or "")
            if transition is None:  # the case row's replay reports it
                continue
            effects = set(transition.effects)
            if STORE in effects:
                scope = scopes.of(event.data)
            if REQUEST in effects:
                extension = scopes.of(event.data)
            if GRANT in effects:
                scope, extension = scopes.extended(scope, extension), None
            if DROP in effects:
                extension = None
            outcome = event.data.get("outcome")
            if ASSIGN_LRN in effects and isinstance(outcome, dict) and outcome.get("lrn"):
                lrn = str(outcome["lrn"])  # RosterReplay reports an outcome without one
            if PUBLISH in effects and lrn is not None:
                # an LRN's later case has the higher id; a clock set back (the demo's seeder)
                # must not reorder them, so event times are no order here
                at = (case.id or 0, event.seq)
                known = self._published.get(lrn)
                if known is None or known.at < at:
                    self._published[lrn] = _Published(at, scope)

    async def differences(self, session: AsyncSession) -> list[str]:
        stored: dict[str, scopes.Scope] = {}
        for lrn, origin, destination in (await session.execute(select(
                col(RosterCorridor.lrn), col(RosterCorridor.origin), col(RosterCorridor.destination)))).all():
            stored.setdefault(lrn, scopes.canonical())["corridors"].append(
                {"origin": origin, "destination": destination})
        sectors = select(col(RosterSector.lrn), col(RosterSector.sector))
        for lrn, sector in (await session.execute(sectors)).all():
            stored.setdefault(lrn, scopes.canonical())["sectors"].append(sector)
        problems = []
        for lrn in sorted(set(stored) | set(self._published)):
            found = stored.get(lrn, scopes.EMPTY)
            found = scopes.canonical(found["corridors"], found["sectors"])
            published = self._published.get(lrn)
            expected = published.scope if published is not None else scopes.EMPTY
            if found != expected:
                source = (f"event #{published.at[1]} of case {published.at[0]}" if published
                          else "no accreditation event")
                problems.append(f"entry {lrn}: the roster shows the scope {scopes.show(found)}, "
                                f"but {source} makes it {scopes.show(expected)}")
        return problems
