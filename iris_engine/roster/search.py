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

SQLite's planner does not know how many names FTS5 will answer, so we ask: at most
``FEW_MATCHES`` rowids, then pick. PostgreSQL's planner weighs a fragment alone well (from its
statistics: the search asks for a plan made with the fragment, not a generic one) but takes a
fragment and a filter as independent, so with a filter it is asked the same way. The probe
answers the keys it found as well as their count, so a page of few matches reads those rows by
key instead of asking the name index again. Both plans filter with the same exact
``LIKE ... ESCAPE``; the trigram index only narrows the rows first, so results (rows, order,
cursors) are those of a plain scan.

Known weak spot: a common fragment with a filter it rarely meets (a Nepali name asked in
Mexico) walks the filter's index a long way; its cost grows with the roster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Select,
    String,
    bindparam,
    column,
    exists,
    func,
    select,
    table,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.roster.models import RosterCorridor, RosterCountry, RosterEntry, RosterSector

if TYPE_CHECKING:
    from iris_engine.roster.service import RosterQuery

__all__ = ["FEW_MATCHES", "like_pattern", "page_rows"]

#: a fragment with fewer matches than this is answered names first. Reading a match by its
#: trigram costs ~10-30 us (a row fetched by key: SQLite), a sort index entry walked past ~0.2
#: us; a fragment matched by more is met often enough on a walk
FEW_MATCHES = 500
#: sort index entries a common fragment's walk looks at before it falls back to the names
WALK = 4000
#: trigram indexes need a run of this many characters
_TRIGRAM = 3

_CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")
#: the rows among the keys a probe found (``:keys``), each read by its key. SQLite: case ids
#: (FTS5's rowid is the case id), comma-separated digits, by the case id's unique index;
#: PostgreSQL: an array of LRNs, by the primary key. One statement text whatever the count
_AMONG_SQLITE = col(RosterEntry.case_id).in_(text(
    "SELECT CAST(value AS INTEGER) FROM json_each('[' || :keys || ']')"))
_AMONG_POSTGRES = col(RosterEntry.lrn) == func.any(
    bindparam("keys", type_=postgresql.ARRAY(String())))
_FTS = table("roster_search", column("rowid"), column("roster_search"))
_COLUMNS = (col(RosterEntry.lrn), col(RosterEntry.name), col(RosterEntry.country),
            col(RosterEntry.countries), col(RosterEntry.status), col(RosterEntry.accredited_on),
            col(RosterEntry.valid_until), col(RosterEntry.status_since),
            col(RosterEntry.under_appeal), col(RosterEntry.name_key))


def like_pattern(text: str) -> str:
    """``LIKE`` pattern (escape ``\\``) for rows whose name holds ``text`` literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _trigrams(text: str) -> str:
    """An FTS5 query for names holding every trigram of ``text`` (a superset of the names that
    hold ``text``): trigrams at every third place plus the last, ANDed; each is a quoted
    string, so nothing in it is query syntax, and FTS5 reads no positions for an AND."""
    starts = list(range(0, len(text) - _TRIGRAM + 1, _TRIGRAM))
    if starts[-1] != len(text) - _TRIGRAM:
        starts.append(len(text) - _TRIGRAM)
    return " AND ".join('"' + text[i:i + _TRIGRAM].replace('"', '""') + '"' for i in starts)


def _statement(q: RosterQuery, after: tuple[str, str] | None, *, names_first: bool,
               sqlite: bool, every_status: bool, window: int | None = None,
               among: bool = False) -> Select[*tuple[Any, ...]]:
    """The page's statement: read the trigram index first (``names_first``) or let the sort
    index lead; ``window``: look only at that many sort index entries after ``after``;
    ``among``: names first, from the keys the probe found (``_few_matches``, bound as ``:keys``)
    instead of asking the trigram index again."""
    key: Any  # a column of roster_entry, roster_country or the walked stretch
    lrn: Any
    if q.country:  # roster_country leads: its index is in roster order within a country
        key, lrn = col(RosterCountry.name_key), col(RosterCountry.lrn)
        where = [col(RosterCountry.country) == q.country]
    else:
        key, lrn = col(RosterEntry.name_key), col(RosterEntry.lrn)
        where = []
    if after is not None:
        where.append(tuple_(key, lrn) > after)
    if window is not None:
        entries = (select(key.label("name_key"), lrn.label("lrn")).where(*where)
                   .order_by(key, lrn).limit(window).subquery("walked"))
        key, lrn = entries.c.name_key, entries.c.lrn
        where = []
        stmt = select(*_COLUMNS).select_from(entries).join(
            RosterEntry, col(RosterEntry.lrn) == lrn)
    elif q.country:
        stmt = select(*_COLUMNS).select_from(RosterCountry).join(
            RosterEntry, col(RosterEntry.lrn) == lrn)
    else:
        stmt = select(*_COLUMNS)
    stmt = stmt.where(*where)
    if among:
        stmt = stmt.where(_AMONG_SQLITE if sqlite else _AMONG_POSTGRES)
    elif names_first and sqlite:
        assert q.q is not None
        stmt = stmt.where(col(RosterEntry.case_id).in_(_fts_rowids(q.q)))
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
        # under three characters no trigram helps (PostgreSQL would read its whole trigram
        # index, 3 s at 1M rows): an expression it cannot use, so the sort index is walked
        name = key if len(q.q) >= _TRIGRAM else key + ""
        stmt = stmt.where(name.like(like_pattern(q.q), escape="\\"))
    if q.lrn:
        # a range, not LIKE 'X%': both databases answer it from the primary key
        upper = q.lrn[:-1] + chr(ord(q.lrn[-1]) + 1)
        stmt = stmt.where(col(RosterEntry.lrn) >= q.lrn, col(RosterEntry.lrn) < upper)
    if names_first:
        # an order no index holds: the planner then starts from the names (the trigram index)
        # rather than walking a sort index in order (the same order: '' adds nothing to a name)
        return stmt.order_by(key + "", lrn).limit(q.limit + 1)
    return stmt.order_by(key, lrn).limit(q.limit + 1)


def _fts_rowids(text: str) -> Select[*tuple[Any, ...]]:
    return select(_FTS.c.rowid).where(_FTS.c.roster_search.op("MATCH")(_trigrams(text)))


async def _few_matches(session: AsyncSession, text: str, *, sqlite: bool) -> Any:
    """The keys of the names that hold ``text`` (SQLite: hold its trigrams) when fewer than
    ``FEW_MATCHES`` do, else None: SQLite, the FTS rowids (case ids) in one comma-separated
    text (``group_concat``'s own separator); PostgreSQL, the LRNs as an array. The page then
    reads those rows by key instead of asking the trigram index a second time (half a rare
    fragment's time)."""
    if sqlite:
        probe = _fts_rowids(text).limit(FEW_MATCHES).subquery()
        found, keys = (await session.execute(select(
            func.count(), func.group_concat(probe.c.rowid)).select_from(probe))).one()
        keys = keys or ""
    else:
        probe = select(col(RosterEntry.lrn)).where(
            col(RosterEntry.name_key).like(like_pattern(text), escape="\\")
        ).limit(FEW_MATCHES).subquery()
        found, keys = (await session.execute(select(
            func.count(), func.array_agg(probe.c.lrn)).select_from(probe))).one()
        keys = keys or []
    return keys if int(found or 0) < FEW_MATCHES else None


async def page_rows(session: AsyncSession, q: RosterQuery, *, sqlite: bool,
                    after: tuple[str, str] | None, every_status: bool) -> list[Any]:
    """Up to ``q.limit + 1`` rows of the page after ``after`` (name_key, lrn), in order;
    ``every_status``: the query names every public status."""
    if q.q is not None and not sqlite:
        # after five runs asyncpg's prepared statement may get a generic plan, made without
        # the pattern: it walks the whole sort index for a rare fragment
        await session.execute(_CUSTOM_PLAN)
    if q.q is None or len(q.q) < _TRIGRAM:
        return await _rows(session, _statement(q, after, names_first=False, sqlite=sqlite,
                                               every_status=every_status))
    matched = await _few_matches(session, q.q, sqlite=sqlite)
    if matched is not None:
        if not matched:  # no name holds it: no page to read
            return []
        return await _rows(session, _statement(q, after, names_first=True, sqlite=sqlite,
                                               every_status=every_status, among=True),
                           {"keys": matched})
    # a common fragment: walk a bounded stretch of the sort index; the page is right if it
    # fills there. Matches may crowd one part of the order (names that begin with the word),
    # so a stretch without a full page falls back to the names
    rows = await _rows(session, _statement(q, after, names_first=False, sqlite=sqlite,
                                           every_status=every_status, window=WALK))
    if len(rows) > q.limit:
        return rows
    return await _rows(session, _statement(q, after, names_first=True, sqlite=sqlite,
                                           every_status=every_status))


async def _rows(session: AsyncSession, stmt: Select[*tuple[Any, ...]],
                parameters: dict[str, Any] | None = None) -> list[Any]:
    return list((await session.execute(stmt, parameters)).all())
