"""The roster search's SQL: one page in roster order (``name_key``, ``lrn``), read from an index
whatever the roster's size.

Two plans, picked per query:

- **walk**: read the sort index in order and keep the rows that match, until the page is full
  (``ix_roster_sort``, ``ix_roster_status_sort``, or ``ix_roster_country_sort`` for a country,
  whose rows carry the sort key). Fast when matches are common; a name fragment under three
  characters always walks (no trigram answers it).
- **names first**: take the rows whose name holds the fragment from the trigram index
  (PostgreSQL: ``ix_roster_name_trgm``; SQLite: the FTS5 table ``roster_search``), apply the
  other filters, sort those few. Fast when matches are rare.

PostgreSQL's planner chooses between them itself (it estimates a fragment's matches from its
statistics, so the search asks for a plan made with the fragment, not a generic one).
SQLite's does not know how many rows FTS5 will answer, so we ask it: at most ``FEW_MATCHES``
rowids, then pick. Both plans
filter with the same exact ``LIKE ... ESCAPE``; the trigram index only narrows the rows first,
so results (rows, order, cursors) are those of a plain scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, column, exists, func, select, table, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.roster.models import RosterCorridor, RosterCountry, RosterEntry, RosterSector

if TYPE_CHECKING:
    from iris_engine.roster.service import RosterQuery

__all__ = ["FEW_MATCHES", "like_pattern", "page_rows"]

#: SQLite: a fragment with fewer matches than this is answered names first (sorting at most
#: this many rows); with more, a walk of the sort index meets a page of them soon enough
FEW_MATCHES = 2000
#: trigram indexes need a run of this many characters
_TRIGRAM = 3

_CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")
_FTS = table("roster_search", column("rowid"), column("name_key"))
_COLUMNS = (col(RosterEntry.lrn), col(RosterEntry.name), col(RosterEntry.country),
            col(RosterEntry.countries), col(RosterEntry.status), col(RosterEntry.accredited_on),
            col(RosterEntry.valid_until), col(RosterEntry.status_since),
            col(RosterEntry.under_appeal), col(RosterEntry.name_key))


def like_pattern(text: str) -> str:
    """``LIKE`` pattern (escape ``\\``) for rows whose name holds ``text`` literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _trigram_fragment(text: str | None) -> str | None:
    """The FTS5 ``LIKE`` pattern for ``text`` when the trigram index can answer it: at least
    three characters and no LIKE wildcard (an FTS5 LIKE takes no ESCAPE)."""
    if text is None or len(text) < _TRIGRAM or "%" in text or "_" in text:
        return None
    return "%" + text + "%"


def _statement(q: RosterQuery, after: tuple[str, str] | None, names_first: str | None,
               every_status: bool) -> Select[*tuple[Any, ...]]:
    """The page's statement; ``names_first`` is the FTS5 pattern when SQLite should read the
    trigram table first (None: let the sort index lead)."""
    if q.country:  # roster_country leads: its index is in roster order within a country
        key, lrn = col(RosterCountry.name_key), col(RosterCountry.lrn)
        stmt = (select(*_COLUMNS).select_from(RosterCountry)
                .join(RosterEntry, col(RosterEntry.lrn) == lrn)
                .where(col(RosterCountry.country) == q.country))
    else:
        key, lrn = col(RosterEntry.name_key), col(RosterEntry.lrn)
        stmt = select(*_COLUMNS)
    if names_first is not None:
        matches = select(_FTS.c.rowid).where(_FTS.c.name_key.like(names_first))
        stmt = stmt.where(col(RosterEntry.case_id).in_(matches))
    if not every_status:  # every public status: no filter (the roster holds no other)
        stmt = stmt.where(col(RosterEntry.status).in_(q.status))
    if q.origin or q.destination:  # semi-joins, each answered from an index of its table
        corridor = [col(RosterCorridor.lrn) == col(RosterEntry.lrn)]
        if q.origin:
            corridor.append(col(RosterCorridor.origin) == q.origin)
        if q.destination:
            corridor.append(col(RosterCorridor.destination) == q.destination)
        stmt = stmt.where(exists().where(*corridor))
    if q.sector:
        stmt = stmt.where(exists().where(col(RosterSector.lrn) == col(RosterEntry.lrn),
                                         col(RosterSector.sector) == q.sector))
    if q.q:
        stmt = stmt.where(key.like(like_pattern(q.q), escape="\\"))
    if q.lrn:
        # a range, not LIKE 'X%': both databases answer it from the primary key
        upper = q.lrn[:-1] + chr(ord(q.lrn[-1]) + 1)
        stmt = stmt.where(col(RosterEntry.lrn) >= q.lrn, col(RosterEntry.lrn) < upper)
    if after is not None:
        stmt = stmt.where(tuple_(key, lrn) > after)
    if names_first is not None:
        # an expression no index holds: SQLite then drives the join from the trigram table
        # instead of walking the sort index and probing FTS5 per row (same order: '' adds
        # nothing to a name)
        return stmt.order_by(key + "", lrn).limit(q.limit + 1)
    return stmt.order_by(key, lrn).limit(q.limit + 1)


async def _few_matches(session: AsyncSession, pattern: str) -> bool:
    """SQLite: does the trigram table hold fewer than ``FEW_MATCHES`` names like ``pattern``?"""
    probe = select(_FTS.c.rowid).where(_FTS.c.name_key.like(pattern)).limit(FEW_MATCHES)
    found = await session.scalar(select(func.count()).select_from(probe.subquery()))
    return int(found or 0) < FEW_MATCHES


async def page_rows(session: AsyncSession, q: RosterQuery, *, sqlite: bool,
                    after: tuple[str, str] | None, every_status: bool) -> list[Any]:
    """Up to ``q.limit + 1`` rows of the page after ``after`` (name_key, lrn), in order;
    ``every_status``: the query names every public status."""
    names_first = None
    if not sqlite and q.q:
        # after five runs asyncpg's prepared statement may get a generic plan, made without
        # the pattern: it walks the whole sort index for a rare fragment (3 s at 1M rows)
        await session.execute(_CUSTOM_PLAN)
    if sqlite:
        pattern = _trigram_fragment(q.q)
        if pattern is not None and await _few_matches(session, pattern):
            names_first = pattern
    return list((await session.execute(_statement(q, after, names_first, every_status))).all())
