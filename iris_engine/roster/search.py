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
``FEW_MATCHES`` keys, then pick. On PostgreSQL the probe comes after a walk that did not
fill the page (its probe reads every name the fragment has before its limit, a walk a few
thousand entries), and every statement is planned with its values, not a generic plan.
The probe answers the keys it found as well as their count, so a page of few matches reads
those rows by key instead of asking the name index again. Both plans filter
with the same exact ``LIKE ... ESCAPE``; the trigram index only narrows the rows first, so
results (rows, order, cursors) are those of a plain scan.

Known weak spot: a fragment with many names in the partition but few on the stretch of the
sort index a walk reads (a common word, asked with a rare status) is read names first, every
one of those names; with a sector or corridor filter the partition is still the country's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

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
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import col

from iris_engine.roster.models import RosterCorridor, RosterCountry, RosterEntry, RosterSector
from iris_engine.store.plans import Plan

if TYPE_CHECKING:
    from iris_engine.roster.service import RosterQuery

__all__ = ["FEW_MATCHES", "STATUS_PART", "country_key", "entry_key", "like_pattern", "lrn_list",
           "lrns_among", "page_plan"]

#: a fragment with fewer matches than this is answered names first. Reading a match by its
#: trigram costs ~10-30 us (a row fetched by key: SQLite), a sort index entry walked past ~0.2
#: us; a fragment matched by more is met often enough on a walk
FEW_MATCHES = 500
#: sort index entries a common fragment's walk looks at before it falls back to the names
WALK = 4000
#: trigram indexes need a run of this many characters
_TRIGRAM = 3

#: statements kept per kind (page, probe, names): one per shape of query (``_Shape``) asked
#: lately; a few dozen shapes cover every form the roster's pages send. The driver's runner
#: keeps what it compiled from them (``direct._MAX_KEPT``, all statements together)
_SHAPES = 128
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


class _Shape(NamedTuple):
    """What a page's statement is made of, without the values it is run with: one statement
    is built (and, on the driver, compiled) per shape, its values bound by name (``_values``)."""

    sqlite: bool
    country: bool
    #: statuses filtered on (0: every public status, no filter)
    statuses: int
    #: the name fragment: 0 none, 1 under three characters (no trigram helps), 2 three or more
    text: int
    after: bool
    origin: bool
    destination: bool
    sector: bool
    lrn: bool
    #: ``SCAN``, ``WINDOW``, ``NAMES`` or ``AMONG`` (see ``_statement``)
    plan: str = "scan"
    #: SQLite: the rowid ranges of the query's partitions (``_partitions``)
    ranges: int = 0


#: the plans of a page's statement: let the sort index lead; look only at ``:window`` sort
#: index entries; read the trigram index first; read the rows the probe found (``:keys``)
SCAN, WINDOW, NAMES, AMONG = "scan", "window", "names", "among"


def _shape_and_values(q: RosterQuery, *, sqlite: bool, after: tuple[str, str] | None,
                      every_status: bool) -> tuple[_Shape, dict[str, Any]]:
    """The shape of a query's page statements, and the values they are run with, by name."""
    text = 0 if q.q is None else 1 if len(q.q) < _TRIGRAM else 2
    values: dict[str, Any] = {"limit": q.limit + 1, "window": WALK, "few": FEW_MATCHES,
                              "country": q.country, "origin": q.origin,
                              "destination": q.destination, "sector": q.sector}
    if not every_status:
        values.update((f"status{i}", s) for i, s in enumerate(q.status))
    if after is not None:
        values["after_key"], values["after_lrn"] = after
    ranges = 0
    if q.q is not None:
        values["pattern"] = like_pattern(q.q)
        if text == 2 and sqlite:  # the name index's partitions: a rowid range each
            values["match"] = _trigrams(q.q)
            partitions = _partitions(q)
            ranges = len(partitions)
            for i, (low, high) in enumerate(partitions):
                values[f"low{i}"], values[f"high{i}"] = low, high
    if q.lrn is not None:
        # a range, not LIKE 'X%': both databases answer it from the primary key
        values["lrn_low"], values["lrn_high"] = q.lrn, q.lrn[:-1] + chr(ord(q.lrn[-1]) + 1)
    shape = _Shape(sqlite, q.country is not None, 0 if every_status else len(q.status), text,
                   after is not None, q.origin is not None, q.destination is not None,
                   q.sector is not None, q.lrn is not None, ranges=ranges)
    return shape, values


def _statuses(shape: _Shape) -> list[BindParameter[Any]]:
    return [bindparam(f"status{i}") for i in range(shape.statuses)]


def _after(key: Any, lrn: Any) -> ColumnElement[bool]:
    return tuple_(key, lrn) > tuple_(bindparam("after_key"), bindparam("after_lrn"))


@lru_cache(maxsize=_SHAPES)
def _statement(shape: _Shape) -> Select[*tuple[Any, ...]]:
    """The page's statement: the sort index leads (``SCAN``), over a stretch of ``:window``
    entries only (``WINDOW``), or the trigram index is read first (``NAMES``), or the rows are
    those the probe found (``AMONG``, their keys bound as ``:keys``)."""
    key: Any  # a column of roster_entry, roster_country or the walked stretch
    lrn: Any
    statuses = _statuses(shape)
    if shape.country:  # roster_country leads: its index is in roster order within a country
        key, lrn = col(RosterCountry.name_key), col(RosterCountry.lrn)
        status = col(RosterCountry.status)  # = the entry's: filtered without reading it
        where = [col(RosterCountry.country) == bindparam("country")]
    else:
        key, lrn = col(RosterEntry.name_key), col(RosterEntry.lrn)
        status = col(RosterEntry.status)
        where = []
    if shape.after:
        where.append(_after(key, lrn))
    # one status: the walk reads only its entries, in order (``ix_roster_status_sort``,
    # ``ix_roster_country_status_sort``); several are filtered as the walk meets them
    if shape.plan == WINDOW:
        walked = [*where, status == statuses[0]] if shape.statuses == 1 else where
        entries = (select(key.label("name_key"), lrn.label("lrn")).where(*walked)
                   .order_by(key, lrn).limit(bindparam("window")).subquery("walked"))
        key, lrn = entries.c.name_key, entries.c.lrn
        where = []
        stmt = select(*_COLUMNS).select_from(entries).join(
            RosterEntry, col(RosterEntry.lrn) == lrn)
    elif shape.country:
        stmt = select(*_COLUMNS).select_from(RosterCountry).join(
            RosterEntry, col(RosterEntry.lrn) == lrn)
    else:
        stmt = select(*_COLUMNS)
    stmt = stmt.where(*where)
    if shape.plan == AMONG:
        stmt = stmt.where(_AMONG_SQLITE if shape.sqlite else _AMONG_POSTGRES)
    elif shape.plan == NAMES and shape.sqlite:
        stmt = stmt.where(col(RosterEntry.case_id).in_(_fts_case_ids(shape)))
    if shape.plan == WINDOW:
        if shape.statuses > 1:  # the walked rows are the index's, not a table's
            stmt = stmt.where(col(RosterEntry.status).in_(statuses))
    elif shape.statuses:  # every public status: no filter (the roster holds no other)
        stmt = stmt.where(status.in_(statuses))
    if shape.origin or shape.destination:  # semi-joins, each answered from an index
        corridor = [col(RosterCorridor.lrn) == col(RosterEntry.lrn)]
        if shape.origin:
            corridor.append(col(RosterCorridor.origin) == bindparam("origin"))
        if shape.destination:
            corridor.append(col(RosterCorridor.destination) == bindparam("destination"))
        stmt = stmt.where(exists().where(*corridor))
    if shape.sector:
        stmt = stmt.where(exists().where(col(RosterSector.lrn) == col(RosterEntry.lrn),
                                         col(RosterSector.sector) == bindparam("sector")))
    if shape.text:
        # under three characters no trigram helps (PostgreSQL would read its whole trigram
        # index, 3 s at 1M rows): an expression it cannot use, so the sort index is walked
        name = key if shape.text == 2 else key + ""
        stmt = stmt.where(name.like(bindparam("pattern"), escape="\\"))
    if shape.lrn:
        stmt = stmt.where(col(RosterEntry.lrn) >= bindparam("lrn_low"),
                          col(RosterEntry.lrn) < bindparam("lrn_high"))
    if shape.plan in (NAMES, AMONG):
        # an order no index holds: the planner then starts from the names (the trigram index)
        # rather than walking a sort index in order (the same order: '' adds nothing to a name)
        return stmt.order_by(key + "", lrn).limit(bindparam("limit"))
    return stmt.order_by(key, lrn).limit(bindparam("limit"))


def _name_index(shape: _Shape) -> Any:
    """SQLite's name index a query reads: a country's names, or every entry's."""
    return _COUNTRY_FTS if shape.country else _ENTRY_FTS


def _in_partitions(shape: _Shape, columns: list[Any],
                   *where: ColumnElement[bool]) -> Select[Any] | CompoundSelect[Any]:
    """``columns`` of the names that hold the trigrams ``:match`` in the query's partitions
    (``roster_country_search`` for a country, else ``roster_search``): a rowid range each
    (``:low0``, ``:high0``, ...), a union when its statuses are not side by side."""
    fts = _name_index(shape)
    match = fts.c[fts.name].op("MATCH")(bindparam("match"))
    parts = [select(*columns).where(match, *where, fts.c.rowid.between(
        bindparam(f"low{i}"), bindparam(f"high{i}"))) for i in range(shape.ranges)]
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _fts_case_ids(shape: _Shape) -> Select[Any] | CompoundSelect[Any]:
    """The case ids of the names in the query's partitions that hold its trigrams."""
    fts = _name_index(shape)
    return _in_partitions(shape, [fts.c.rowid.op("&")(_CASE_MASK).label("case_id")])


@lru_cache(maxsize=_SHAPES)
def _page_names(shape: _Shape) -> Select[Any]:
    """The LRNs of the page's names (and the one past it) in roster order, without reading an
    entry: SQLite, from the name index alone (its partitions hold every filter but a sector, a
    corridor or an LRN prefix); PostgreSQL, for a country, from the country's rows (the GIN
    index on country, status and name finds them; each carries its sort key and status)."""
    names: Any
    if shape.sqlite:
        names, where = _name_index(shape), []
    else:
        assert shape.country
        names = RosterCountry.__table__  # type: ignore[attr-defined]
        where = [names.c.country == bindparam("country")]
        if shape.statuses:
            where.append(names.c.status.in_(_statuses(shape)))
    where.append(names.c.name_key.like(bindparam("pattern"), escape="\\"))
    if shape.after:
        where.append(_after(names.c.name_key, names.c.lrn))
    if shape.sqlite:
        found = _in_partitions(shape, [names.c.name_key, names.c.lrn], *where).subquery()
        return (select(found.c.lrn).order_by(found.c.name_key, found.c.lrn)
                .limit(bindparam("limit")))
    # an order no index holds, as in ``_statement``: the planner starts from the names
    return (select(names.c.lrn).where(*where).order_by(names.c.name_key + "", names.c.lrn)
            .limit(bindparam("limit")))


@lru_cache(maxsize=_SHAPES)
def _probe(shape: _Shape) -> Select[*tuple[Any, ...]]:
    """How many names in the query's country and statuses hold its fragment (SQLite: hold its
    trigrams), up to ``:few``, and their keys: SQLite, the case ids in one comma-separated
    text (``group_concat``'s own separator); PostgreSQL, the LRNs as an array."""
    if shape.sqlite:
        probe = _fts_case_ids(shape).limit(bindparam("few")).subquery()
        return select(func.count(), func.group_concat(probe.c.case_id)).select_from(probe)
    # the GIN index on (country, status, name_key), or on (status, name_key)
    table: Any = RosterCountry if shape.country else RosterEntry
    lrns = select(col(table.lrn)).where(col(table.name_key).like(bindparam("pattern"),
                                                                 escape="\\"))
    if shape.country:
        lrns = lrns.where(col(RosterCountry.country) == bindparam("country"))
    if shape.statuses:
        lrns = lrns.where(col(table.status).in_(_statuses(shape)))
    probe = lrns.limit(bindparam("few")).subquery()
    return select(func.count(), func.array_agg(probe.c.lrn)).select_from(probe)


def page_plan(q: RosterQuery, *, sqlite: bool, after: tuple[str, str] | None,
              every_status: bool) -> Plan[list[Any]]:
    """Up to ``q.limit + 1`` rows of the page after ``after`` (name_key, lrn), in order;
    ``every_status``: the query names every public status. A plan (``iris_engine.store.plans``):
    it yields each statement with its values and is sent the rows, so the next statement can
    depend on what the last one found, wherever the statements run."""
    shape, values = _shape_and_values(q, sqlite=sqlite, after=after, every_status=every_status)
    if shape.text < 2:
        return (yield _statement(shape), values)
    walked = False
    if not sqlite:
        # PostgreSQL's probe builds its whole bitmap (every name of the partition holding the
        # fragment's trigrams) before its LIMIT: 5-30 ms for a common fragment at a million
        # entries, where a walk of the sort index costs ~1 ms and fills the page. So the walk
        # comes first; a rare fragment pays that walk before its probe. (SQLite's probe stops
        # at its LIMIT: 0.6 ms; it goes first there.)
        rows = yield _statement(shape._replace(plan=WINDOW)), values
        if len(rows) > q.limit:
            return rows
        walked = True
    count, keys = (yield _probe(shape), values)[0]
    if int(count or 0) < FEW_MATCHES:
        if not keys:  # no name holds it: no page to read
            return []
        return (yield _statement(shape._replace(plan=AMONG)), {**values, "keys": keys})
    if not walked:
        # a common fragment: walk a bounded stretch of the sort index; the page is right if
        # it fills there. Matches may crowd one part of the order (names that begin with the
        # word), so a stretch without a full page falls back to the names
        rows = yield _statement(shape._replace(plan=WINDOW)), values
        if len(rows) > q.limit:
            return rows
    if (sqlite or q.country) and not (q.sector or q.origin or q.destination or q.lrn):
        # every filter is the partition's: the name index (SQLite), or the country's rows
        # (PostgreSQL), order their own names, and only the page's entries are read
        lrns = [r[0] for r in (yield _page_names(shape), values)]
        if not lrns:
            return []
        found = {r.lrn: r for r in (yield _BY_LRNS[sqlite], {"lrns": lrn_list(lrns, sqlite=sqlite)})}
        # PostgreSQL reads each statement afresh: an entry gone since its name was read is
        # left out, one changed meanwhile shows as it is now; either change moved the
        # roster's version, and once this process reads it the page (it touches) is dropped
        return [found[lrn] for lrn in lrns if lrn in found]
    return (yield _statement(shape._replace(plan=NAMES)), values)


def lrns_among(sqlite: bool) -> ColumnElement[bool]:
    """``roster_entry.lrn`` is one of the LRNs bound as ``:lrns`` (``lrn_list``), each read by
    the primary key: one statement text whatever the count."""
    if sqlite:
        return col(RosterEntry.lrn).in_(text("SELECT value FROM json_each(:lrns)"))
    return col(RosterEntry.lrn) == func.any(bindparam("lrns", type_=postgresql.ARRAY(String())))


def lrn_list(lrns: list[str], *, sqlite: bool) -> Any:
    """LRNs as ``lrns_among`` takes them: a JSON array (SQLite's ``json_each``), or an array."""
    return json.dumps(lrns) if sqlite else lrns


#: a page's rows by their LRNs, per database (SQLite: True)
_BY_LRNS = {sqlite: select(*_COLUMNS).where(lrns_among(sqlite)) for sqlite in (True, False)}
