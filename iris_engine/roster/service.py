"""Public roster reads: keyset-paginated search served from a per-process cache.

The cache is keyed by the query and tagged with the roster version (one row that every roster
change moves on, in the same transaction). A process re-reads that version at most every
``roster_cache_seconds``; its own writes make it re-read at once. When the version has moved,
the entries changed since (``roster_entry.changed_in``) say which kept pages they can touch
(``Reach``): only those are dropped, so a change to one recruiter leaves the other searches
cached, with the same bytes and ETag.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from sqlalchemy import bindparam, func, literal_column, select, tuple_
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.errors import FieldError, InvalidInput, NotFound
from iris_engine.roster.models import (
    RosterChange,
    RosterCorridor,
    RosterEntry,
    RosterMeta,
    RosterSector,
)
from iris_engine.roster.search import lrn_list, lrns_among, page_plan
from iris_engine.store.db import Database
from iris_engine.store.plans import Plan
from iris_engine.web.encoding import Encoded

__all__ = ["MAX_TARGETED", "PUBLIC_STATUSES", "CachedPage", "Changed", "PublicStatus", "Reach",
           "Roster", "RosterQuery", "version_in"]

PublicStatus = Literal["accredited", "suspended", "withdrawn", "expired"]
PUBLIC_STATUSES: tuple[str, ...] = get_args(PublicStatus)
_COLUMNS = (col(RosterEntry.lrn), col(RosterEntry.name), col(RosterEntry.country),
            col(RosterEntry.countries), col(RosterEntry.status), col(RosterEntry.accredited_on),
            col(RosterEntry.valid_until), col(RosterEntry.status_since),
            col(RosterEntry.under_appeal))


def _is_code(value: str) -> bool:
    return len(value) == 2 and value.isascii() and value.isalpha()


@dataclass(frozen=True, slots=True)
class RosterQuery:
    q: str | None = None
    lrn: str | None = None
    country: str | None = None
    status: tuple[str, ...] = ()
    cursor: str | None = None
    limit: int = 20
    #: a corridor of the scope: from ``origin``, to ``destination``, or both
    origin: str | None = None
    destination: str | None = None
    sector: str | None = None

    def checked(self, sectors: frozenset[str] | None = None) -> RosterQuery:
        """The query normalised, or refused with a pointer per bad field; ``sectors`` are
        those a scope may name (None: any)."""
        errors = []
        bad = [s for s in self.status if s not in PUBLIC_STATUSES]
        if bad:
            errors.append(FieldError("/query/status", f"unknown status {', '.join(bad)}; one of "
                                     + ", ".join(PUBLIC_STATUSES)))
        for name in ("country", "origin", "destination"):
            value = getattr(self, name)
            if value is not None and not _is_code(value):
                errors.append(FieldError(f"/query/{name}",
                                         "a two-letter ISO 3166-1 country code, e.g. NP"))
        if self.sector is not None and sectors is not None and self.sector not in sectors:
            errors.append(FieldError("/query/sector", f"unknown sector {self.sector!r}; one of "
                                     + ", ".join(sorted(sectors))))
        if not 1 <= self.limit <= 200:
            errors.append(FieldError("/query/limit", "between 1 and 200"))
        if errors:
            raise InvalidInput("the roster query is invalid", errors=errors)
        return RosterQuery(
            q=(self.q or "").strip().casefold() or None,
            lrn=(self.lrn or "").strip().upper() or None,
            country=self.country.upper() if self.country else None,
            status=tuple(sorted(set(self.status))) or PUBLIC_STATUSES,
            cursor=self.cursor, limit=self.limit,
            origin=self.origin.upper() if self.origin else None,
            destination=self.destination.upper() if self.destination else None,
            sector=self.sector,
        )


@dataclass(frozen=True, slots=True)
class Changed:
    """An entry as a roster change left it (what the kept pages are matched against)."""

    lrn: str
    name_key: str
    status: str
    countries: str  # space-separated codes, as ``roster_entry.countries``


@dataclass(frozen=True, slots=True)
class Reach:
    """What a kept page shows of the roster, so a change can be told to touch it or not."""

    #: the entries it shows or names (a search's rows, the one after them, its cursor; an
    #: entry; the entry of a history)
    lrns: frozenset[str] = frozenset()
    #: a search: the stretch of roster order (name_key, lrn) its rows were read from, after
    #: ``lower`` (None: from the start) up to and including ``upper`` (None: to the end). An
    #: entry changed to a key in there may now be among them; one outside cannot be.
    ranged: bool = False
    lower: tuple[str, str] | None = None
    upper: tuple[str, str] | None = None
    #: and of its filters those an entry can be checked against here, each the same test as
    #: the SQL's or looser (name fragment, statuses, country, LRN prefix); its corridor and
    #: sector filters are not checked: any entry may meet them
    text: str | None = None
    statuses: frozenset[str] = frozenset()
    country: str | None = None
    lrn_prefix: str | None = None
    #: any change may touch it (the countries listed)
    everything: bool = False

    def touched_by(self, entry: Changed, *, ordered: bool) -> bool:
        """Whether ``entry`` can change this page; ``ordered``: the database orders text as
        Python compares it (by code point), so places in roster order can be compared here;
        otherwise a search's stretch is taken to hold every place."""
        if self.everything or entry.lrn in self.lrns:
            return True
        if not self.ranged or not self._may_match(entry, ordered=ordered):
            return False
        key = (entry.name_key, entry.lrn)
        return not ordered or ((self.lower is None or key > self.lower) and (
            self.upper is None or key <= self.upper))

    def _may_match(self, entry: Changed, *, ordered: bool) -> bool:
        # a name holds the fragment as LIKE '%fragment%' finds it: both are case-folded, and
        # the fragment's wildcards are escaped there, so it is a plain substring test
        return not (
            (self.text is not None and self.text not in entry.name_key)
            or (self.statuses and entry.status not in self.statuses)
            or (self.country is not None and self.country not in entry.countries.split())
            or (ordered and self.lrn_prefix is not None
                and not entry.lrn.startswith(self.lrn_prefix)))


#: at most this many changed entries are matched against the kept pages one by one; more
#: (a process that was idle through many changes) drop every page
MAX_TARGETED = 256


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    etag: str
    reach: Reach = field(default=Reach(everything=True), compare=False)
    #: where the roster keeps it (``Roster.is_current``)
    key: Any = field(default=None, compare=False)
    #: the body, and gzipped when a client first takes that (``iris_engine.web.encoding``)
    encoded: Encoded = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", Encoded(self.body))

    @property
    def gzip_etag(self) -> str:
        """The gzipped body's own ETag: it is another representation (RFC 9110 8.8.3)."""
        return self.etag[:-1] + '.gz"'


Scope = tuple[list[dict[str, str]], list[str]]
#: a roster entry's corridors (``NP>QA NP>AE``) and sectors (space-separated), each a scalar
#: subquery answered from its table's primary key: the entry and its scope in one statement.
#: Country codes are two letters and sectors identifiers (``bounds.NAME_PATTERN``), so neither
#: holds the separators.
#: The separator is SQL text, not a string SQLAlchemy would render into every execution's
#: statement (``aggregate_strings`` binds a str as a literal, processed on each run).
_SPACE: Any = literal_column("' '")
_CORRIDORS_TEXT = (
    select(func.aggregate_strings(col(RosterCorridor.origin) + ">" + col(RosterCorridor.destination), _SPACE))
    .where(col(RosterCorridor.lrn) == col(RosterEntry.lrn)).scalar_subquery().label("corridors"))
_SECTORS_TEXT = (
    select(func.aggregate_strings(col(RosterSector.sector), _SPACE))
    .where(col(RosterSector.lrn) == col(RosterEntry.lrn)).scalar_subquery().label("sectors"))
#: the roster's version (one row)
_VERSION = select(col(RosterMeta.version))
#: one entry and its scope, by LRN (built once: building a statement costs more than running it)
_ENTRY = select(*_COLUMNS, _CORRIDORS_TEXT, _SECTORS_TEXT).where(
    col(RosterEntry.lrn) == bindparam("lrn"))
#: the scopes of a page's entries, per database (SQLite: True)
_SCOPES = {sqlite: select(col(RosterEntry.lrn), _CORRIDORS_TEXT, _SECTORS_TEXT).where(
    lrns_among(sqlite)) for sqlite in (True, False)}
#: where a page after a cursor begins: the cursor's entry's place
_CURSOR = select(col(RosterEntry.name_key)).where(col(RosterEntry.lrn) == bindparam("lrn"))


def _scope(corridors: str | None, sectors: str | None) -> Scope:
    """The scope as the roster shows it from its stored text: corridors by origin, then
    destination; sectors sorted (the aggregates promise no order)."""
    pairs = sorted(tuple(c.split(">", 1)) for c in (corridors or "").split())
    return ([{"origin": o, "destination": d} for o, d in pairs], sorted((sectors or "").split()))


def _row(r: Any, scope: Scope = ([], [])) -> dict[str, Any]:
    return {
        "lrn": r.lrn, "name": r.name, "country": r.country,
        "countries_of_operation": r.countries.split(), "status": r.status,
        "current": r.status == "accredited", "under_appeal": bool(r.under_appeal),
        "accredited_on": r.accredited_on.isoformat(),
        "valid_until": r.valid_until.isoformat(), "status_since": r.status_since.isoformat(),
        "corridors": scope[0], "sectors": scope[1],
    }


def _search_plan(q: RosterQuery, *, sqlite: bool,
                 every_status: bool) -> Plan[tuple[dict[str, Any], Reach]]:
    """A search page and what can change it, as a plan (``iris_engine.store.plans``): the
    cursor's place, the page's rows (``page_plan``), their scopes."""
    after = None
    if q.cursor:  # the last entry of the previous page: continue after its place
        found = yield _CURSOR, {"lrn": q.cursor}
        if not found:
            raise NotFound(f"no roster entry {q.cursor} to continue after; pass the "
                           "next_cursor of a previous page")
        after = (found[0][0], q.cursor)
    rows = yield from page_plan(q, sqlite=sqlite, after=after, every_status=every_status)
    more = len(rows) > q.limit
    # the rows were read from roster order after ``after`` up to the one past the page
    # (or to the end): an entry changed to a place outside that cannot enter the page
    last = (rows[q.limit].name_key, rows[q.limit].lrn) if more else None
    # the row past the page counts too: whether there is a next page depends on it
    named = frozenset([r.lrn for r in rows] + ([q.cursor] if q.cursor else []))
    rows = rows[: q.limit]
    scopes: dict[str, Scope] = {}
    if rows:
        scopes = {r.lrn: _scope(r.corridors, r.sectors) for r in (yield _SCOPES[sqlite], {
            "lrns": lrn_list([r.lrn for r in rows], sqlite=sqlite)})}
    return {
        "items": [_row(r, scopes.get(r.lrn) or _scope(None, None)) for r in rows],
        "next_cursor": rows[-1].lrn if more else None,
    }, Reach(lrns=named, ranged=True, lower=after, upper=last, text=q.q,
             statuses=frozenset(q.status), country=q.country, lrn_prefix=q.lrn)


async def _scopes(session: AsyncSession, lrns: list[str], *, sqlite: bool) -> dict[str, Scope]:
    """The corridors and sectors of these entries (one statement, by primary keys)."""
    if not lrns:
        return {}
    return {r.lrn: _scope(r.corridors, r.sectors) for r in (await session.execute(
        _SCOPES[sqlite], {"lrns": lrn_list(lrns, sqlite=sqlite)})).all()}


#: one index probe per country (``ix_roster_country_lookup``): a DISTINCT would read every row
#: (PostgreSQL: ~110 ms at 300,000 rows, against ~9 ms this way)
_DISTINCT_COUNTRIES = sql_text(
    "WITH RECURSIVE c(country) AS ("
    " SELECT min(country) FROM roster_country"
    " UNION ALL"
    " SELECT (SELECT min(r.country) FROM roster_country r WHERE r.country > c.country)"
    " FROM c WHERE c.country IS NOT NULL)"
    " SELECT country FROM c WHERE country IS NOT NULL")


#: collations that order text by code point (PostgreSQL's own ``C``, and the libc locales of
#: that name: glibc's C.UTF-8 sorts by code point)
_CODE_POINT_COLLATIONS = frozenset({"c", "posix", "c.utf-8", "c.utf8", "ucs_basic"})


async def _orders_by_code_point(session: AsyncSession, *, sqlite: bool) -> bool:
    """Whether the roster's sort key is ordered as Python compares strings: SQLite's BINARY
    collation is; on PostgreSQL the database's collation (the column names none) says."""
    if sqlite:
        return True
    collation = await session.scalar(sql_text(
        "SELECT datcollate FROM pg_database WHERE datname = current_database()"))
    return str(collation or "").lower() in _CODE_POINT_COLLATIONS


async def version_in(session: AsyncSession) -> int:
    """The roster's version as ``session`` sees it."""
    return int(await session.scalar(_VERSION) or 0)


class Roster:
    def __init__(self, db: Database, *, ttl: float, max_entries: int = 2048,
                 sectors: frozenset[str] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        #: seconds that only move forward: when the roster version is due to be read again
        self.monotonic = monotonic
        #: the sectors a scope may name (the workflows' ``sectors`` setting): a search by
        #: another is refused, not answered with nothing
        self.sectors = sectors
        self.ttl = ttl
        self.max_entries = max_entries
        self._pages: OrderedDict[Any, CachedPage] = OrderedDict()
        self._version = -1
        self._checked_at = 0.0
        # moves on whenever cached pages are dropped; a page built across a move is not kept,
        # because its read may predate the change that dropped the others
        self._generation = 0
        self._refresh = asyncio.Lock()
        #: pages being built: the generation each began in, and the build all its askers await
        self._building: dict[Any, tuple[int, asyncio.Future[CachedPage]]] = {}
        #: the database sorts text by code point, as Python compares it (None: not asked yet)
        self._ordered: bool | None = None

    def invalidate(self) -> None:
        """Read the version again at the next request (and drop the pages the change
        touches): called after this process commits a roster change."""
        self._checked_at = 0.0

    def _drop_pages(self) -> None:
        self._pages.clear()
        self._generation += 1

    def _drop_touched(self, changed: list[Changed]) -> None:
        """Drop the pages any of these entries (as they are now) can touch."""
        ordered = bool(self._ordered)
        touched = [key for key, page in self._pages.items()
                   if any(page.reach.touched_by(entry, ordered=ordered) for entry in changed)]
        for key in touched:
            del self._pages[key]
        self._generation += 1  # a page read before the change is not kept

    def is_current(self, page: CachedPage) -> bool:
        """``page`` is still what this roster answers (not dropped by a change, nor evicted):
        what is made from it may be served on."""
        return self._pages.get(page.key) is page if page.key is not None else False

    def _due(self) -> bool:
        return self.ttl <= 0 or self.monotonic() - self._checked_at >= self.ttl

    async def version(self) -> int:
        if not self._due():
            return self._version
        async with self._refresh:  # one re-read per expiry, not one per request in flight
            if self._due():
                started = self.monotonic()
                # the version row alone (one statement, no transaction: read on every request
                # when the TTL is 0); when it moved, the entries changed since, by their index.
                # Those are read after the version, so they hold every change up to it (and
                # perhaps later ones: a page dropped early is read again, nothing worse)
                row = await self.db.fetch_one(_VERSION)
                current = int(row[0] or 0) if row is not None else 0
                if current != self._version:
                    if self._version < 0 or not self._pages:
                        self._drop_pages()
                    else:
                        async with self.db.read(short=True) as session:
                            await self._forget_changed(session)
                    self._version = current
                self._checked_at = started
        return self._version

    async def _forget_changed(self, session: AsyncSession) -> None:
        """The version moved on: drop the pages the entries changed since can touch. Every
        change numbers its entry with the version it took (``changed_in``); a move that
        numbered none (a bulk load, a restore) drops every page."""
        if self._ordered is None:
            self._ordered = await _orders_by_code_point(session, sqlite=self.db.is_sqlite)
        changed = [Changed(r.lrn, r.name_key, r.status, r.countries) for r in (await session.execute(
            select(col(RosterEntry.lrn), col(RosterEntry.name_key), col(RosterEntry.status),
                   col(RosterEntry.countries))
            .where(col(RosterEntry.changed_in) > self._version)
            .limit(MAX_TARGETED + 1))).all()]
        if not changed or len(changed) > MAX_TARGETED:
            self._drop_pages()
        else:
            self._drop_touched(changed)

    async def _cached(self, key: Any, build: Any) -> CachedPage:
        """The page kept under ``key``, or built now (``build()`` answers its payload and
        its ``Reach``) and kept unless the roster changed while it was read. Requests for a
        page being built wait for that build instead of running the same query beside it
        (at a million entries a search's SQL takes 40-400 ms, and a cold cache met by 32
        connections ran each one 32 times over); a build begun before the roster last
        changed is not joined."""
        version = await self.version()
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
            return page
        generation = self._generation
        pending = self._building.get(key)
        if pending is None or pending[0] != generation:
            task = asyncio.ensure_future(self._build(key, build, version, generation))
            pending = self._building[key] = (generation, task)
            task.add_done_callback(lambda done: self._built(key, done))
        # a waiter that gives up (its client went away) leaves the build to the others
        return await asyncio.shield(pending[1])

    def _built(self, key: Any, task: asyncio.Future[CachedPage]) -> None:
        held = self._building.get(key)
        if held is not None and held[1] is task:
            del self._building[key]
        if not task.cancelled():
            task.exception()  # retrieved here too: every waiter may have given up

    async def _build(self, key: Any, build: Any, version: int, generation: int) -> CachedPage:
        payload, reach = await build()
        payload["roster_version"] = version
        body = json.dumps(payload, separators=(",", ":")).encode()
        page = CachedPage(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', reach, key)
        if generation == self._generation:
            self._pages[key] = page
            if len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)  # least recently used
        return page

    async def search(self, query: RosterQuery) -> CachedPage:
        q = query.checked(self.sectors)  # the cache key: every filter, normalised
        return await self._cached(("search", q), lambda: self._search(q))

    async def entry(self, lrn: str) -> CachedPage:
        key = lrn.strip().upper()

        async def build() -> tuple[dict[str, Any], Reach]:
            # one statement by key (the entry and its scope): no transaction around it
            row = await self.db.fetch_one(_ENTRY, {"lrn": key})
            if row is None:
                raise NotFound(f"no roster entry {key}; only accredited recruiters and their "
                               "history are listed")
            return ({"entry": _row(row, _scope(row.corridors, row.sectors))},
                    Reach(lrns=frozenset({key})))

        return await self._cached(("entry", key), build)

    async def countries(self) -> CachedPage:
        """The countries the roster's recruiters work in (codes, sorted): ``{"countries":
        [...]}``, read once per roster version."""

        async def build() -> tuple[dict[str, Any], Reach]:
            async with self.db.read() as session:
                codes = (await session.scalars(_DISTINCT_COUNTRIES)).all()
            return {"countries": list(codes)}, Reach(everything=True)

        return await self._cached(("countries",), build)

    async def history(self, lrn: str, limit: int = 50) -> CachedPage:
        """One recruiter's public status changes, newest first (its rows of the change feed,
        read from the feed's index on the LRN): ``{"changes": [...], "roster_version"}``."""
        key = lrn.strip().upper()

        async def build() -> tuple[dict[str, Any], Reach]:
            async with self.db.read(short=True) as session:  # at most ``limit``, by index
                rows = (await session.scalars(
                    select(RosterChange).where(col(RosterChange.lrn) == key)
                    .order_by(col(RosterChange.seq).desc()).limit(limit))).all()
            return {"changes": [{
                "status": r.status, "previous_status": r.previous_status,
                "under_appeal": r.under_appeal, "valid_until": r.valid_until.isoformat(),
                "changed_at": r.changed_at.isoformat()} for r in rows]}, Reach(lrns=frozenset({key}))

        return await self._cached(("history", key, limit), build)

    async def _search(self, q: RosterQuery) -> tuple[dict[str, Any], Reach]:
        sqlite = self.db.is_sqlite
        return await self.db.read_plan(lambda: _search_plan(
            q, sqlite=sqlite, every_status=set(q.status) == set(PUBLIC_STATUSES)))

    async def export(self, session: AsyncSession, statuses: tuple[str, ...] = PUBLIC_STATUSES,
                     batch: int = 2000) -> AsyncIterator[dict[str, Any]]:
        """Every entry in roster order, read in batches on ``session`` (``Database.snapshot``:
        every batch sees the same moment; ``iris_engine.roster.exports`` keeps what it read)."""
        last: tuple[str, str] | None = None
        while True:
            stmt = select(*_COLUMNS, col(RosterEntry.name_key)).where(col(RosterEntry.status).in_(statuses))
            if last:
                stmt = stmt.where(tuple_(col(RosterEntry.name_key), col(RosterEntry.lrn)) > last)
            stmt = stmt.order_by(col(RosterEntry.name_key), col(RosterEntry.lrn)).limit(batch)
            rows = (await session.execute(stmt)).all()
            scopes = await _scopes(session, [r.lrn for r in rows], sqlite=self.db.is_sqlite)
            for r in rows:
                yield _row(r, scopes.get(r.lrn) or _scope(None, None))
            if len(rows) < batch:
                return
            last = (rows[-1].name_key, rows[-1].lrn)
