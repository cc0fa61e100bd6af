"""The tamper-evident trail: each case's events form a SHA-256 hash chain.

``hash = sha256(prev_hash + canonical JSON of the event)``. Chains are per case, so cases
never contend on one global row; ``verify_chains`` recomputes them all (``iris_engine.audit``
also replays them to the case rows and the read models, and holds them to the anchors).
A personal note is hashed through its commitment (``cases.notes``): erasing or re-sealing
it changes no hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases.notes import EventNotes
from iris_engine.store.models import Case, CaseEvent
from iris_engine.vault import Vault

__all__ = [
    "GENESIS",
    "BrokenLink",
    "case_chain_break",
    "case_histories",
    "chain_break",
    "chain_hash",
    "format_time",
    "orphan_event_cases",
    "verify_chains",
]

GENESIS = "0" * 64


def format_time(moment: datetime) -> str:
    """UTC, microseconds, ``Z``: the same instant always hashes the same (naive means UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(event: CaseEvent) -> bytes:
    body = {
        "case_id": event.case_id,
        "seq": event.seq,
        "event": event.event,
        "from": event.from_state,
        "to": event.to_state,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "reason_code": event.reason_code,
        "note": event.note,
        "data": event.data,
        "at": format_time(event.created_at),
    }
    if event.note_commitment is not None:  # only then: events without one hash as they always did
        body["note_commitment"] = event.note_commitment
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, event: CaseEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(event)).hexdigest()


@dataclass(frozen=True, slots=True)
class BrokenLink:
    case_id: int
    seq: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"case {self.case_id}" + (f", event #{self.seq} (row id {self.event_id})"
                                          if self.seq is not None else "")
        return f"{where}: {self.reason}"


def chain_break(case_id: int, events: Sequence[CaseEvent],
                notes: EventNotes | None = None) -> BrokenLink | None:
    """The first broken link of one case's chain (its events in ``seq`` order), or None.
    With ``notes`` (the vault's), each personal note still held is checked against the
    commitment its event hashes."""
    prev_seq, prev_hash = 0, GENESIS
    for ev in events:
        if ev.seq != prev_seq + 1:
            return BrokenLink(case_id, ev.seq, ev.id,
                              f"expected event #{prev_seq + 1}; a row is missing")
        if ev.prev_hash != prev_hash:
            return BrokenLink(case_id, ev.seq, ev.id, "prev_hash does not match the previous event")
        if chain_hash(prev_hash, ev) != ev.hash:
            return BrokenLink(case_id, ev.seq, ev.id, "content does not match its hash (altered)")
        defect = notes.defect(ev) if notes is not None else None
        if defect is not None:
            return BrokenLink(case_id, ev.seq, ev.id, defect)
        prev_seq, prev_hash = ev.seq, ev.hash
    return None


def case_chain_break(case: Case, events: Sequence[CaseEvent],
                     notes: EventNotes | None = None) -> BrokenLink | None:
    """``chain_break`` of one case's events, and whether the case row's head hash is the
    last event's (a removed last event or an altered head shows there)."""
    broken = chain_break(case.id or 0, events, notes)
    if broken is None and case.head_hash != (events[-1].hash if events else GENESIS):
        broken = BrokenLink(case.id or 0, None, None,
                            "the case's head hash is not its last event "
                            "(events removed or the head altered)")
    return broken


async def case_histories(session: AsyncSession, *,
                         batch: int = 500) -> AsyncIterator[tuple[Case, list[CaseEvent]]]:
    """Every case, in id order, with its events in ``seq`` order, read a batch of cases at a
    time. The rows are detached from ``session`` after each batch, so memory stays flat; read
    in ``Database.snapshot`` so that a batch never sees a write the one before did not."""
    after = 0
    while True:
        cases = list((await session.scalars(
            select(Case).where(col(Case.id) > after).order_by(col(Case.id)).limit(batch))).all())
        if not cases:
            return
        ids = [c.id for c in cases]
        events: dict[int, list[CaseEvent]] = {case_id or 0: [] for case_id in ids}
        for ev in (await session.scalars(
                select(CaseEvent).where(col(CaseEvent.case_id).in_(ids))
                .order_by(col(CaseEvent.case_id), col(CaseEvent.seq)))).all():
            events[ev.case_id].append(ev)
        session.expunge_all()
        for case in cases:
            yield case, events[case.id or 0]
        after = cases[-1].id or 0


async def orphan_event_cases(session: AsyncSession) -> list[int]:
    """Case ids that events name but no case row has (the row was deleted under them)."""
    rows = await session.scalars(
        select(col(CaseEvent.case_id)).distinct()
        .where(~select(col(Case.id)).where(col(Case.id) == col(CaseEvent.case_id)).exists())
        .order_by(col(CaseEvent.case_id)))
    return list(rows.all())


async def verify_chains(session: AsyncSession, *, vault: Vault | None = None,
                        ) -> tuple[int, int, BrokenLink | None]:
    """Recompute every chain. Returns (cases checked, events checked, first broken link).
    With the ``vault``, each personal note still held is opened and checked against the
    commitment its event hashes."""
    notes = EventNotes(vault) if vault is not None else None
    cases = events = 0
    async for case, history in case_histories(session):
        cases += 1
        events += len(history)
        broken = case_chain_break(case, history, notes)
        if broken is not None:
            return cases, events, broken
    return cases, events, None
