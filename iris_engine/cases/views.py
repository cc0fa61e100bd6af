"""Reading a case the same way in every domain: its audit trail, its deadlines, what may fire."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases.access import Principal
from iris_engine.cases.engine import CaseEngine
from iris_engine.cases.notes import EventNotes
from iris_engine.cases.schemas import AvailableTransition, CaseEventView, DeadlineView
from iris_engine.store.models import Case, CaseEvent, Timer

__all__ = ["available", "deadlines", "event_view", "history"]


def event_view(e: CaseEvent, notes: EventNotes) -> CaseEventView:
    """An event as the case's readers see it, a personal note opened (the caller checked they
    may read the case)."""
    # a sealed value that holds only personal data fields leaves a clear note in ``note``
    personal = e.note_commitment is not None and e.note is None
    return CaseEventView(seq=e.seq, event=e.event, from_state=e.from_state, to_state=e.to_state,
                         actor_id=e.actor_id, actor_role=e.actor_role, reason_code=e.reason_code,
                         note=notes.read(e), data=notes.read_data(e), at=e.created_at,
                         prev_hash=e.prev_hash, hash=e.hash, personal_note=personal,
                         note_erased=personal and e.note_sealed is None,
                         note_commitment=e.note_commitment)


async def history(engine: CaseEngine, session: AsyncSession, case: Case) -> list[CaseEventView]:
    return [event_view(e, engine.notes) for e in await engine.history(session, case)]


async def available(engine: CaseEngine, session: AsyncSession, case: Case,
                    principal: Principal) -> list[AvailableTransition]:
    return [AvailableTransition(**t) for t in await engine.available(session, case, principal)]


async def deadlines(engine: CaseEngine, session: AsyncSession, case: Case) -> list[DeadlineView]:
    """The case's deadlines, latest first, described from its workflow version."""
    timers = engine.catalog.machine(case.workflow, case.workflow_version).spec.timers
    rows = (await session.scalars(select(Timer).where(
        col(Timer.case_id) == case.id, col(Timer.kind) == "deadline")
        .order_by(col(Timer.due_at).desc(), col(Timer.id).desc()))).all()
    return [DeadlineView(
        name=t.name, description=timers[t.name].description if t.name in timers else "",
        due_at=t.due_at, status=t.status, outcome=t.outcome,
        fires=timers[t.name].event if t.name in timers else None,
    ) for t in rows]
