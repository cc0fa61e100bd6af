"""The roster page cache: the version is re-read once per expiry however many requests wait,
eviction is least recently used, and a version that moved drops only the pages the entries
changed since can touch (their rows, their names, the stretch of roster order a search read),
while a page read across a change is never kept once the change is known."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import Any

import pytest

from iris_engine.roster.service import MAX_TARGETED, Changed, Reach, Roster


class _Rows:
    def __init__(self, rows: list[Changed]) -> None:
        self._rows = rows

    def all(self) -> list[Changed]:
        return self._rows


class _FakeDb:
    """Stands in for Database.fetch_one() (the version, its reads counted) and read() (the
    entries changed after a version: ``changed``, version -> entries as they are now)."""

    is_sqlite = True

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.changed: dict[int, list[Changed]] = {}
        self.reads = 0

    async def fetch_one(self, _stmt: Any) -> tuple[int]:
        self.reads += 1
        await asyncio.sleep(0.01)  # let other requests pile up behind the refresh
        return (self.version,)

    @asynccontextmanager
    async def read(self, *, short: bool = False) -> Any:
        db = self

        class _Session:
            async def execute(self, stmt: Any) -> _Rows:
                since = stmt.compile().params["changed_in_1"]
                return _Rows([row for v, rows in sorted(db.changed.items()) if v > since
                              for row in rows])

        yield _Session()

    def change(self, *entries: tuple[str, str] | Changed) -> None:
        """A roster change that numbers these entries (lrn, name_key: accredited in NP)
        with the next version."""
        self.version += 1
        self.changed[self.version] = [e if isinstance(e, Changed) else
                                      Changed(e[0], e[1], "accredited", "NP") for e in entries]


def _fresh(roster: Roster, version: int = 1) -> None:
    roster._version = version
    roster._checked_at = time.monotonic()


def _build(tag: str, reach: Reach | None = None) -> Any:
    async def make() -> tuple[dict[str, Any], Reach]:
        return {"items": [tag]}, reach or Reach(everything=True)
    return make


async def test_one_version_read_per_expiry() -> None:
    db = _FakeDb()
    roster = Roster(db, ttl=60)  # type: ignore[arg-type]
    versions = await asyncio.gather(*(roster.version() for _ in range(50)))
    assert set(versions) == {1} and db.reads == 1


async def test_lru_eviction() -> None:
    db = _FakeDb()
    roster = Roster(db, ttl=0, max_entries=2)  # type: ignore[arg-type]
    a = await roster._cached("a", _build("a"))
    await roster._cached("b", _build("b"))
    assert (await roster._cached("a", _build("a2"))) is a  # "a" is now most recently used
    await roster._cached("c", _build("c"))  # evicts "b", not "a"
    assert set(roster._pages) == {"a", "c"}
    b2 = await roster._cached("b", _build("b2"))  # built again, and kept
    assert b"b2" in b2.body and roster.is_current(b2)


def _search(lrns: list[str], lower: tuple[str, str] | None,
            upper: tuple[str, str] | None, cursor: str | None = None) -> Reach:
    return Reach(lrns=frozenset(lrns + ([cursor] if cursor else [])), ranged=True,
                 lower=lower, upper=upper)


async def _cache_all(roster: Roster) -> dict[str, Any]:
    """Pages of every kind: a first page of a search (rows b, c; the next row d), its
    second page (after c: rows d, e; the end), an entry, a history and the countries."""
    pages = {
        "first": await roster._cached("first", _build("first", _search(
            ["LB", "LC"], None, ("d", "LD")))),
        "second": await roster._cached("second", _build("second", _search(
            ["LD", "LE"], ("c", "LC"), None, cursor="LC"))),
        "entry-LB": await roster._cached("entry-LB", _build("entry", Reach(lrns=frozenset({"LB"})))),
        "history-LX": await roster._cached("history-LX", _build("h", Reach(lrns=frozenset({"LX"})))),
        "countries": await roster._cached("countries", _build("countries")),
    }
    return pages


@pytest.mark.parametrize(("changed", "dropped"), [
    # a status change of an entry shown on the first page: that page, its entry, the countries
    ([("LB", "b")], {"first", "entry-LB", "countries"}),
    # an entry nobody shows, whose place in roster order is past the first page's next row:
    # only the second page (which reads to the end) and the countries
    ([("LZ", "z")], {"second", "countries"}),
    # a new name that sorts into the first page's stretch: it may now be on it
    ([("LN", "bb")], {"first", "countries"}),
    # exactly the first page's next row: its "more" and next cursor depend on it
    ([("LD", "d")], {"first", "second", "countries"}),
    # the second page's cursor entry renamed: where that page starts has moved
    ([("LC", "zz")], {"first", "second", "countries"}),
    # an entry whose history page is kept
    ([("LX", "a")], {"first", "history-LX", "countries"}),
])
async def test_a_change_drops_only_the_pages_it_can_touch(
        changed: list[tuple[str, str]], dropped: set[str]) -> None:
    db = _FakeDb()
    roster = Roster(db, ttl=0)  # type: ignore[arg-type]
    pages = await _cache_all(roster)
    db.change(*changed)
    await roster.version()
    assert {name for name, page in pages.items() if not roster.is_current(page)} == dropped
    assert set(roster._pages) == set(pages) - dropped


def _filtered(**filters: Any) -> Reach:
    """A search page to the end of the roster (its stretch holds every later place)."""
    return Reach(lrns=frozenset({"LS"}), ranged=True, lower=None, upper=None, **filters)


@pytest.mark.parametrize(("reach", "entry", "touched"), [
    # a name search is touched by an entry whose name holds the fragment, not by another
    (_filtered(text="everest"), Changed("LA", "mount everest jobs", "suspended", "NP"), True),
    (_filtered(text="everest"), Changed("LA", "kathmandu jobs", "suspended", "NP"), False),
    # a search for the suspended, by an entry that became suspended, not by one reinstated
    (_filtered(statuses=frozenset({"suspended"})), Changed("LA", "a", "suspended", "NP"), True),
    (_filtered(statuses=frozenset({"suspended"})), Changed("LA", "a", "accredited", "NP"), False),
    # a country's search, by an entry that works there or not
    (_filtered(country="QA"), Changed("LA", "a", "accredited", "NP QA"), True),
    (_filtered(country="QA"), Changed("LA", "a", "accredited", "NP AE"), False),
    # certificate numbers that begin so
    (_filtered(lrn_prefix="LRN001"), Changed("LRN00123", "a", "accredited", "NP"), True),
    (_filtered(lrn_prefix="LRN001"), Changed("LRN00223", "a", "accredited", "NP"), False),
    # an entry the page shows is always a change to it, whatever the filters say now
    (_filtered(text="everest"), Changed("LS", "renamed", "withdrawn", "AE"), True),
])
def test_a_search_s_filters_say_which_changes_can_touch_it(
        reach: Reach, entry: Changed, touched: bool) -> None:
    assert reach.touched_by(entry, ordered=True) is touched


def test_unordered_text_checks_no_certificate_prefix() -> None:
    # with a collation other than code point order a prefix is not a range of LRNs here
    page = _filtered(lrn_prefix="LRN001")
    assert page.touched_by(Changed("LRN00223", "a", "accredited", "NP"), ordered=False)


async def test_a_database_that_does_not_sort_by_code_point_drops_every_search() -> None:
    db = _FakeDb()
    roster = Roster(db, ttl=0)  # type: ignore[arg-type]
    pages = await _cache_all(roster)
    roster._ordered = False  # e.g. PostgreSQL with an en_US collation
    db.change(("LZ", "z"))
    await roster.version()
    assert {name for name, page in pages.items() if not roster.is_current(page)} == {
        "first", "second", "countries"}


async def test_a_move_that_numbered_no_entry_or_too_many_drops_everything() -> None:
    db = _FakeDb()
    roster = Roster(db, ttl=0)  # type: ignore[arg-type]
    pages = await _cache_all(roster)
    db.version += 1  # moved with no entry numbered (a bulk load, a restore)
    await roster.version()
    assert not any(roster.is_current(page) for page in pages.values())
    pages = await _cache_all(roster)
    db.change(*[(f"L{i:05}", f"zz{i}") for i in range(MAX_TARGETED + 1)])
    await roster.version()
    assert not any(roster.is_current(page) for page in pages.values())


async def test_a_page_read_across_a_change_is_dropped_once_the_change_is_known() -> None:
    db = _FakeDb()
    roster = Roster(db, ttl=60)  # type: ignore[arg-type]
    _fresh(roster)
    await roster._cached("other", _build("other", Reach(lrns=frozenset({"LO"}))))

    async def read_then_change() -> tuple[dict[str, Any], Reach]:
        db.change(("LB", "b"))  # commits while the page is being read (its read is older)
        roster.invalidate()  # this process made the change
        return {"items": ["old"]}, Reach(lrns=frozenset({"LB"}))

    stale = await roster._cached("k", read_then_change)
    assert b"old" in stale.body
    fresh = await roster._cached("k", _build("new", Reach(lrns=frozenset({"LB"}))))
    assert b"new" in fresh.body and not roster.is_current(stale)
    assert (await roster._cached("k", _build("again"))) is fresh  # now it is kept
    assert set(roster._pages) == {"other", "k"}  # the change did not touch "other"


async def test_a_page_built_while_a_change_is_taken_in_is_not_kept() -> None:
    db = _FakeDb()
    roster = Roster(db, ttl=0)  # type: ignore[arg-type]
    await roster._cached("other", _build("other", Reach(lrns=frozenset({"LO"}))))

    async def slow_read() -> tuple[dict[str, Any], Reach]:
        db.change(("LQ", "q"))
        await roster.version()  # another request takes the change in meanwhile
        return {"items": ["maybe old"]}, Reach(lrns=frozenset({"LP"}))

    page = await roster._cached("p", slow_read)
    assert b"maybe old" in page.body and not roster.is_current(page)
    assert "p" not in roster._pages


class _Counted:
    """A build that counts its runs and holds until ``release`` (a slow query)."""

    def __init__(self, tag: str, fail: Exception | None = None) -> None:
        self.tag, self.fail, self.runs = tag, fail, 0
        self.release = asyncio.Event()

    async def __call__(self) -> tuple[dict[str, Any], Reach]:
        self.runs += 1
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return {"items": [self.tag, self.runs]}, Reach(everything=True)


async def test_askers_of_a_page_being_built_share_its_one_build() -> None:
    roster = Roster(_FakeDb(), ttl=60)  # type: ignore[arg-type]
    _fresh(roster)
    build = _Counted("herd")
    askers = [asyncio.ensure_future(roster._cached("k", build)) for _ in range(32)]
    await asyncio.sleep(0.01)
    build.release.set()
    pages = await asyncio.gather(*askers)
    assert build.runs == 1 and all(page is pages[0] for page in pages)
    assert roster.is_current(pages[0]) and not roster._building


async def test_a_failed_build_fails_its_askers_and_the_next_asker_builds_again() -> None:
    roster = Roster(_FakeDb(), ttl=60)  # type: ignore[arg-type]
    _fresh(roster)
    build = _Counted("gone", fail=LookupError("no such entry"))
    askers = [asyncio.ensure_future(roster._cached("k", build)) for _ in range(5)]
    await asyncio.sleep(0.01)
    build.release.set()
    outcomes = await asyncio.gather(*askers, return_exceptions=True)
    assert build.runs == 1 and all(isinstance(o, LookupError) for o in outcomes)
    assert not roster._building and "k" not in roster._pages
    again = _Counted("back")
    again.release.set()
    assert b"back" in (await roster._cached("k", again)).body


async def test_an_asker_that_gives_up_leaves_the_build_to_the_others() -> None:
    roster = Roster(_FakeDb(), ttl=60)  # type: ignore[arg-type]
    _fresh(roster)
    build = _Counted("kept")
    first = asyncio.ensure_future(roster._cached("k", build))
    second = asyncio.ensure_future(roster._cached("k", build))
    await asyncio.sleep(0.01)
    first.cancel()  # its client went away
    await asyncio.sleep(0)
    build.release.set()
    page = await second
    assert first.cancelled() and build.runs == 1 and roster.is_current(page)


async def test_a_build_begun_before_a_change_is_not_joined_after_it() -> None:
    db = _FakeDb()
    roster = Roster(db, ttl=0)  # type: ignore[arg-type]
    await roster._cached("other", _build("other", Reach(lrns=frozenset({"LO"}))))
    before = _Counted("before")
    early = asyncio.ensure_future(roster._cached("k", before))
    await asyncio.sleep(0.05)  # its read is under way
    db.change(("LK", "k"))  # the roster changes meanwhile; the next asker learns of it
    after = _Counted("after")
    after.release.set()
    late = await roster._cached("k", after)
    before.release.set()
    stale = await early
    assert (before.runs, after.runs) == (1, 1)
    assert b"after" in late.body and roster.is_current(late) and not roster.is_current(stale)
