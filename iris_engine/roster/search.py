"""The roster search's SQL: one page in roster order (``name_key``, ``lrn``), read from an index
whatever the roster's size.

Two plans, picked per query:

- **walk**: read the sort index in order and keep the rows that match, until the page is full
  (``ix_roster_sort``, ``ix_roster_status_sort``, or ``ix_roster_country_sort`` for a country,
  whose rows carry the sort key). Fast when matches are common; a name fragment under three
  characters always walks (no trigram answers it).
- **names first**: take the rows whose name holds the fragment from the trigram index, among
  the names of the query's country or statuses only, apply the other filters, sort those few.
  Fast when matches are rare.

The trigram indexes are partitioned by the filters (migration 0018), so "names first" reads
the fragment's names in the country (or status) asked, however common the fragment is
elsewhere. SQLite: the FTS5 tables ``roster_search`` (an entry's name, filed by status) and
``roster_country_search`` (a name per country it works in, filed by country and status) key
each name by a rowid whose high bits are its partition and whose low 32 bits its case id
(``entry_key``, ``country_key``; the migration's triggers compute the same); a partition is a
rowid range FTS5 seeks to, and each name is stored with its LRN, so a fallback orders the names
it found without reading their entries. PostgreSQL: GIN indexes on ``(status, name_key)`` and
``(country, status, name_key)`` (``btree_gin``) intersect the filters with the trigrams.

Neither planner knows how many names a fragment has in a partition, so we ask: at most
``FEW_MATCHES`` keys, then pick (PostgreSQL is also asked for a plan made with the fragment,
not a generic one). The probe answers the keys it found as well as their count, so a page of
few matches reads those rows by key instead of asking the name index again. Both plans filter
with the same exact ``LIKE ... ESCAPE``; the trigram index only narrows the rows first, so
results (rows, order, cursors) are those of a plain scan.

Known weak spot: a fragment with many names in the partition but few on the stretch of the
sort index a walk reads (a common word, asked with a rare status) is read names first, every
one of those names; with a sector or corridor filter the partition is still the country's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
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
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.roster.models import RosterCorridor, RosterCountry, RosterEntry, RosterSector

if TYPE_CHECKING:
    from iris_engine.roster.service import RosterQuery

__all__ = ["FEW_MATCHES", "STATUS_PART", "country_key", "entry_key", "like_pattern", "page_rows"]

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
_ENTRY_FTS = table("roster_search", column("rowid"), column("roster_search"),
                   column("name_key"), column("lrn"))
_COUNTRY_FTS = table("roster_country_search", column("rowid"), column("roster_country_search"),
                     column("name_key"), column("lrn"))
#: a public status's place in a partition (migration 0018's triggers number them the same;
#: any other status is filed under 7, which no search asks for)
STATUS_PART = {"accredited": 0, "suspended": 1, "withdrawn": 2, "expired": 3}
_OTHER_STATUS = 7
#: a trigram table's rowid: the partition above the case id's 32 bits
_CASE_BITS = 32
_CASE_MASK = (1 << _CASE_BITS) - 1
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


def _country_part(country: str) -> int:
    """A country code's number: each letter's code point modulo 1024, ten bits each."""
    return (ord(country[0]) % 1024) * 1024 + ord(country[1]) % 1024


def entry_key(status: str, case_id: int) -> int:
    """An entry's rowid in ``roster_search``: its status's partition, then its case id."""
    return STATUS_PART.get(status, _OTHER_STATUS) << _CASE_BITS | case_id


def country_key(country: str, status: str, case_id: int) -> int:
    """The rowid of an entry's name in ``roster_country_search`` for one of its countries."""
    part = _country_part(country) << 3 | STATUS_PART.get(status, _OTHER_STATUS)
    return part << _CASE_BITS | case_id


def _partitions(q: RosterQuery) -> list[tuple[int, int]]:
    """The rowid ranges (inclusive) a query's names are filed under: its statuses, in its
    country when it names one; statuses numbered side by side make one range."""
    base = _country_part(q.country) << 3 if q.country else 0
    runs: list[list[int]] = []
    for part in sorted(STATUS_PART[s] for s in q.status):
        if runs and runs[-1][1] == part - 1:
            runs[-1][1] = part
        else:
            runs.append([part, part])
    return [((base | low) << _CASE_BITS, (base | high) << _CASE_BITS | _CASE_MASK)
            for low, high in runs]


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
        status = col(RosterCountry.status)  # = the entry's: filtered without reading it
        where = [col(RosterCountry.country) == q.country]
    else:
        key, lrn = col(RosterEntry.name_key), col(RosterEntry.lrn)
        status = col(RosterEntry.status)
        where = []
    if after is not None:
        where.append(tuple_(key, lrn) > after)
    # one status: the walk reads only its entries, in order (``ix_roster_status_sort``,
    # ``ix_roster_country_status_sort``); several are filtered as the walk meets them
    one_status = not every_status and len(q.status) == 1
    if window is not None:
        walked = [*where, status == q.status[0]] if one_status else where
        entries = (select(key.label("name_key"), lrn.label("lrn")).where(*walked)
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
        stmt = stmt.where(col(RosterEntry.case_id).in_(_fts_case_ids(q, q.q)))
    if window is not None:
        if not (every_status or one_status):  # the walked rows are the index's, not a table's
            stmt = stmt.where(col(RosterEntry.status).in_(q.status))
    elif not every_status:  # every public status: no filter (the roster holds no other)
        stmt = stmt.where(status.in_(q.status))
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


def _name_index(q: RosterQuery) -> Any:
    """SQLite's name index a query reads: a country's names, or every entry's."""
    return _COUNTRY_FTS if q.country else _ENTRY_FTS


def _in_partitions(q: RosterQuery, text: str, columns: list[Any],
                   *where: ColumnElement[bool]) -> Select[Any] | CompoundSelect[Any]:
    """``columns`` of the names that hold the trigrams of ``text`` in the query's partitions
    (``roster_country_search`` for a country, else ``roster_search``): a rowid range each, a
    union when its statuses are not side by side."""
    fts = _name_index(q)
    match = fts.c[fts.name].op("MATCH")(_trigrams(text))
    parts = [select(*columns).where(match, *where, fts.c.rowid.between(low, high))
             for low, high in _partitions(q)]
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _fts_case_ids(q: RosterQuery, text: str) -> Select[Any] | CompoundSelect[Any]:
    """The case ids of the names in the query's partitions that hold ``text``'s trigrams."""
    fts = _name_index(q)
    return _in_partitions(q, text, [fts.c.rowid.op("&")(_CASE_MASK).label("case_id")])


def _page_names(q: RosterQuery, text: str, after: tuple[str, str] | None, *, sqlite: bool,
                every_status: bool) -> Select[Any]:
    """The LRNs of the page's names (and the one past it) in roster order, without reading an
    entry: SQLite, from the name index alone (its partitions hold every filter but a sector, a
    corridor or an LRN prefix); PostgreSQL, for a country, from the country's rows (the GIN
    index on country, status and name finds them; each carries its sort key and status)."""
    names: Any
    if sqlite:
        fts = _name_index(q)
        names, where = fts, []
    else:
        assert q.country is not None
        names = RosterCountry.__table__  # type: ignore[attr-defined]
        where = [names.c.country == q.country]
        if not every_status:
            where.append(names.c.status.in_(q.status))
    where += [names.c.name_key.like(like_pattern(text), escape="\\")]
    if after is not None:
        where.append(tuple_(names.c.name_key, names.c.lrn) > after)
    if sqlite:
        found = _in_partitions(q, text, [names.c.name_key, names.c.lrn], *where).subquery()
        return select(found.c.lrn).order_by(found.c.name_key, found.c.lrn).limit(q.limit + 1)
    # an order no index holds, as in ``_statement``: the planner starts from the names
    return (select(names.c.lrn).where(*where).order_by(names.c.name_key + "", names.c.lrn)
            .limit(q.limit + 1))


async def _few_matches(session: AsyncSession, q: RosterQuery, *, sqlite: bool,
                       every_status: bool) -> Any:
    """The keys of the names in the query's country and statuses that hold its fragment
    (SQLite: hold its trigrams) when fewer than ``FEW_MATCHES`` do, else None: SQLite, the
    case ids in one comma-separated text (``group_concat``'s own separator); PostgreSQL, the
    LRNs as an array. The page then reads those rows by key instead of asking the trigram
    index a second time (half a rare fragment's time)."""
    assert q.q is not None
    if sqlite:
        probe = _fts_case_ids(q, q.q).limit(FEW_MATCHES).subquery()
        found, keys = (await session.execute(select(
            func.count(), func.group_concat(probe.c.case_id)).select_from(probe))).one()
        keys = keys or ""
    else:
        pattern = like_pattern(q.q)
        # the GIN index on (country, status, name_key), or on (status, name_key)
        table: Any = RosterCountry if q.country else RosterEntry
        lrns = select(col(table.lrn)).where(col(table.name_key).like(pattern, escape="\\"))
        if q.country:
            lrns = lrns.where(col(RosterCountry.country) == q.country)
        if not every_status:
            lrns = lrns.where(col(table.status).in_(q.status))
        probe = lrns.limit(FEW_MATCHES).subquery()
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
    matched = await _few_matches(session, q, sqlite=sqlite, every_status=every_status)
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
    if (sqlite or q.country) and not (q.sector or q.origin or q.destination or q.lrn):
        # every filter is the partition's: the name index (SQLite), or the country's rows
        # (PostgreSQL), order their own names, and only the page's entries are read
        lrns = list((await session.execute(_page_names(
            q, q.q, after, sqlite=sqlite, every_status=every_status))).scalars())
        if not lrns:
            return []
        found = {r.lrn: r for r in await _rows(session, select(*_COLUMNS).where(
            col(RosterEntry.lrn).in_(bindparam("lrns", expanding=True))), {"lrns": lrns})}
        return [found[lrn] for lrn in lrns]
    return await _rows(session, _statement(q, after, names_first=True, sqlite=sqlite,
                                           every_status=every_status))


async def _rows(session: AsyncSession, stmt: Select[*tuple[Any, ...]],
                parameters: dict[str, Any] | None = None) -> list[Any]:
    return list((await session.execute(stmt, parameters)).all())
