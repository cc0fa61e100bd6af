"""The tamper-evident trail: each case's events form a SHA-256 hash chain.

``hash = sha256(prev_hash + canonical JSON of the event)``. Chains are per case, so cases
never contend on one global row; ``verify_chains`` recomputes them all. A personal note is
hashed through its commitment (``cases.notes``): erasing or re-sealing it changes no hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases.notes import EventNotes
from iris_engine.store.models import Case, CaseEvent
from iris_engine.vault import Vault

__all__ = ["GENESIS", "BrokenLink", "chain_hash", "format_time", "verify_chains"]

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


async def _events_by_case(session: AsyncSession, batch: int = 5000) -> AsyncIterator[CaseEvent]:
    last = (0, 0)
    while True:
        rows = (await session.scalars(
            select(CaseEvent)
            .where((col(CaseEvent.case_id) > last[0]) |
                   ((col(CaseEvent.case_id) == last[0]) & (col(CaseEvent.seq) > last[1])))
            .order_by(col(CaseEvent.case_id), col(CaseEvent.seq))
            .limit(batch)
        )).all()
        if not rows:
            return
        for row in rows:
            yield row
        last = (rows[-1].case_id, rows[-1].seq)


async def verify_chains(session: AsyncSession, *, vault: Vault | None = None,
                        ) -> tuple[int, int, BrokenLink | None]:
    """Recompute every chain. Returns (cases checked, events checked, first broken link).
    With the ``vault``, each personal note still held is opened and checked against the
    commitment its event hashes."""
    notes = EventNotes(vault) if vault is not None else None
    rows = await session.execute(select(col(Case.id), col(Case.head_hash)).order_by(col(Case.id)))
    heads = {case_id or 0: head for case_id, head in rows}  # a stored id is never NULL
    seen: dict[int, tuple[int, str]] = {}
    events = 0
    async for ev in _events_by_case(session):
        events += 1
        prev_seq, prev_hash = seen.get(ev.case_id, (0, GENESIS))
        if ev.seq != prev_seq + 1:
            return len(seen), events, BrokenLink(ev.case_id, ev.seq, ev.id,
                                                 f"expected event #{prev_seq + 1}; a row is missing")
        if ev.prev_hash != prev_hash:
            return len(seen), events, BrokenLink(ev.case_id, ev.seq, ev.id,
                                                 "prev_hash does not match the previous event")
        if chain_hash(prev_hash, ev) != ev.hash:
            return len(seen), events, BrokenLink(ev.case_id, ev.seq, ev.id,
                                                 "content does not match its hash (altered)")
        defect = notes.defect(ev) if notes is not None else None
        if defect is not None:
            return len(seen), events, BrokenLink(ev.case_id, ev.seq, ev.id, defect)
        seen[ev.case_id] = (ev.seq, ev.hash)
    for case_id, head in heads.items():
        last = seen.get(case_id, (0, GENESIS))[1]
        if head != last:
            return len(seen), events, BrokenLink(case_id, None, None,
                                                 "the case's head hash is not its last event "
                                                 "(events removed or the head altered)")
    return len(heads), events, None


