"""Chain heads now, and whether the trail still holds the heads an anchor remembers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.audit.anchors import Anchor, Head
from iris_engine.store.models import Case, CaseEvent

__all__ = ["anchor_departures", "current_heads"]

_LOOKUP_BATCH = 500


async def current_heads(session: AsyncSession) -> list[Head]:
    """Every case's head as its row says (its revision is the number of its last event), in
    case id order, read by one statement: one moment on every database."""
    rows = await session.execute(select(col(Case.id), col(Case.revision), col(Case.head_hash))
                                 .order_by(col(Case.id)))
    return [Head(case_id or 0, revision, head) for case_id, revision, head in rows]


async def anchor_departures(session: AsyncSession, anchor: Anchor,
                            heads: Sequence[Head] | None = None) -> list[str]:
    """Where the trail no longer holds what ``anchor`` remembers: a case gone, a chain cut
    below its anchored event, or that event replaced. ``heads`` are the current ones (read
    when not given). A case's row is trusted for where its chain ends: the replay of chains
    to rows (``row_departures``) catches a row that lies about it."""
    now = {h.case_id: h for h in (heads if heads is not None else await current_heads(session))}
    problems = []
    if len(now) < anchor.cases:
        problems.append(f"the trail holds {len(now)} cases; anchor {anchor.seq} "
                        f"({anchor.taken_at}) held {anchor.cases}")
    further: dict[tuple[int, int], str] = {}
    for held in anchor.heads:
        head = now.get(held.case_id)
        if head is None:
            problems.append(f"case {held.case_id} (anchored at event #{held.seq}) no longer "
                            "exists: it was deleted")
        elif head.seq < held.seq:
            problems.append(f"case {held.case_id} ends at event #{head.seq}, but event "
                            f"#{held.seq} was anchored: events were removed")
        elif head.seq == held.seq and head.hash != held.hash:
            problems.append(f"case {held.case_id}'s event #{held.seq} is not the one anchored: "
                            "the chain was cut and rewritten")
        elif head.seq > held.seq:
            further[(held.case_id, held.seq)] = held.hash
    keys = list(further)
    for start in range(0, len(keys), _LOOKUP_BATCH):
        batch = keys[start:start + _LOOKUP_BATCH]
        found = {(c, s): h for c, s, h in await session.execute(
            select(col(CaseEvent.case_id), col(CaseEvent.seq), col(CaseEvent.hash))
            .where(tuple_(col(CaseEvent.case_id), col(CaseEvent.seq)).in_(batch)))}
        for key in batch:
            if found.get(key) != further[key]:
                problems.append(f"case {key[0]}'s event #{key[1]} is "
                                f"{'missing' if key not in found else 'not the one anchored'}"
                                ": the chain was cut and rewritten")
    return problems
