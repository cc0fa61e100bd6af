"""What every domain's case service does the same way: list the cases a caller may see, read
what may fire and the audit trail, fire an event. A domain adds its views and its own acts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.cases.access import Principal, reaches_workflow, scope_clause
from iris_engine.cases.engine import CaseEngine, TransitionOutcome
from iris_engine.cases.registry import HOOKS
from iris_engine.cases.schemas import AvailableTransition, CaseEventView, TransitionRequest
from iris_engine.cases.views import available, history
from iris_engine.errors import Forbidden
from iris_engine.store.db import Database
from iris_engine.store.models import MAX_ID, Case
from iris_engine.workflow import TransitionInput

__all__ = ["CaseService", "register_detail"]


def register_detail(workflow: str, model: Any) -> None:
    """The detail loader of a workflow whose detail is one row keyed by the case id."""

    async def load(session: AsyncSession, case: Case) -> Any:
        detail = await session.get(model, case.id, populate_existing=True)
        assert detail is not None, f"{workflow} case {case.id} has no {model.__tablename__} row"
        return detail

    HOOKS.detail(workflow)(load)


class CaseService:
    workflow: ClassVar[str]
    #: what the caller is told when no role of theirs reaches this workflow
    nobody: ClassVar[str] = "your role does not give access to these cases"

    def __init__(self, db: Database, engine: CaseEngine) -> None:
        self.db = db
        self.engine = engine

    async def visible_cases(self, session: AsyncSession, principal: Principal, *,
                            state: str | None, after: int, limit: int,
                            join: Any = None) -> Sequence[Any]:
        """The caller's cases of this workflow, oldest first, after the id ``after``; with
        ``join`` (a detail model) as (case, detail) rows."""
        if not reaches_workflow(principal, self.workflow):
            raise Forbidden(self.nobody)
        if after >= MAX_ID:  # no case comes after the largest id (and the driver would overflow)
            return []
        stmt = select(Case) if join is None else select(Case, join).join(
            join, join.case_id == Case.id)
        stmt = stmt.where(Case.workflow == self.workflow, Case.id > after,  # type: ignore[arg-type,operator]
                          scope_clause(principal, self.workflow))
        if state:
            stmt = stmt.where(Case.state == state)  # type: ignore[arg-type]
        stmt = stmt.order_by(Case.id).limit(limit)  # type: ignore[arg-type]
        if join is None:
            return (await session.scalars(stmt)).all()
        return (await session.execute(stmt)).all()

    async def available(self, principal: Principal, case_id: int) -> list[AvailableTransition]:
        async with self.db.read() as session:
            case = await self.engine.get_visible(session, case_id, principal, self.workflow)
            return await available(self.engine, session, case, principal)

    async def history(self, principal: Principal, case_id: int) -> list[CaseEventView]:
        async with self.db.read() as session:
            case = await self.engine.get_visible(session, case_id, principal, self.workflow)
            return await history(self.engine, session, case)

    async def _fire(self, session: AsyncSession, principal: Principal, case_id: int,
                    request: TransitionRequest) -> TransitionOutcome:
        outcome = await self.engine.fire(session, self.workflow, case_id, principal, TransitionInput(
            event=request.event, expected_revision=request.expected_revision,
            reason_code=request.reason_code, note=request.note, data=request.data))
        await session.flush()
        return outcome
