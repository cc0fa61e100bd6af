"""Statements run alone on the driver (``iris_engine.store.direct``), on each database through a
real connection: every statement the app runs that way answers what SQLAlchemy answers for it
(values and Python types), the engine's listeners still hear it, what cannot be run as one
fixed text is refused before it runs, a write waits for another process's write lock without
holding the event loop, and the app's shutdown lets go of every connection."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Row, bindparam, func, insert, make_url, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from iris_engine.outbox.store import message_row
from iris_engine.people.tokens import User
from iris_engine.roster import service as roster_service
from iris_engine.store.db import Database, rows_in, run_in, scalar_in
from iris_engine.store.direct import Compiled, Unsupported
from iris_engine.store.models import Case, CaseEvent, OutboxMessage, RateCount
from iris_engine.store.rows import new_row
from iris_engine.web import stores
from tests.databases import driver_dsn
from tests.integration.conftest import Cast, World, grievance_filing, statements, walk_to
from tests.integration.conftest import test_settings as settings_for

_ACCOUNT = select(col(User.id), col(User.organisation_id), col(User.roles), col(User.email),
                  col(User.active), col(User.token_version),
                  col(User.confirmation_hash)).where(col(User.id) == bindparam("user_id"))


async def _through_sqlalchemy(db: Database, statement: Any, parameters: dict[str, Any]) -> Any:
    async with db.write_engine.connect() as connection:
        result = await connection.execute(statement, parameters)
        row = result.first() if result.returns_rows else None
        await connection.rollback()
        return row


async def test_each_statement_alone_answers_what_sqlalchemy_answers(
        world: World, cast: Cast) -> None:
    db = world.services.db
    assert db._direct is not None  # the app's default: statements alone run on the driver
    case_id = await walk_to(cast, "accredited")
    lrn = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"]
    reads: list[tuple[Any, dict[str, Any]]] = [
        (roster_service._ENTRY, {"lrn": lrn}),  # dates, a boolean, the scope's aggregates
        (roster_service._ENTRY, {"lrn": "NO-SUCH-LRN"}),  # no row
        (roster_service._VERSION, {}),
        (_ACCOUNT, {"user_id": cast.manager.user_id}),  # a NULL among the columns
    ]
    for statement, parameters in reads:
        expected = await _through_sqlalchemy(db, statement, parameters)
        got = await db.fetch_one(statement, parameters)
        if expected is None:
            assert got is None
            continue
        assert tuple(got) == tuple(expected), statement
        assert [type(v) for v in got] == [type(v) for v in expected], statement
        assert got._fields == tuple(expected._fields)
    # text() names its columns only once run: it goes through SQLAlchemy, as before
    assert isinstance(one := await db.fetch_one(text("SELECT 1 AS one")), Row) and one.one == 1
    entry = await db.fetch_one(roster_service._ENTRY, {"lrn": lrn})
    assert isinstance(entry.valid_until, date) and entry.under_appeal is False
    assert entry.lrn == entry[0] == lrn and entry.corridors  # by name and by position

    # a write alone: committed as it runs, its RETURNING row answered
    hit = stores._HIT[db.is_sqlite]
    assert tuple(await db.write_one(hit, {"key": "form:direct", "period": 7})) == (1, 0)
    assert tuple(await db.write_one(hit, {"key": "form:direct", "period": 7})) == (2, 0)
    assert await db.write_one(stores._SWEEP, {"before": 8}) is None  # no RETURNING
    async with db.read() as session:
        keys = (await session.execute(select(col(RateCount.key)))).scalars().all()
    assert "form:direct" not in keys and keys  # swept; the log-ins' counts, of this minute, kept


async def test_statements_past_the_kept_many_go_through_sqlalchemy(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller building a new statement per call would make the runner compile on every
    call; past ``_MAX_KEPT`` kept, new statements take SQLAlchemy's path (and still answer)."""
    from iris_engine.store import direct as direct_module

    monkeypatch.setattr(direct_module, "_MAX_KEPT", 2)
    db = world.services.db
    assert db._direct is not None
    db._direct._kept.clear()
    built = [select(func.count()).select_from(User).where(col(User.id) >= bindparam("floor"))
             for _ in range(4)]
    rows = [await db.fetch_one(statement, {"floor": 0}) for statement in built]
    assert [isinstance(row, Row) for row in rows] == [False, False, True, True]
    assert len({row[0] for row in rows}) == 1  # the same answer either way


async def test_the_engines_listeners_hear_each_statement_alone(world: World) -> None:
    with statements(world) as seen:
        await world.services.db.fetch_one(roster_service._VERSION)
    assert seen == ["SELECT roster_meta.version FROM roster_meta"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_what_is_not_one_fixed_text_is_refused_when_first_compiled(dialect: str) -> None:
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

    made = SQLiteDialect_aiosqlite() if dialect == "sqlite" else PGDialect_asyncpg()
    expanding = select(col(User.id)).where(col(User.id).in_(bindparam("ids", expanding=True)))
    with pytest.raises(Unsupported, match="not one fixed statement"):
        Compiled(expanding, made)
    account = Compiled(_ACCOUNT, made)  # one fixed text compiles
    assert account.arguments({"user_id": 7}) == (7,)
    with pytest.raises(KeyError, match="user_id"):  # as SQLAlchemy, a missing value is refused
        account.arguments({})
    held = Compiled(select(col(User.id)).where(col(User.roles) == bindparam("r", value="x")),
                    made)
    assert held.arguments({}) == ("x",) and held.arguments({"r": "y"}) == ("y",)


async def test_sql_echoed_runs_every_statement_through_sqlalchemy(database_url: str) -> None:
    db = Database(settings_for(database_url, echo_sql=True))
    try:
        assert db._direct is None  # so that IRIS_ECHO_SQL logs statements alone too
        assert (await db.fetch_one(text("SELECT 1 AS one"))).one == 1
    finally:
        await db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("connected", [False, True], ids=["connecting", "connected"])
async def test_a_write_alone_waits_for_another_process_lock_without_holding_the_loop(
        world: World, connected: bool) -> None:
    db = world.services.db
    if connected:
        await db.fetch_one(roster_service._VERSION)
    other = sqlite3.connect(db.write_engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction
    ticks = 0

    async def loop_runs() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(loop_runs())
    writing = asyncio.create_task(
        db.write_one(stores._HIT[True], {"key": "form:waiting", "period": 1}))
    await asyncio.sleep(0.3)
    assert not writing.done()  # refused with SQLITE_BUSY, tried again meanwhile
    other.execute("COMMIT")
    assert tuple(await asyncio.wait_for(writing, 5)) == (1, 0)
    ticking.cancel()
    other.close()
    assert ticks >= 20  # the loop served others while the write waited


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_dispose_lets_go_of_the_connections_statements_alone_took(world: World) -> None:
    db = world.services.db
    await asyncio.gather(*(db.fetch_one(select(func.pg_sleep(0.05))) for _ in range(4)))
    name = db.write_engine.url.database

    async def connected() -> int:
        admin = await asyncpg.connect(driver_dsn(world.settings.database_url))
        try:
            return int(await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                "AND pid <> pg_backend_pid()", name))
        finally:
            await admin.close()

    assert await connected() >= 2  # statements at once took connections of their own
    await db.dispose()
    for _ in range(50):
        if await connected() == 0:
            break
        await asyncio.sleep(0.05)
    assert await connected() == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"sqlite_busy_timeout_ms": 300}])
async def test_a_database_busy_past_its_timeout_answers_503_and_saves_nothing(
        world: World, cast: Cast, caplog: pytest.LogCaptureFixture) -> None:
    """Another process holds the write lock longer than the busy timeout: a public filing
    (its rate-limit count runs alone, on the driver) and a staff transition (a transaction
    through SQLAlchemy) each answer 503 with Retry-After, nothing saved, no traceback."""
    case_id = await walk_to(cast, "accredited")
    revision = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
    db = world.services.db
    async with db.read() as session:
        filed = (await session.execute(text("SELECT count(*) FROM grievance"))).scalar_one()
    other = sqlite3.connect(db.write_engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        answers = [await world.client.post("/api/v1/grievances", json=grievance_filing()),
                   await cast.manager.fire(case_id, "suspend", revision, reason_code="other",
                                           note="busy")]
    finally:
        other.execute("ROLLBACK")
        other.close()
    for r in answers:
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "5"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("/busy") and "nothing was saved" in r.json()["detail"]
    assert "Traceback" not in caplog.text and "answered 503" in caplog.text
    async with db.read() as session:
        assert (await session.execute(text("SELECT count(*) FROM grievance"))).scalar_one() == filed
    after = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert (after["state"], after["revision"]) == ("accredited", revision)
    # and once the lock is let go, the same requests go through
    assert (await world.client.post("/api/v1/grievances", json=grievance_filing())
            ).status_code == 201
    assert (await cast.manager.fire(case_id, "suspend", revision, reason_code="other",
                                    note="busy")).status_code == 200


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_sqlalchemys_options_in_the_url_are_not_handed_to_asyncpg(database_url: str) -> None:
    """``?prepared_statement_cache_size=0`` (SQLAlchemy's, for PgBouncer in transaction mode)
    turns off asyncpg's statement cache on these connections too, and asyncpg never sees it."""
    url = make_url(database_url).update_query_dict({"prepared_statement_cache_size": "0"})
    db = Database(settings_for(url.render_as_string(hide_password=False)))
    try:
        assert db._direct is not None
        for _ in range(3):  # prepared anew each time: nothing cached on the connection
            assert (await db.fetch_one(roster_service._VERSION)) is not None
        pool = db._direct._pools[False]  # type: ignore[union-attr]
        connection = await pool.take()
        try:
            assert connection._stmt_cache.get_max_size() == 0
        finally:
            pool.give_back(connection)
    finally:
        await db.dispose()


async def test_a_transitions_writes_run_on_the_driver_inside_its_transaction(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """``run_in``: the event appended to the chain, the case row's new head and the roster's
    projection take the transaction's own connection straight on the driver, inside the
    transaction (a failure after them rolls them back with the rest)."""
    case_id = await walk_to(cast, "accredited")
    revision = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
    direct = world.services.db._direct
    assert direct is not None
    ran: list[str] = []
    real = direct.run_on

    async def counting(driver: Any, compiled: Compiled, parameters: Any, **how: Any) -> Any:
        ran.append(" ".join(compiled.sql.split()[:3]))
        return await real(driver, compiled, parameters, **how)

    monkeypatch.setattr(direct, "run_on", counting)
    r = await cast.manager.fire(case_id, "suspend", revision, reason_code="other", note="x")
    assert r.status_code == 200, r.text
    # the case's new state (before the effects), the entry's followers, the chain's new head,
    # the timers left, the notice's recipients, the response's non-conformities, then the
    # roster's version, entry and change (``before_commit``)
    assert ran == ["UPDATE case_file SET", "SELECT subscription.id, subscription.channel,",
                   "UPDATE case_file SET",
                   "INSERT INTO case_event", "UPDATE timer SET",
                   "SELECT app_user.id, app_user.name,",
                   "SELECT non_conformity.id, non_conformity.case_id,", "UPDATE roster_meta SET",
                   "UPDATE roster_entry SET", "INSERT INTO roster_change"], ran

    # a failure after them in the same transaction takes them back
    async def failing(driver: Any, compiled: Compiled, parameters: Any, **how: Any) -> Any:
        row = await real(driver, compiled, parameters, **how)
        if compiled.sql.startswith("INSERT"):
            raise RuntimeError("the process fails right after the event was written")
        return row

    monkeypatch.setattr(direct, "run_on", failing)
    r = await cast.manager.fire(case_id, "reinstate", revision + 1, reason_code="other",
                                note="x")
    assert r.status_code == 500 and "nothing was saved" in r.json()["detail"]
    after = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert (after["state"], after["revision"]) == ("suspended", revision + 1)
    report = await world.services.audit.verify()  # every chain whole, the heads where they were
    assert report.intact, report.findings


async def test_a_statement_run_in_a_transaction_fails_as_sqlalchemy_would_say(
        world: World, cast: Cast) -> None:
    """A constraint broken on the driver is SQLAlchemy's ``IntegrityError`` (callers catch
    that, e.g. a reference drawn twice), and a savepoint around it keeps the transaction."""
    case_id = await walk_to(cast, "accredited")
    db = world.services.db
    duplicate = insert(CaseEvent.__table__).returning(  # type: ignore[attr-defined]
        CaseEvent.__table__.c.id)  # type: ignore[attr-defined]
    async with db.write() as session:
        first = (await session.execute(select(CaseEvent).where(
            col(CaseEvent.case_id) == case_id, col(CaseEvent.seq) == 1))).scalar_one()
        values = {c.key: getattr(first, c.key) for c in CaseEvent.__table__.c  # type: ignore[attr-defined]
                  if c.key != "id"}
        session.expunge(first)
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await run_in(session, duplicate, values)  # (case_id, seq) is taken
        assert session.info.get("iris_driver") is not None  # it ran on the driver
        values["seq"] = 10_000  # the transaction goes on after the savepoint
        assert (await run_in(session, duplicate, values))[0] > first.id
    async with db.read() as session:
        seqs = (await session.execute(select(col(CaseEvent.seq)).where(
            col(CaseEvent.case_id) == case_id))).scalars().all()
    assert 10_000 in seqs and seqs.count(1) == 1


async def test_where_the_driver_cannot_be_used_sqlalchemy_answers_the_same(
        world: World, cast: Cast) -> None:
    """``run_in``, ``scalar_in`` and ``rows_in`` outside a write transaction (a guard asked
    while transitions are listed) and with rows still to flush go through ``session.execute``,
    and answer what they answer on the driver, a query of the ORM's entities included."""
    case_id = await walk_to(cast, "accredited")
    counted = select(func.count()).select_from(CaseEvent).where(  # ORM-enabled: an entity
        col(CaseEvent.case_id) == bindparam("of_case"))
    listed = (select(col(CaseEvent.seq), col(CaseEvent.event))
              .where(col(CaseEvent.case_id) == bindparam("of_case")).order_by(col(CaseEvent.seq)))
    nothing = select(col(CaseEvent.id)).where(col(CaseEvent.case_id) == bindparam("of_case"))
    values = {"of_case": case_id}
    answers = []
    async with world.services.db.read() as session:  # no driver: SQLAlchemy
        answers.append((await scalar_in(session, counted, values),
                        [tuple(r) for r in await rows_in(session, listed, values)],
                        await run_in(session, nothing, {"of_case": -1})))
    async with world.services.db.write() as session:  # on the driver
        await session.execute(select(1))
        answers.append((await scalar_in(session, counted, values),
                        [tuple(r) for r in await rows_in(session, listed, values)],
                        await run_in(session, nothing, {"of_case": -1})))
        assert session.info.get("iris_driver") is not None
        case = await session.get(Case, case_id)
        assert case is not None
        case.updated_at = case.updated_at  # unchanged value, but a row to flush: SQLAlchemy
        case.revision = case.revision
        session.add(new_row(OutboxMessage, **message_row(
            channel="email", destination="a@example.org", topic="t",
            payload={"subject": "s", "text": "t"}, now=case.updated_at)))
        answers.append((await scalar_in(session, counted, values),
                        [tuple(r) for r in await rows_in(session, listed, values)],
                        await run_in(session, nothing, {"of_case": -1})))
        await session.rollback()
    assert answers[0] == answers[1] == answers[2], answers
    assert answers[0][0] == len(answers[0][1]) > 3 and answers[0][2] is None


async def test_every_statement_of_a_filing_runs_on_the_driver(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A public filing's transaction, its first statement included, never takes SQLAlchemy's
    execution path: on PostgreSQL the transaction is begun on the driver (``begun``) rather
    than by a first statement sent through SQLAlchemy for its adapter to send BEGIN with."""
    through: list[str] = []
    real = Session._execute_internal

    def counting(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        through.append(" ".join(str(statement).split()[:3]))
        return real(self, statement, *args, **kwargs)

    assert (await world.client.post("/api/v1/grievances", json=grievance_filing())
            ).status_code == 201  # the first filing warms what the app caches
    monkeypatch.setattr(Session, "_execute_internal", counting)
    with statements(world) as ran:
        r = await world.client.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 201, r.text
    assert len(ran) >= 7 and through == [], (ran, through)
