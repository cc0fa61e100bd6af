"""Public roster reads: keyset-paginated search served from a per-process cache.

The cache is keyed by the query and tagged with the roster version (one row that every roster
change moves on, in the same transaction). A process re-reads that version at most every
``roster_cache_seconds``; its own writes invalidate at once.
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

from sqlalchemy import select, tuple_
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
from iris_engine.roster.search import page_rows
from iris_engine.store.db import Database
from iris_engine.web.encoding import Encoded

__all__ = ["PUBLIC_STATUSES", "CachedPage", "PublicStatus", "Roster", "RosterQuery"]

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
class CachedPage:
    body: bytes
    etag: str
    #: the body, and gzipped when a client first takes that (``iris_engine.web.encoding``)
    encoded: Encoded = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", Encoded(self.body))

    @property
    def gzip_etag(self) -> str:
        """The gzipped body's own ETag: it is another representation (RFC 9110 8.8.3)."""
        return self.etag[:-1] + '.gz"'


def _row(r: Any, scope: tuple[list[dict[str, str]], list[str]] = ([], [])) -> dict[str, Any]:
    return {
        "lrn": r.lrn, "name": r.name, "country": r.country,
        "countries_of_operation": r.countries.split(), "status": r.status,
        "current": r.status == "accredited", "under_appeal": bool(r.under_appeal),
        "accredited_on": r.accredited_on.isoformat(),
        "valid_until": r.valid_until.isoformat(), "status_since": r.status_since.isoformat(),
        "corridors": scope[0], "sectors": scope[1],
    }


async def _scopes(session: AsyncSession,
                  lrns: list[str]) -> dict[str, tuple[list[dict[str, str]], list[str]]]:
    """The corridors and sectors of these entries (two indexed reads for a page)."""
    found: dict[str, tuple[list[dict[str, str]], list[str]]] = {lrn: ([], []) for lrn in lrns}
    if not lrns:
        return found
    for lrn, origin, destination in (await session.execute(
            select(col(RosterCorridor.lrn), col(RosterCorridor.origin),
                   col(RosterCorridor.destination))
            .where(col(RosterCorridor.lrn).in_(lrns))
            .order_by(col(RosterCorridor.lrn), col(RosterCorridor.origin),
                      col(RosterCorridor.destination)))).all():
        found[lrn][0].append({"origin": origin, "destination": destination})
    for lrn, sector in (await session.execute(
            select(col(RosterSector.lrn), col(RosterSector.sector))
            .where(col(RosterSector.lrn).in_(lrns))
            .order_by(col(RosterSector.lrn), col(RosterSector.sector)))).all():
        found[lrn][1].append(sector)
    return found


#: one index probe per country (``ix_roster_country_lookup``): a DISTINCT would read every row
#: (PostgreSQL: ~110 ms at 300,000 rows, against ~9 ms this way)
_DISTINCT_COUNTRIES = sql_text(
    "WITH RECURSIVE c(country) AS ("
    " SELECT min(country) FROM roster_country"
    " UNION ALL"
    " SELECT (SELECT min(r.country) FROM roster_country r WHERE r.country > c.country)"
    " FROM c WHERE c.country IS NOT NULL)"
    " SELECT country FROM c WHERE country IS NOT NULL")


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

    def invalidate(self) -> None:
        """Forget everything: called after this process commits a roster change."""
        self._drop_pages()
        self._checked_at = 0.0

    def _drop_pages(self) -> None:
        self._pages.clear()
        self._generation += 1

    def _due(self) -> bool:
        return self.ttl <= 0 or self.monotonic() - self._checked_at >= self.ttl

    async def version(self) -> int:
        if not self._due():
            return self._version
        async with self._refresh:  # one re-read per expiry, not one per request in flight
            if self._due():
                started = self.monotonic()
                async with self.db.read() as session:
                    current = int(await session.scalar(select(col(RosterMeta.version))) or 0)
                if current != self._version:
                    self._drop_pages()
                    self._version = current
                self._checked_at = started
        return self._version

    async def _cached(self, key: Any, build: Any) -> CachedPage:
        version = await self.version()
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
            return page
        generation = self._generation
        payload = await build()
        payload["roster_version"] = version
        body = json.dumps(payload, separators=(",", ":")).encode()
        page = CachedPage(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
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

        async def build() -> dict[str, Any]:
            async with self.db.read() as session:
                row = (await session.execute(select(*_COLUMNS).where(col(RosterEntry.lrn) == key))).first()
                if row is None:
                    raise NotFound(f"no roster entry {key}; only accredited recruiters and their "
                                   "history are listed")
                scope = await _scopes(session, [key])
            return {"entry": _row(row, scope[key])}

        return await self._cached(("entry", key), build)

    async def countries(self) -> CachedPage:
        """The countries the roster's recruiters work in (codes, sorted): ``{"countries":
        [...]}``, read once per roster version."""

        async def build() -> dict[str, Any]:
            async with self.db.read() as session:
                codes = (await session.scalars(_DISTINCT_COUNTRIES)).all()
            return {"countries": list(codes)}

        return await self._cached(("countries",), build)

    async def history(self, lrn: str, limit: int = 50) -> CachedPage:
        """One recruiter's public status changes, newest first (its rows of the change feed,
        read from the feed's index on the LRN): ``{"changes": [...], "roster_version"}``."""
        key = lrn.strip().upper()

        async def build() -> dict[str, Any]:
            async with self.db.read() as session:
                rows = (await session.scalars(
                    select(RosterChange).where(col(RosterChange.lrn) == key)
                    .order_by(col(RosterChange.seq).desc()).limit(limit))).all()
            return {"changes": [{
                "status": r.status, "previous_status": r.previous_status,
                "under_appeal": r.under_appeal, "valid_until": r.valid_until.isoformat(),
                "changed_at": r.changed_at.isoformat()} for r in rows]}

        return await self._cached(("history", key, limit), build)

    async def _search(self, q: RosterQuery) -> dict[str, Any]:
        async with self.db.read() as session:
            after = None
            if q.cursor:  # the last entry of the previous page: continue after its place
                key = await session.scalar(select(col(RosterEntry.name_key)).where(
                    col(RosterEntry.lrn) == q.cursor))
                if key is None:
                    raise NotFound(f"no roster entry {q.cursor} to continue after; pass the "
                                   "next_cursor of a previous page")
                after = (key, q.cursor)
            rows = await page_rows(session, q, sqlite=self.db.is_sqlite, after=after,
                                   every_status=set(q.status) == set(PUBLIC_STATUSES))
            more = len(rows) > q.limit
            rows = rows[: q.limit]
            scopes = await _scopes(session, [r.lrn for r in rows])
        return {
            "items": [_row(r, scopes[r.lrn]) for r in rows],
            "next_cursor": rows[-1].lrn if more else None,
        }

    async def export(self, statuses: tuple[str, ...] = PUBLIC_STATUSES,
                     batch: int = 2000) -> AsyncIterator[dict[str, Any]]:
        """Every entry in roster order, read in batches (no cache: exports are rare)."""
        last: tuple[str, str] | None = None
        while True:
            stmt = select(*_COLUMNS, col(RosterEntry.name_key)).where(col(RosterEntry.status).in_(statuses))
            if last:
                stmt = stmt.where(tuple_(col(RosterEntry.name_key), col(RosterEntry.lrn)) > last)
            stmt = stmt.order_by(col(RosterEntry.name_key), col(RosterEntry.lrn)).limit(batch)
            async with self.db.read() as session:
                rows = (await session.execute(stmt)).all()
                scopes = await _scopes(session, [r.lrn for r in rows])
            for r in rows:
                yield _row(r, scopes[r.lrn])
            if len(rows) < batch:
                return
            last = (rows[-1].name_key, rows[-1].lrn)
