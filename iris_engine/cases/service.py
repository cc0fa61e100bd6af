"""What every domain's case service does the same way: list the cases a caller may see, read
what may fire and the audit trail, fire an event. A domain adds its views and its own acts."""

from __future__ import annotations

import builtins  # CaseService.list shadows ``list`` in the class body
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases.access import Principal
from iris_engine.cases.audit import BrokenLink, case_chain_break
from iris_engine.cases.engine import CaseEngine, OneRowDetail, TransitionOutcome
from iris_engine.cases.schemas import AvailableTransition, CaseEventView, TransitionRequest
from iris_engine.cases.views import available, event_view, history
from iris_engine.errors import Forbidden
from iris_engine.store.db import Database
from iris_engine.store.models import MAX_ID, Case, Organisation, Timer
from iris_engine.timers.store import LIVE
from iris_engine.workflow import TransitionInput
from iris_engine.workflow.hooks import DetailLoader
from iris_engine.workflow.spec import SYSTEM_ROLE

__all__ = ["CaseService", "Waiting", "one_row_detail"]


@dataclass(frozen=True, slots=True)
class Waiting:
    """A case that waits for the caller, as its list shows it, and its next deadline."""

    view: Any
    #: the soonest pending deadline of the case (None: it has none)
    due_at: datetime | None


def one_row_detail(model: Any) -> DetailLoader:
    """The detail loader of a workflow whose detail is one row keyed by the case id."""
    return OneRowDetail(model)


class CaseService:
    """A workflow's cases as its users see them. A domain subclasses it, names the workflow and
    its detail table, and writes ``view``; list, get and fire then serve the generated case
    endpoints (``iris_engine.cases.http``)."""

    workflow: ClassVar[str]
    #: the case's one-row detail table, joined into lists (one query a page)
    detail_model: ClassVar[Any] = None
    #: what the caller is told when no role of theirs reaches this workflow
    no_access: ClassVar[str] = "your role does not give access to these cases"
    #: the detail's columns a staff search matches exactly (as typed, and in capitals): a
    #: reference, a registration number
    search_columns: ClassVar[tuple[str, ...]] = ()

    def __init__(self, db: Database, engine: CaseEngine) -> None:
        self.db = db
        self.engine = engine

    async def visible_cases(self, session: AsyncSession, principal: Principal, *,
                            state: str | None, after: int, limit: int,
                            join: Any = None, where: Sequence[ColumnElement[bool]] = ()
                            ) -> Sequence[Any]:
        """The caller's cases of this workflow, oldest first, after the id ``after``; with
        ``join`` (a detail model) as (case, detail) rows; ``where``: more conditions (on the
        case or the detail), e.g. a search."""
        if not self.engine.access.reaches_workflow(principal, self.workflow):
            raise Forbidden(self.no_access)
        if after >= MAX_ID:  # no case comes after the largest id (and the driver would overflow)
            return []
        stmt: Select[*tuple[Any, ...]] = select(Case) if join is None else select(Case, join).join(
            join, join.case_id == Case.id)
        stmt = stmt.where(col(Case.workflow) == self.workflow, col(Case.id) > after,
                          self.engine.access.scope_clause(principal, self.workflow))
        if state:
            stmt = stmt.where(col(Case.state) == state)
        if where:
            stmt = stmt.where(*where)
        stmt = stmt.order_by(col(Case.id)).limit(limit)
        if join is None:
            return (await session.scalars(stmt)).all()
        return (await session.execute(stmt)).all()

    def search_clause(self, text: str) -> ColumnElement[bool]:
        """The cases a staff search for ``text`` finds, as a condition on the case (and its
        detail, joined): its id (a number), a detail column equal to it (``search_columns``),
        or its organisation's name holding it (any case)."""
        text = text.strip()
        clauses: list[ColumnElement[bool]] = []
        if text.isdigit() and int(text) <= MAX_ID:
            clauses.append(col(Case.id) == int(text))
        if self.detail_model is not None:
            clauses += [getattr(self.detail_model, name).in_({text, text.upper()})
                        for name in self.search_columns]
        clauses.append(col(Case.organisation_id).in_(select(col(Organisation.id)).where(
            func.lower(col(Organisation.name)).contains(text.lower(), autoescape=True))))
        return or_(*clauses)

    def waiting_clause(self, principal: Principal) -> ColumnElement[bool] | None:
        """The caller's cases of this workflow that wait for it, as a condition on ``Case``:
        in a state from which a role of the caller that reaches the case may fire an event
        (by the workflow's latest version; None when no role may fire any)."""
        spec = self.engine.catalog.machine(self.workflow).spec
        clauses = []
        for role in sorted(principal.roles - {SYSTEM_ROLE}):
            states = sorted({s for t in spec.transitions if role in t.roles for s in t.sources})
            reach = self.engine.access.role_clause(principal, role, self.workflow)
            if not states or reach is None:
                continue
            in_state = col(Case.state).in_(states)
            clauses.append(in_state if reach is True else and_(reach, in_state))
        return or_(*clauses) if clauses else None

    async def count_by_state(self, principal: Principal) -> dict[str, int]:
        """How many of the caller's cases of this workflow are in each state (states with
        none left out), under the list's access condition, in one statement."""
        if not self.engine.access.reaches_workflow(principal, self.workflow):
            return {}
        stmt = (select(col(Case.state), func.count())
                .where(col(Case.workflow) == self.workflow,
                       self.engine.access.scope_clause(principal, self.workflow))
                .group_by(col(Case.state)))
        async with self.db.read() as session:
            return {state: int(n) for state, n in (await session.execute(stmt)).all()}

    async def waiting(self, principal: Principal, *, limit: int) -> builtins.list[Waiting]:
        """Up to ``limit`` cases that wait for the caller (``waiting_clause``): those with a
        live deadline first (those overdue, told and not met, then those pending), the
        soonest first, then the others, oldest first. Each statement walks an index and stops
        at ``limit``: the deadlines of each status in due order (``ix_timer_due``), then the
        cases by id."""
        clause = self.waiting_clause(principal)
        if clause is None:
            return []
        mine = and_(col(Case.workflow) == self.workflow, clause)
        columns: list[Any] = [Case] if self.detail_model is None else [Case, self.detail_model]

        def joined(stmt: Select[Any]) -> Select[Any]:
            if self.detail_model is None:
                return stmt
            return stmt.join(self.detail_model, self.detail_model.case_id == Case.id)

        def by_due(status: str) -> Select[Any]:
            return (joined(select(*columns, col(Timer.due_at))
                           .join(Timer, col(Timer.case_id) == Case.id))
                    .where(col(Timer.status) == status, col(Timer.kind) == "deadline", mine)
                    .order_by(col(Timer.due_at), col(Timer.id)))

        batch = limit * 3
        async with self.db.read() as session:
            # a case with several live deadlines (an accredited one has three) comes once, at
            # its soonest: read the deadlines a batch at a time until ``limit`` cases
            found: dict[int, tuple[Any, Any, datetime | None]] = {}
            for status in LIVE:
                offset = 0
                while len(found) < limit:
                    due = (await session.execute(by_due(status).offset(offset).limit(batch))).all()
                    for row in due:
                        case = row[0]
                        if case.id not in found and len(found) < limit:
                            found[case.id] = (case, row[1] if self.detail_model is not None
                                              else None, row[-1])
                    if len(due) < batch:
                        break
                    offset += batch
            if len(found) < limit:
                rest = (await session.execute(joined(select(*columns))
                        .where(mine, ~exists(select(col(Timer.id)).where(
                            col(Timer.case_id) == Case.id, col(Timer.kind) == "deadline",
                            col(Timer.status).in_(LIVE))))
                        .order_by(col(Case.id)).limit(limit - len(found)))).all()
                for row in rest:
                    found[row[0].id] = (row[0], row[1] if self.detail_model is not None else None,
                                        None)
            shown = await self.view_rows(session, [(case, detail) for case, detail, _ in
                                               found.values()])
            return [Waiting(view, due_at) for view, (_c, _d, due_at) in
                    zip(shown, found.values(), strict=True)]

    async def view_rows(self, session: AsyncSession, rows: Sequence[tuple[Case, Any]]
                    ) -> builtins.list[Any]:
        """A list's cases as the API lists them (``view``, not ``full``), in order; a service
        whose view reads more than the case and its detail reads it for all rows at once."""
        return [await self.view(session, case, detail, full=False) for case, detail in rows]

    async def view(self, session: AsyncSession, case: Case, detail: Any, *, full: bool) -> Any:
        """The case as the API shows it; ``detail`` may be None (load it); ``full`` for one
        case read alone (with what a list leaves out, e.g. deadlines)."""
        raise NotImplementedError

    async def list(self, principal: Principal, *, state: str | None, after: int,
                   limit: int, where: Sequence[ColumnElement[bool]] = ()) -> list[Any]:
        async with self.db.read() as session:
            rows = await self.visible_cases(session, principal, state=state, after=after,
                                            limit=limit, join=self.detail_model, where=where)
            pairs = rows if self.detail_model is not None else [(case, None) for case in rows]
            return await self.view_rows(session, pairs)

    async def get(self, principal: Principal, case_id: int) -> Any:
        async with self.db.read() as session:
            case = await self.engine.get_visible(session, case_id, principal, self.workflow)
            return await self.view(session, case, None, full=True)

    async def fire(self, principal: Principal, case_id: int, request: TransitionRequest) -> Any:
        async with self.db.write() as session:
            outcome = await self._fire(session, principal, case_id, request)
            return await self.view(session, outcome.case, outcome.detail, full=False)

    async def available(self, principal: Principal,
                        case_id: int) -> builtins.list[AvailableTransition]:
        async with self.db.read() as session:
            case = await self.engine.get_visible(session, case_id, principal, self.workflow)
            return await available(self.engine, session, case, principal)

    async def history(self, principal: Principal, case_id: int) -> builtins.list[CaseEventView]:
        async with self.db.read() as session:
            case = await self.engine.get_visible(session, case_id, principal, self.workflow)
            return await history(self.engine, session, case)

    async def verified_history(self, principal: Principal, case_id: int,
                               ) -> tuple[builtins.list[CaseEventView], BrokenLink | None]:
        """The audit trail, and its chain checked now as ``iris audit verify`` checks it
        (each event's hash over the one before, the case's head, each personal note against
        its commitment): the first broken link, or None when it holds."""
        async with self.db.read() as session:
            case = await self.engine.get_visible(session, case_id, principal, self.workflow)
            events = await self.engine.history(session, case)
            return ([event_view(e, self.engine.notes) for e in events],
                    case_chain_break(case, events, self.engine.notes))

    async def _fire(self, session: AsyncSession, principal: Principal, case_id: int,
                    request: TransitionRequest) -> TransitionOutcome:
        outcome = await self.engine.fire(session, self.workflow, case_id, principal, TransitionInput(
            event=request.event, expected_revision=request.expected_revision,
            reason_code=request.reason_code, note=request.note, data=request.data))
        await session.flush()
        return outcome
