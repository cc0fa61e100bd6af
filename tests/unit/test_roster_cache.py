"""The roster page cache: a page built across a roster change is never kept, the version is
re-read once per expiry however many requests wait, and eviction is least recently used."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import Any

from iris_engine.roster.service import Roster


class _CountingDb:
    """Stands in for Database.read(): answers the version query and counts the reads."""

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.reads = 0

    @asynccontextmanager
    async def read(self) -> Any:
        self.reads += 1
        await asyncio.sleep(0.01)  # let other requests pile up behind the refresh
        db = self

        class _Session:
            async def scalar(self, _stmt: Any) -> int:
                return db.version

        yield _Session()


def _fresh(roster: Roster, version: int = 1) -> None:
    roster._version = version
    roster._checked_at = time.monotonic()


async def test_page_built_across_an_invalidation_is_not_kept() -> None:
    roster = Roster(_CountingDb(), ttl=60)  # type: ignore[arg-type]
    _fresh(roster)

    async def stale_build() -> dict[str, Any]:
        roster.invalidate()  # a roster change commits while this page is being read
        _fresh(roster, 2)
        return {"items": ["old"]}

    first = await roster._cached("k", stale_build)
    assert b"old" in first.body
    built = []

    async def fresh_build() -> dict[str, Any]:
        built.append(1)
        return {"items": ["new"]}

    second = await roster._cached("k", fresh_build)
    assert b"new" in second.body and built == [1]
    assert (await roster._cached("k", fresh_build)) is second  # now it is cached


async def test_one_version_read_per_expiry() -> None:
    db = _CountingDb()
    roster = Roster(db, ttl=60)  # type: ignore[arg-type]
    versions = await asyncio.gather(*(roster.version() for _ in range(50)))
    assert set(versions) == {1} and db.reads == 1


async def test_version_change_drops_pages_and_lru_eviction() -> None:
    db = _CountingDb()
    roster = Roster(db, ttl=0, max_entries=2)  # type: ignore[arg-type]

    def build(tag: str) -> Any:
        async def make() -> dict[str, Any]:
            return {"items": [tag]}
        return make

    a = await roster._cached("a", build("a"))
    await roster._cached("b", build("b"))
    assert (await roster._cached("a", build("a2"))) is a  # "a" is now most recently used
    await roster._cached("c", build("c"))  # evicts "b", not "a"
    assert set(roster._pages) == {"a", "c"}
    db.version = 2
    assert b"a3" in (await roster._cached("a", build("a3"))).body
