"""Engines and transactions. One request is one transaction; writes on SQLite take the lock
up front (BEGIN IMMEDIATE) so a read-then-write never fails half-way with SQLITE_BUSY.

Erasure: a transaction that erases personal data says which tables it touched (``erased``);
once it commits, ``Database.reclaim`` makes the erasure real on disk: SQLite overwrites what is
deleted as it goes (``secure_delete``), and reclaim checkpoints the write-ahead log into the file
and truncates it; PostgreSQL keeps dead row versions until VACUUM, which reclaim runs on those
tables. The ticker reclaims after each batch of timers, the app after each response.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Row, Table, event, insert, make_url, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.base import Executable

from iris_engine.errors import OutcomeUnknown
from iris_engine.settings import Settings
from iris_engine.store import sqlite_inline
from iris_engine.store.direct import DirectPostgres, DirectSqlite, Unsupported, connection_lost
from iris_engine.store.plans import Plan, run_plan_async

__all__ = ["Database", "add_written", "after_commit", "before_commit", "commits_in_request",
           "connection_lost", "erased", "hold_loaded_rows", "insert_in", "rows_in", "run_in",
           "scalar_in", "track_commits"]

log = logging.getLogger(__name__)

_AFTER_COMMIT = "iris_after_commit"
_BEFORE_COMMIT = "iris_before_commit"
_ERASED = "iris_erased_tables"
_HELD = "iris_held_rows"
_IDLE_SINCE = "iris_idle_since"
#: a connection's execution option: its next statement runs alone, in no transaction (SQLite)
_ONE_STATEMENT = "iris_one_statement"
#: a read plan's statements through SQLAlchemy on PostgreSQL: planned with their values, as on
#: the driver (``DirectPostgres.run_plan``)
_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")

T = TypeVar("T")
#: how many write transactions (``Database.write``) the current request has committed, so that
#: an error after one does not tell the client that nothing was saved; each request counts its
#: own from ``track_commits`` (the web edge calls it), elsewhere nothing is counted
_COMMITS: ContextVar[list[int] | None] = ContextVar("iris_commits", default=None)


def track_commits() -> None:
    """Count the write transactions committed from here on in this context (one request)."""
    _COMMITS.set([0])


def commits_in_request() -> int:
    """The write transactions committed since ``track_commits`` in this context."""
    counted = _COMMITS.get()
    return counted[0] if counted is not None else 0


#: a write session's ``Database`` and, once known, its transaction's driver connection
_DATABASE = "iris_database"
_DRIVER = "iris_driver"


async def run_in(session: AsyncSession, statement: Executable,
                 parameters: Mapping[str, Any]) -> Any:
    """The first row (or None) of one Core statement of ``session``'s write transaction,
    run on the transaction's own connection straight on the driver (``direct``: the
    statement compiled once for these parameter names), as ``session.execute`` would run it
    but without SQLAlchemy's execution path. Where that cannot be (a statement that is not
    one fixed text, SQL echoed, rows the session has yet to flush), it is ``session.execute``.
    A transaction not yet begun (PostgreSQL's adapter begins it with its first statement) is
    begun first (``begun``)."""
    return await _run_in(session, statement, parameters, every=False)


async def scalar_in(session: AsyncSession, statement: Executable,
                    parameters: Mapping[str, Any]) -> Any:
    """The first column of the first row (or None) of one Core query of ``session``'s
    write transaction, as ``run_in`` runs it (a count or an EXISTS a guard asks)."""
    row = await _run_in(session, statement, parameters, every=False)
    return row[0] if row is not None else None


async def insert_in(session: AsyncSession, statement: Executable,
                    rows: Sequence[Mapping[str, Any]]) -> None:
    """Write ``rows`` in ``session``'s write transaction with one INSERT ``statement``: one row
    (the common case) as ``run_in`` runs it, several as SQLAlchemy's executemany."""
    if len(rows) == 1:
        await run_in(session, statement, rows[0])
    elif rows:
        await session.execute(statement, list(rows))


async def rows_in(session: AsyncSession, statement: Executable,
                  parameters: Mapping[str, Any]) -> list[Any]:
    """Every row of one Core query of ``session``'s write transaction, as ``run_in`` runs it.
    For a statement built once and kept (a statement built per call is compiled per call)."""
    rows: list[Any] = await _run_in(session, statement, parameters, every=True)
    return rows


async def _run_in(session: AsyncSession, statement: Executable, parameters: Mapping[str, Any],
                  *, every: bool) -> Any:
    db: Database | None = session.info.get(_DATABASE)
    direct = db._direct if db is not None else None
    if direct is not None and not (session.new or session.deleted or session.dirty):
        compiled = direct.compiled(statement, tuple(parameters))
        if compiled is not None:
            driver = session.info.get(_DRIVER)
            if driver is None:
                connection = await session.connection()
                try:
                    driver = await direct.begun(await connection.get_raw_connection())
                except Exception:  # the statement then goes through SQLAlchemy
                    # BEGIN failed (a connection the server ended while it sat in the pool):
                    # SQLAlchemy's path sends it again and, if the connection is lost, fails
                    # the request as it would have and invalidates its pool, so the next
                    # request takes a new connection instead of this one again
                    driver = None
                if driver is not None:
                    session.info[_DRIVER] = driver
            if driver is not None:
                try:
                    return await direct.run_on(driver, compiled, parameters, every=every)
                except Exception as error:
                    if connection_lost(error):
                        # as SQLAlchemy does when a statement of its own finds the connection
                        # lost: invalidated, so that its pool opens a new one for the next
                        # transaction instead of handing this one out again (and the failure
                        # the caller gets is the statement's, whatever invalidating met)
                        with contextlib.suppress(Exception):
                            await (await session.connection()).invalidate(error)
                    raise
    result = await session.execute(statement, parameters)
    if every:
        return list(result.all())
    # a DML statement without RETURNING answers no rows (an ORM-enabled query's result,
    # which has no ``returns_rows``, always does)
    return result.first() if getattr(result, "returns_rows", True) else None


async def add_written(session: AsyncSession, row: Any) -> None:
    """Write the new table row ``row`` now, with one INSERT run as ``run_in`` runs it (a
    primary key the database makes read back into it), and leave it in ``session`` as a flush
    leaves a row it inserted: persistent and clean (what changes in it later is flushed as an
    UPDATE), new in this transaction (a rollback takes it out again). What a ``session.add``
    and the next flush would do, without the unit of work (a filing's two flushes were a fifth
    of its CPU, issue #14). Every column must be set (``new_row`` and a model's constructor
    set them all)."""
    state = instance_state(row)
    columns, insert_plain, insert_returning, made = _inserts(state.mapper)
    held = state.dict
    try:
        values = {key: held[key] for key in columns}
    except KeyError as error:
        raise ValueError(f"{type(row).__name__}.{error.args[0]} is not set") from None
    if made is not None and values[made] is None:  # the database makes it
        del values[made]
        held[made] = await scalar_in(session, insert_returning, values)
    else:
        await run_in(session, insert_plain, values)
    # what a flush does once it has sent a new row's INSERT: the row joins the session as
    # new in this transaction (a rollback takes it out again, as it would a flushed one)
    # and becomes persistent, its key from its primary key, its values the committed ones
    sync = session.sync_session
    sync.add(row)
    sync._register_persistent({state})


#: per mapped class: its columns' attribute names, its INSERT, the same returning the key the
#: database makes, and that key's name (None when the row's key is given)
_INSERTS: dict[Mapper[Any], tuple[tuple[str, ...], Executable, Executable, str | None]] = {}


def _inserts(mapper: Mapper[Any]) -> tuple[tuple[str, ...], Executable, Executable, str | None]:
    found = _INSERTS.get(mapper)
    if found is None:
        table = mapper.local_table
        if mapper.inherits is not None or not isinstance(table, Table) or any(
                attr.key != attr.columns[0].key for attr in mapper.column_attrs):
            raise TypeError(f"{mapper.class_.__name__}: one table, its columns named as its "
                            "attributes, is written here; add it to the session instead")
        made = table.autoincrement_column
        plain = insert(table)
        found = (tuple(attr.key for attr in mapper.column_attrs), plain,
                 plain.returning(made) if made is not None else plain,
                 made.key if made is not None else None)
        _INSERTS[mapper] = found
    return found


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` when ``session``'s write transaction (``Database.write``) has committed."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def before_commit(session: AsyncSession,
                  step: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Run ``step`` as the last work of ``session``'s write transaction (``Database.write``),
    after everything else it wrote was flushed, just before COMMIT; steps run in the order
    they were given. For a write that takes a lock many transactions contend for (a
    counter): taken there, it is held for the commit's round trip, not the whole
    transaction."""
    session.info.setdefault(_BEFORE_COMMIT, []).append(step)


def erased(session: AsyncSession, *tables: str) -> None:
    """Personal data was erased from ``tables`` in this write transaction: once it commits,
    ``Database.reclaim`` removes what is left of it on disk."""
    session.info.setdefault(_ERASED, set()).update(tables)


def hold_loaded_rows(session: AsyncSession) -> None:
    """Keep every row ``session`` loads from now on referenced until the session ends.

    The identity map holds unchanged rows weakly: a row one step reads and drops is read again
    by the next ``get`` of the same transaction (a suspension read its organisation three
    times: the roster effect, the notifier, the response). A transition holds what it loads,
    so each row is read once; sessions that stream many rows do not."""
    session.info.setdefault(_HELD, [])


@event.listens_for(Session, "loaded_as_persistent")
def _hold_loaded(session: Session, instance: object) -> None:
    held = session.info.get(_HELD)
    if held is not None:
        held.append(instance)


#: a pooled PostgreSQL connection idle longer than this is pinged before it is handed out
IDLE_PING_SECONDS = 10.0
#: and one older than this is replaced (servers and firewalls drop long-idle connections)
RECYCLE_SECONDS = 1800


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only when it sat idle (``IDLE_PING_SECONDS``).

    ``pool_pre_ping`` pings on every checkout: a round trip per request. A connection handed
    back moments ago is alive; one that sat idle may have been dropped (a database restart,
    ``pg_terminate_backend``), and a dead one is replaced before the request sees it, as
    ``pool_pre_ping`` would. A connection that dies while in use fails that transaction (rolled
    back) and SQLAlchemy invalidates the pool, with or without a ping."""
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_conn, None):
                # the pool discards this connection and checks out another (a fresh one)
                raise DisconnectionError(str(error)) from error
            raise


def _sqlite_pragmas(dbapi_conn: Any) -> None:
    """What every connection to the SQLite file sets."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # deleted and overwritten content is zeroed, not left in free space for a file copy
    # to find (erasure of personal data); the WAL is checkpointed by Database.reclaim
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _direct(settings: Settings, engine: AsyncEngine) -> DirectSqlite | DirectPostgres | None:
    """The runner of statements alone (``fetch_one``, ``write_one``) on the driver itself;
    None, so that they go through SQLAlchemy, where SQL is echoed (IRIS_ECHO_SQL) or the
    SQLite database is in memory (only the engine's own connection sees it)."""
    url = make_url(settings.database_url)
    if settings.echo_sql or (settings.is_sqlite and url.database in (None, "", ":memory:")):
        return None
    args, kwargs = url.get_dialect()().create_connect_args(url)
    if not settings.is_sqlite:
        # SQLAlchemy's own options in the URL, not asyncpg's: no statement cache of its own
        # (behind PgBouncer in transaction mode, say) means none on these connections either
        options = {k: v for k, v in kwargs.items() if not k.startswith("prepared_statement_")}
        if kwargs.get("prepared_statement_cache_size") == 0:
            options.setdefault("statement_cache_size", 0)
        # a statement alone holds its connection for a round trip: half the pool serves them
        return DirectPostgres(engine.sync_engine, options,
                              max_size=max(2, settings.db_pool_size // 2),
                              idle_seconds=lambda: IDLE_PING_SECONDS,
                              recycle_seconds=RECYCLE_SECONDS)

    def connect() -> sqlite3.Connection:
        # autocommit (no BEGIN: each statement alone), no busy handler (it would sleep on the
        # loop's thread: ``patiently`` waits instead); used only from the loop's thread
        connection: sqlite3.Connection = sqlite3.connect(
            *args, **{**kwargs, "isolation_level": None, "check_same_thread": False,
                      "timeout": 0})  # type: ignore[call-overload]
        return connection

    return DirectSqlite(engine.sync_engine, connect, _sqlite_pragmas,
                        settings.sqlite_busy_timeout_ms / 1000,
                        readers=max(2, settings.db_pool_size // 2))


def _sqlite_engine(settings: Settings, begin: str, *, inline: bool = False) -> AsyncEngine:
    """A SQLite engine; ``inline``: its statements run on the event loop's thread
    (``sqlite_inline``: for the write transactions, which this process runs one at a time)."""
    timeout = settings.sqlite_busy_timeout_ms
    url = make_url(settings.database_url)
    inline = inline and url.database not in (None, "", ":memory:")
    if inline:
        arguments = url.get_dialect()().create_connect_args(url)
        engine = create_async_engine(url, echo=settings.echo_sql, hide_parameters=True,
                                     async_creator=sqlite_inline.connect(arguments, timeout / 1000))
    else:
        engine = create_async_engine(url, echo=settings.echo_sql, hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        if not inline:  # an inline connection begins none itself and never waits on a lock
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={int(timeout)}")
            cur.close()
        _sqlite_pragmas(dbapi_conn)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get(_ONE_STATEMENT):
            conn.exec_driver_sql(begin)

    return engine


class Database:
    """Owns the engines; hands out read and write sessions that commit or roll back whole."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.is_sqlite = settings.is_sqlite
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(settings, "BEGIN IMMEDIATE", inline=True)
            self.read_engine = _sqlite_engine(settings, "BEGIN")
            # reads known to be a few rows by key (``read(short=True)``), run inline too
            self._short_read_engine: AsyncEngine | None = _sqlite_engine(
                settings, "BEGIN", inline=True)
        else:
            self.write_engine = create_async_engine(
                settings.database_url,
                echo=settings.echo_sql,
                # an error's text (logged with its traceback) never holds the values sent: they
                # may be what a person typed
                hide_parameters=True,
                pool_size=settings.db_pool_size,
                pool_recycle=RECYCLE_SECONDS,
            )
            _ping_when_idle(self.write_engine)
            self.read_engine = self.write_engine
            self._short_read_engine = None
        #: statements run alone (``fetch_one``, ``write_one``): on SQLite without BEGIN, on
        #: PostgreSQL in autocommit. Options set once on the engine, not per connection
        self._alone = self.write_engine.execution_options(
            **({_ONE_STATEMENT: True} if self.is_sqlite else {"isolation_level": "AUTOCOMMIT"}))
        #: and, unless SQL is echoed, straight on the driver (``direct``)
        self._direct = _direct(settings, self.write_engine)
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        # SQLite admits one writer at a time. Writers of this process queue here, in order,
        # instead of spinning in SQLite's busy handler (which sleeps up to 100 ms a try and
        # collapses throughput under load); other processes still meet busy_timeout.
        self._sqlite_writer_turn = asyncio.Lock() if self.is_sqlite else None
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._short_reader = async_sessionmaker(self._short_read_engine or self.read_engine,
                                                expire_on_commit=False)
        # SQLite's read transaction already sees one moment throughout; PostgreSQL's default
        # (READ COMMITTED) takes a new snapshot per statement
        self._snapshot_reader = async_sessionmaker(
            self.read_engine if self.is_sqlite else self.read_engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True),
            expire_on_commit=False)
        #: tables erased from by committed transactions, not yet reclaimed
        self._erased: set[str] = set()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed if the block ends normally, rolled back otherwise."""
        async with AsyncExitStack() as stack:
            if self._sqlite_writer_turn is not None:
                await stack.enter_async_context(self._sqlite_writer_turn)
            session = await stack.enter_async_context(self._writer())
            session.info[_DATABASE] = self
            committing = False
            try:
                async with session.begin():
                    yield session
                    if steps := session.info.pop(_BEFORE_COMMIT, None):
                        await session.flush()  # the rest first: a step's lock waits for nothing
                        for step in steps:
                            await step(session)
                    committing = True
            except Exception as error:
                # lost before COMMIT was sent, the server rolled the transaction back; lost
                # while it was, nobody here knows whether it committed (SQLite's COMMIT either
                # happens or not, in this process)
                if committing and not self.is_sqlite and connection_lost(error):
                    log.warning("the connection to the database was lost while a transaction "
                                "was being committed: whether it was saved is not known")
                    raise OutcomeUnknown(
                        "the connection to the database was lost while this change was being "
                        "saved, so whether it was saved is not known: look for it (reload it, "
                        "or ask for it by its reference) before sending it again, or it may be "
                        "made twice") from error
                raise
        if (counted := _COMMITS.get()) is not None:
            counted[0] += 1
        self._erased.update(session.info.pop(_ERASED, ()))
        for callback in session.info.pop(_AFTER_COMMIT, []):
            callback()

    @property
    def erasure_pending(self) -> bool:
        return bool(self._erased)

    async def reclaim(self) -> list[str]:
        """Make committed erasures real on disk; answers the tables reclaimed (none: nothing
        was erased since the last call). SQLite: checkpoint the WAL into the file and truncate
        it. PostgreSQL: VACUUM the tables, outside any transaction."""
        tables = sorted(self._erased)
        if not tables:
            return []
        self._erased.difference_update(tables)
        done = False
        try:
            if self.is_sqlite:
                done = await self._checkpoint()
            else:
                await self._vacuum(tables)
                done = True
        finally:
            if not done:  # the next reclaim tries again
                self._erased.update(tables)
        return tables if done else []

    async def _checkpoint(self) -> bool:
        assert self._sqlite_writer_turn is not None
        async with self._sqlite_writer_turn, self.write_engine.connect() as conn:
            # the DBAPI connection itself: through SQLAlchemy the begin listener would open a
            # transaction, inside which SQLite cannot checkpoint
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            cursor = await raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log, _done = await cursor.fetchone()
            await cursor.close()
        if busy:
            log.warning("after an erasure the SQLite log could not be checkpointed: a reader "
                        "held it; the next reclaim tries again")
        return not busy

    async def _vacuum(self, tables: list[str]) -> None:
        async with self.write_engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            quote = auto.dialect.identifier_preparer.quote
            await auto.exec_driver_sql("VACUUM " + ", ".join(quote(t) for t in tables))

    @asynccontextmanager
    async def read(self, *, short: bool = False) -> AsyncIterator[AsyncSession]:
        """A read transaction. ``short``: it reads a few rows by key and nothing else, so on
        SQLite its statements run at once on this thread (``sqlite_inline``: a read in WAL
        mode waits for no writer) instead of each being handed to a thread; a read that may
        scan (a search, a list, an export) must not say so: it would hold the event loop."""
        async with (self._short_reader if short else self._reader)() as session, \
                session.begin():
            yield session

    async def fetch_one(self, statement: Executable,
                        parameters: Mapping[str, Any] | None = None) -> Any:
        """The first row of one read statement, run outside a transaction (a single statement
        is atomic alone; BEGIN and COMMIT would cost a round trip each on PostgreSQL), on the
        driver itself (``direct``: no SQLAlchemy execution path) unless it cannot run there.
        On SQLite it runs at once in this thread: alone, in WAL mode, it is a read of one
        moment that waits for no writer, so it must be a read by key, not a scan. Rows are
        named tuples when the statement ran on the driver, SQLAlchemy rows otherwise: read
        them by name or position."""
        if self._direct is not None and (compiled := self._direct.compiled(statement)):
            return await self._direct.run(compiled, parameters, read=True)
        async with self._alone.connect() as connection:
            return (await connection.execute(statement, parameters)).first()

    async def read_plan(self, plan: Callable[[], Plan[T]]) -> T:
        """The answer of a read of several statements (``iris_engine.store.plans``; ``plan()``
        makes a fresh one): on the driver, unless SQL is echoed or one of its statements cannot
        run there, then through SQLAlchemy in a read transaction. On SQLite the plan runs whole
        in a worker thread, in one read transaction; on PostgreSQL each statement runs alone
        (as READ COMMITTED would run it) and is planned with its values, not a generic plan."""
        if self._direct is not None:
            try:
                return await self._direct.run_plan(plan)
            except Unsupported:
                pass  # nothing was read that matters: the plan is read again, whole
        async with self.read() as session:
            if not self.is_sqlite:
                await session.execute(_CUSTOM_PLANS)

            async def rows_of(statement: Executable, values: Mapping[str, Any]) -> list[Any]:
                return list((await session.execute(statement, dict(values))).all())

            return await run_plan_async(plan(), rows_of)

    async def write_one(self, statement: Executable,
                        parameters: Mapping[str, Any] | None = None) -> Any:
        """One write statement, atomic alone, committed by the database as it runs: no BEGIN
        and COMMIT round trips (PostgreSQL: autocommit), on the driver as ``fetch_one`` is.
        On SQLite it waits its turn behind this process's write transactions, as ``write``
        does, and runs on this thread. The first row it returns (``RETURNING``), if any."""
        compiled = self._direct.compiled(statement) if self._direct is not None else None
        async with self._sqlite_writer_turn or contextlib.nullcontext():
            if compiled is not None:
                assert self._direct is not None
                return await self._direct.run(compiled, parameters)
            async with self._alone.connect() as connection:
                return _first(await connection.execute(statement, parameters))

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction that sees one moment throughout, however many statements it
        runs (a verification that reads in batches must not see a write land half-way)."""
        async with self._snapshot_reader() as session, session.begin():
            yield session

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """Whether this process holds ``name`` now: at most one of all the processes that share
        this database holds it at a time, until the block ends. Nobody waits: a process that
        finds it held gets False at once (and goes on without the work it guards).

        PostgreSQL: a transaction-level advisory lock on a connection of its own, so the
        transaction's end (commit, rollback, or the connection lost with its process) always
        frees it. SQLite: an ``flock`` on ``<database file>-<name>.lock`` beside the database
        (every process of one SQLite database runs on its host), freed when the file is closed
        or its process ends; a database in memory has one process."""
        if not self.is_sqlite:
            key = int.from_bytes(hashlib.sha256(f"iris:{name}".encode()).digest()[:8], "big",
                                 signed=True)
            async with self.write_engine.connect() as connection, connection.begin():
                yield bool(await connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                                   {"key": key}))
            return
        database = make_url(self.settings.database_url).database
        if database in (None, "", ":memory:"):
            yield True
            return
        beside = Path(database)
        fd = os.open(beside.with_name(f"{beside.name}-{name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held = False
            else:
                held = True
            yield held
        finally:
            os.close(fd)  # the lock goes with the file's last descriptor

    @property
    def engines(self) -> list[AsyncEngine]:
        """Every engine this database runs statements on (each once)."""
        found = [self.write_engine, self.read_engine, self._short_read_engine]
        return list({id(e): e for e in found if e is not None}.values())

    async def dispose(self) -> None:
        if self._direct is not None:
            await self._direct.close()
        await self.write_engine.dispose()
        if self._short_read_engine is not None:
            await self._short_read_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


def _first(result: CursorResult[Any]) -> Row[Any] | None:
    return result.first() if result.returns_rows else None
