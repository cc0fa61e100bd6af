"""Sealing personal notes stored in clear before notes were sealed: a data step of the upgrade.

Before personal notes were sealed (``cases.notes``), a note was stored in ``case_event.note``
whoever wrote it. ``seal_clear_notes`` finds the clear notes the workflows now call personal
and, case by case, in one transaction with the case locked:

1. verifies the case's chain as it stands. A chain that does not verify is left untouched and
   reported: re-hashing it would launder whatever altered it (``iris audit verify`` names it);
2. seals each such note (the vault, a salt, the commitment) and empties the clear column;
3. recomputes the hashes from the first sealed event to the head (a note's text was hashed
   into its event, and the commitment now is), and records the old and the new head in
   ``chain_rewrite``, so a copy of the old chain (a backup, a published anchor) can be linked
   to the new one.

The clear text left in the database files is then reclaimed (``Database.reclaim``). The step
is idempotent: ``iris db upgrade``, ``iris serve`` (SQLite) and ``iris keys rotate`` run it, and
it finds nothing once done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlmodel import col

from iris_engine.cases.audit import GENESIS, chain_hash
from iris_engine.cases.engine import CaseEngine
from iris_engine.store.db import Database, erased
from iris_engine.store.models import Case, CaseEvent, ChainRewrite
from iris_engine.workflow import WorkflowCatalog, WorkflowSpec

__all__ = ["ClearNotesReport", "seal_clear_notes"]

REASON = "personal notes stored in clear before notes were sealed were sealed"


@dataclass(slots=True)
class ClearNotesReport:
    #: notes sealed
    sealed: int = 0
    #: cases whose chain was re-hashed
    cases: list[int] = field(default_factory=list)
    #: cases whose chain did not verify: their notes are left as they were
    broken: list[int] = field(default_factory=list)


def _personal_clear_notes(catalog: WorkflowCatalog) -> ColumnElement[bool]:
    """Events holding in clear a note that ``WorkflowSpec.note_is_personal`` calls personal."""
    clauses: list[ColumnElement[bool]] = []
    for name, version in catalog.versions():
        spec = catalog.machine(name, version).spec
        of_version = and_(col(Case.workflow) == name, col(Case.workflow_version) == version)
        own_case = [role for role, scope in spec.access.items() if scope == "case"]
        if own_case:
            clauses.append(and_(of_version, col(CaseEvent.actor_role).in_(own_case)))
        clauses += [and_(of_version, col(CaseEvent.event) == t.event,
                         col(CaseEvent.from_state).in_(t.sources))
                    for t in spec.transitions if t.personal_note]
    return and_(col(CaseEvent.note).is_not(None), col(CaseEvent.note_commitment).is_(None),
                or_(*clauses) if clauses else false())


def _is_personal(spec: WorkflowSpec, event: CaseEvent) -> bool:
    return (event.note is not None and event.note_commitment is None
            and spec.note_is_personal(spec.transition(event.event, event.from_state or ""),
                                      event.actor_role))


def _verifies(case: Case, events: list[CaseEvent]) -> bool:
    prev = GENESIS
    for seq, event in enumerate(events, start=1):
        if event.seq != seq or event.prev_hash != prev or chain_hash(prev, event) != event.hash:
            return False
        prev = event.hash
    return prev == (case.head_hash or GENESIS)


async def seal_clear_notes(db: Database, engine: CaseEngine) -> ClearNotesReport:
    """Seal the personal notes still in clear, re-hashing their cases' chains (see above)."""
    report = ClearNotesReport()
    async with db.read() as session:
        case_ids = list((await session.scalars(
            select(col(CaseEvent.case_id)).distinct()
            .join(Case, col(Case.id) == col(CaseEvent.case_id))
            .where(_personal_clear_notes(engine.catalog))
            .order_by(col(CaseEvent.case_id)))).all())
    for case_id in case_ids:
        async with db.write() as session:
            case = await engine.lock(session, case_id)
            assert case is not None, "events belong to a case (a foreign key)"
            events = await engine.history(session, case)
            if not _verifies(case, events):
                report.broken.append(case_id)
                continue
            spec = engine.catalog.machine(case.workflow, case.workflow_version).spec
            first: int | None = None
            prev = GENESIS
            for event in events:
                if _is_personal(spec, event):
                    engine.notes.seal_into(event, event.note or "")
                    report.sealed += 1
                    first = first or event.seq
                if first is not None:
                    event.prev_hash, event.hash = prev, chain_hash(prev, event)
                prev = event.hash
            if first is None:
                continue
            session.add(ChainRewrite(case_id=case_id, from_seq=first, old_head_hash=case.head_hash,
                                     new_head_hash=prev, reason=REASON, created_at=engine.clock()))
            case.head_hash = prev
            erased(session, CaseEvent.__tablename__)
            report.cases.append(case_id)
    await db.reclaim()
    return report
