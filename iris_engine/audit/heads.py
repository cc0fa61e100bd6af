"""Chain heads now, and whether the trail still holds the heads an anchor remembers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.audit.anchors import Anchor, Head
from iris_engine.store.models import Case, CaseEvent

__all__ = ["anchor_departures", "current_heads"]

_LOOKUP_BATCH = 500


#: heads read per step of ``current_heads``: the serving process's event loop runs other
#: requests between two steps (a million cases are seconds of CPU, taken every anchor interval)
HEADS_PER_STEP = 5000


async def current_heads(session: AsyncSession) -> list[Head]:
    """Every case's head as its row says (its revision is the number of its last event), in
    case id order, read by one statement: one moment on every database. Read
    ``HEADS_PER_STEP`` rows at a time, the event loop free between two steps."""
    result = await session.stream(
        select(col(Case.id), col(Case.revision), col(Case.head_hash)).order_by(col(Case.id))
        .execution_options(yield_per=HEADS_PER_STEP))
    heads: list[Head] = []
    async for rows in result.partitions():
        heads.extend((case_id or 0, revision, head) for case_id, revision, head in rows)
        await asyncio.sleep(0)  # a driver that answers without waiting would not let go
    return heads


async def anchor_departures(session: AsyncSession, anchor: Anchor,
                            heads: Sequence[Head] | None = None) -> list[str]:
    """Where the trail no longer holds what ``anchor`` remembers: a case gone, a chain cut
    below its anchored event, or that event replaced. ``heads`` are the current ones (read
    when not given). A case's row is trusted for where its chain ends: the replay of chains
    to rows (``row_departures``) catches a row that lies about it."""
    # comparing a million heads is a second of CPU: in a thread, the event loop free meanwhile
    problems, further = await asyncio.to_thread(
        _compared, anchor, heads if heads is not None else await current_heads(session))
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


def _compared(anchor: Anchor, heads: Sequence[Head]) -> tuple[list[str], dict[tuple[int, int], str]]:
    """``anchor``'s heads against the current ones: what departs from it already, and the
    anchored events of chains that went on since (their hashes, to be looked up)."""
    now = {head[0]: head for head in heads}
    problems = []
    if len(now) < anchor.cases:
        problems.append(f"the trail holds {len(now)} cases; anchor {anchor.seq} "
                        f"({anchor.taken_at}) held {anchor.cases}")
    further: dict[tuple[int, int], str] = {}
    for case_id, seq, hash_ in anchor.heads:
        found = now.get(case_id)
        if found is None:
            problems.append(f"case {case_id} (anchored at event #{seq}) no longer exists: it "
                            "was deleted")
        elif found[1] < seq:
            problems.append(f"case {case_id} ends at event #{found[1]}, but event #{seq} was "
                            "anchored: events were removed")
        elif found[1] == seq and found[2] != hash_:
            problems.append(f"case {case_id}'s event #{seq} is not the one anchored: the chain "
                            "was cut and rewritten")
        elif found[1] > seq:
            further[(case_id, seq)] = hash_
    return problems, further
