"""Read plans (``iris_engine.store.plans``): a read of several statements, each chosen from what
the last found, run on the driver (SQLite: whole in a worker thread, in one read transaction;
PostgreSQL: on a pooled connection, each statement planned with its values), or through
SQLAlchemy where the driver cannot be used. On each database, through the real engine."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from iris_engine.errors import NotFound
from iris_engine.roster import search
from iris_engine.roster.models import RosterEntry, RosterMeta
from iris_engine.roster.service import RosterQuery
from iris_engine.store.db import Database
from iris_engine.store.plans import Plan
from tests.integration.conftest import World, statements
from tests.integration.test_roster_search_plans import _seed

#: a query per form of page the search reads (over ``_seed``'s names): no text, a short
#: fragment, a rare one (the probe's keys), common ones walked and fallen back on (FEW_MATCHES
#: and WALK lowered below), by country and statuses side by side or apart, a sector (the
#: fallback that joins), a certificate-number prefix, a corridor, a fragment nobody's
QUERIES = [
    RosterQuery(), RosterQuery(limit=7), RosterQuery(q="ab", limit=5),
    RosterQuery(q="ab 7"), RosterQuery(q="ltd", limit=6),
    RosterQuery(q="jobs", country="QA", limit=4),
    RosterQuery(q="staff", status=("accredited", "expired"), limit=3),
    RosterQuery(q="manpower", status=("suspended",), country="NP", limit=2),
    RosterQuery(q="trade", sector="construction", limit=3), RosterQuery(lrn="LRN9000001"),
    RosterQuery(q="fair", origin="NP", destination="QA"), RosterQuery(q="no such name"),
]


async def _pages(db: Database, roster: Any, query: RosterQuery) -> list[dict[str, Any]]:
    """Every page of ``query``, through the cursors, as the roster's builds answer them."""
    pages, cursor = [], None
    for _ in range(200):  # bounded
        q = RosterQuery(**{**{f: getattr(query, f) for f in query.__slots__},  # type: ignore[attr-defined]
                           "cursor": cursor}).checked()
        body, _reach = await roster._search(q)
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the pages never ended")


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # few names count as common and a walk is short: every plan of page_plan is taken
    monkeypatch.setattr(search, "FEW_MATCHES", 2)
    monkeypatch.setattr(search, "WALK", 2)
    yield


async def test_every_search_runs_on_the_driver_and_answers_what_sqlalchemy_answers(
        world: World, walks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    await _seed(world)
    db, roster = world.services.db, world.services.roster

    async def no_session(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("a search went through SQLAlchemy")

    taken: set[str] = set()
    statement, page_names = search._statement, search._page_names

    def spied(shape: Any) -> Any:
        taken.add(shape.plan)
        return statement(shape)

    def spied_names(shape: Any) -> Any:
        taken.add("page names")
        return page_names(shape)

    monkeypatch.setattr(search, "_statement", spied)
    monkeypatch.setattr(search, "_page_names", spied_names)
    with monkeypatch.context() as patched:
        patched.setattr(db, "read", no_session)
        with statements(world) as seen:
            on_driver = [await _pages(db, roster, q) for q in QUERIES]
    assert not any(s.startswith(("BEGIN", "SET")) for s in seen), seen  # no session's
    monkeypatch.setattr(db, "_direct", None)  # as when SQL is echoed
    with statements(world) as seen:
        through_sqlalchemy = [await _pages(db, roster, q) for q in QUERIES]
    assert on_driver == through_sqlalchemy
    assert taken == {search.SCAN, search.AMONG, search.WINDOW, search.NAMES, "page names"}
    assert sum(len(p["items"]) for pages in on_driver for p in pages) > 100  # they found rows
    assert any(len(pages) > 1 for pages in on_driver)  # and followed cursors
    if not db.is_sqlite:  # the session's statements are planned with their values too
        assert any("plan_cache_mode" in s for s in seen)


async def test_a_cursor_that_names_no_entry_is_not_found_on_either_path(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    roster = world.services.roster
    query = RosterQuery(cursor="LRN99999999").checked()
    with pytest.raises(NotFound, match="no roster entry LRN99999999"):
        await roster._search(query)
    monkeypatch.setattr(world.services.db, "_direct", None)
    with pytest.raises(NotFound, match="no roster entry LRN99999999"):
        await roster._search(query)


def _version_then(statement: Any) -> Plan[list[Any]]:
    first = yield select(col(RosterMeta.version)), {}
    rows = yield statement, {}
    return [first[0][0], *rows[0]]


async def test_a_plan_with_a_statement_the_driver_refuses_is_read_through_sqlalchemy(
        world: World) -> None:
    """text() names no columns: the plan is read again, whole, in a read transaction."""
    db = world.services.db
    version, answer = await db.read_plan(lambda: _version_then(text("SELECT 41 + 1")))
    assert answer == 42 and version >= 0


async def test_what_a_plan_sees_of_a_write_between_its_statements(world: World) -> None:
    """A write committed by another connection between two statements of a plan: on SQLite
    the plan is one read transaction and its second statement does not see it; on
    PostgreSQL each statement runs alone (as READ COMMITTED runs it) and the second does."""
    db = world.services.db
    version = select(col(RosterMeta.version))

    async def write_meanwhile() -> None:
        async with db.write() as session:
            await session.execute(text("UPDATE roster_meta SET version = version + 1"))

    def plan_sqlite(path: str) -> Plan[tuple[int, int]]:
        before = (yield version, {})[0][0]
        other = sqlite3.connect(path, isolation_level=None)  # in the plan's own thread
        try:
            other.execute("UPDATE roster_meta SET version = version + 1")
        finally:
            other.close()
        return before, (yield version.where(col(RosterMeta.id) >= 0), {})[0][0]

    if db.is_sqlite:
        path = db.settings.database_url.split(":///", 1)[1]
        before, after = await db.read_plan(lambda: plan_sqlite(path))
        assert before == after  # one moment throughout
        assert (await db.fetch_one(version))[0] == before + 1
    else:
        written: list[asyncio.Task[None]] = []

        def plan() -> Plan[tuple[int, int]]:
            before = (yield version, {})[0][0]
            # the write begins once the first statement has read (the plan runs on the loop)
            written.append(asyncio.get_running_loop().create_task(write_meanwhile()))
            while not written[0].done():  # each statement is a turn of the loop for the write
                yield select(func.pg_sleep(0.01)), {}
            return before, (yield version.where(col(RosterMeta.id) >= 0), {})[0][0]

        before, after = await db.read_plan(plan)
        await written[0]
        assert after == before + 1  # each statement sees what is committed when it runs


async def test_where_a_plan_runs(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite: in a reader thread, not on the event loop's (a search may scan); PostgreSQL:
    on connections whose statements are planned with their values (a prepared statement run
    often may get a generic plan, made without the LIKE pattern), and the statements run
    alone elsewhere keep the server's default. The same through SQLAlchemy."""
    db = world.services.db
    loop_thread = threading.current_thread()
    setting = select(func.current_setting("plan_cache_mode"))

    def plan() -> Plan[tuple[bool, str | None]]:
        elsewhere = threading.current_thread() is not loop_thread
        if db.is_sqlite:
            return elsewhere, None
        return elsewhere, str((yield setting, {})[0][0])

    if db.is_sqlite:
        assert await db.read_plan(plan) == (True, None)
    else:
        assert await db.read_plan(plan) == (False, "force_custom_plan")
        assert (await db.fetch_one(setting))[0] != "force_custom_plan"
        monkeypatch.setattr(db, "_direct", None)
        assert await db.read_plan(plan) == (False, "force_custom_plan")


async def test_a_plan_that_fails_leaves_its_connection_fit_for_the_next(world: World) -> None:
    db = world.services.db

    def failing() -> Plan[None]:
        yield select(col(RosterEntry.lrn)).limit(1), {}
        raise NotFound("stop here")

    for _ in range(3 * max(2, db.settings.db_pool_size)):  # every pooled connection, and more
        with pytest.raises(NotFound):
            await db.read_plan(failing)
    assert await db.read_plan(lambda: _version_then(select(func.count()).select_from(
        RosterEntry))) is not None


async def test_searches_at_once_answer_what_they_answer_one_at_a_time(world: World,
                                                                      walks: None) -> None:
    """Plans in flight together (SQLite: in several worker threads, each on its own
    connection; PostgreSQL: on several pooled connections) do not mix their rows."""
    await _seed(world)
    roster = world.services.roster
    queries = [q.checked() for q in QUERIES] * 4
    alone = [await roster._search(q) for q in queries]
    together = await asyncio.gather(*(roster._search(q) for q in queries))
    assert [body for body, _ in together] == [body for body, _ in alone]
