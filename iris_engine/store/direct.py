"""One statement run straight on the driver: compiled once, then sent as the driver takes it.

``Database.fetch_one`` and ``Database.write_one`` run one statement alone, outside any
transaction: the roster's version and an entry by LRN on a public read, the account behind
every access token, a rate-limit counter on every public form. Through SQLAlchemy each one
costs a connection checkout and check-in, a greenlet hand-off, the compiled-statement setup
and the result wrapping: about 0.4 ms of CPU for a statement SQLite answers in 20 us
(BENCHMARKS.md, issue #14). Here the statement is compiled once per dialect (SQL text, the
order its parameters go in, the type conversions SQLAlchemy would apply to each parameter and
each column) and then run on a connection of this module's own:

- SQLite: one ``sqlite3`` connection in autocommit mode, used on the event loop's thread
  (a statement by key is shorter than a hand-off to a thread; ``sqlite_inline`` says why that is
  safe and how SQLITE_BUSY is waited for without blocking the loop). Statements never
  interleave on it: each runs, is read and is closed before the loop moves on.
- PostgreSQL: ``asyncpg`` connections of this module's own pool (``_Connections``), which
  prepare each statement once. A connection that sat idle is pinged before use, as the
  SQLAlchemy pool's are (``IDLE_PING_SECONDS``), and handing one back costs no reset round
  trip: nothing here leaves session state.

A write transaction's own Core statements take the same path (``iris_engine.store.db.run_in``,
``scalar_in`` and ``rows_in``: the chain's new head and event, a new case and its detail, a
timer, the roster's version, entry and change, a guard's count, who is told): run on the
connection SQLAlchemy's session holds, inside its transaction (``driver_of``), with a driver's
error raised as SQLAlchemy would raise it (``IntegrityError`` and the rest).

Rows come back as named tuples (by attribute and by index, like SQLAlchemy's ``Row``). The
engine's ``before_cursor_execute`` listeners still hear every statement, so statement counts
and ``bench/floor.py`` see them as before. Only what compiles to one fixed text with known
columns runs here: ``text()``, an expanding ``IN``, a value rendered at execution time or an
escaped parameter name is refused when the statement is first compiled (``Unsupported``) and
runs through SQLAlchemy instead.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from collections import deque, namedtuple
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import TextClause

from iris_engine.store.plans import Plan, run_plan, run_plan_async
from iris_engine.store.sqlite_inline import patiently

__all__ = ["Compiled", "DirectPostgres", "DirectSqlite", "Unsupported", "connection_lost"]

#: statements (and sets of parameter names) compiled and kept per runner; past that many, a
#: new one runs through SQLAlchemy, whose cache is keyed by structure (a caller building a new
#: statement per call would otherwise compile on every call; none does today)
_MAX_KEPT = 1024

T = TypeVar("T")


class Unsupported(ValueError):
    """A statement that does not compile to one fixed text with positional parameters."""


class Compiled:
    """One statement compiled for one dialect, with the conversions SQLAlchemy applies."""

    __slots__ = ("_binds", "_results", "_row", "sql")

    def __init__(self, statement: Executable, dialect: Dialect,
                 keys: tuple[str, ...] | None = None) -> None:
        if isinstance(statement, TextClause):  # text(): its columns are known only once run
            raise Unsupported("text() names no columns; run it through SQLAlchemy")
        # an INSERT or UPDATE without values() writes the columns its parameters name, as
        # SQLAlchemy compiles it per set of parameter names
        compiled = statement.compile(  # type: ignore[attr-defined]
            dialect=dialect, column_keys=list(keys) if keys is not None else None)
        binds = [compiled.binds[name] for name in compiled.positiontup or ()]
        if (compiled.positiontup is None or compiled.escaped_bind_names
                or compiled.literal_execute_params or compiled.post_compile_params
                or any(b.expanding or b.callable is not None for b in binds)):
            raise Unsupported(f"not one fixed statement: {compiled.string[:200]}")
        self.sql: str = compiled.string
        #: per position: the caller's parameter name, whether it must be given, the value
        #: the statement holds otherwise, and the type's conversion
        self._binds = tuple((b.key, b.required, b.value, b.type._cached_bind_processor(dialect))
                            for b in binds)
        # what the text returns: a DML statement's RETURNING (which SQLAlchemy may add for
        # the primary key, on PostgreSQL), a query's columns
        columns = list(compiled.returning or () if compiled.isinsert or compiled.isupdate
                       or compiled.isdelete else getattr(statement, "exported_columns", ()))
        self._results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)
        self._row: Any = namedtuple("Row", [c.key for c in columns], rename=True)  # type: ignore[misc]

    def arguments(self, parameters: Mapping[str, Any] | None) -> tuple[Any, ...]:
        """The parameters in the statement's order, as the driver takes them."""
        given = parameters or {}
        values = []
        for key, required, held, process in self._binds:
            if required and key not in given:
                raise KeyError(f"a value is required for parameter {key!r}")
            value = given.get(key, held)
            values.append(value if process is None else process(value))
        return tuple(values)

    def row(self, values: Sequence[Any] | None) -> Any:
        """A driver's row as SQLAlchemy would give it (None stays None)."""
        if values is None:
            return None
        return self._row._make(value if process is None else process(value)
                               for value, process in zip(values, self._results, strict=True))


class _Runner:
    """What both databases share: the compiled statements and the engine's listeners."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._kept: dict[tuple[int, tuple[str, ...] | None],
                         tuple[Executable, Compiled | None]] = {}

    def compiled(self, statement: Executable,
                 keys: tuple[str, ...] | None = None) -> Compiled | None:
        """``statement`` compiled for this database (for DML, for the parameter names
        ``keys``), or None if it cannot run here (it then runs through SQLAlchemy). Kept for
        the statement's next run, refusals too."""
        key = (id(statement), keys)
        kept = self._kept.get(key)
        if kept is not None and kept[0] is statement:
            return kept[1]
        if len(self._kept) >= _MAX_KEPT:
            return None
        try:
            compiled: Compiled | None = Compiled(statement, self._engine.dialect, keys)
        except Unsupported:
            compiled = None
        self._kept[key] = (statement, compiled)
        return compiled

    def _step(self, statement: Executable) -> Compiled:
        """A plan's statement compiled here, or ``Unsupported``: the plan then runs through
        SQLAlchemy whole (``Database.read_plan``)."""
        compiled = self.compiled(statement)
        if compiled is None:
            raise Unsupported("a statement of this plan cannot run on the driver")
        return compiled

    def _arguments(self, compiled: Compiled,
                   parameters: Mapping[str, Any] | None) -> tuple[Any, ...]:
        arguments = compiled.arguments(parameters)
        heard = self._engine.dispatch.before_cursor_execute
        if heard:  # a test counting statements, bench/floor.py recording them
            heard(None, None, compiled.sql, arguments, None, False)
        return arguments


class DirectSqlite(_Runner):
    """Statements alone on one autocommit ``sqlite3`` connection, on this thread."""

    def __init__(self, engine: Engine, connect: Callable[[], sqlite3.Connection],
                 setup: Callable[[sqlite3.Connection], None], busy_timeout_s: float, *,
                 readers: int = 4) -> None:
        super().__init__(engine)
        self._connect = connect
        self._setup = setup
        self._busy_timeout_s = busy_timeout_s
        self._connection: sqlite3.Connection | None = None
        #: plans run in these threads, each on a connection of its own (``run_plan``)
        self._readers = readers
        self._reader_pool: ThreadPoolExecutor | None = None
        self._reader_local = threading.local()
        self._reader_connections: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()

    async def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = self._connect()
            try:  # the pragmas wait, as statements do, while another process writes
                await patiently(self._busy_timeout_s, lambda: self._setup(connection))
            except BaseException:
                connection.close()
                raise
            if self._connection is None:  # another statement may have opened one meanwhile
                self._connection = connection
            else:
                connection.close()
        return self._connection

    async def run(self, compiled: Compiled, parameters: Mapping[str, Any] | None, *,
                  read: bool = False) -> Any:
        """The first row the statement answers (None if none), every row read so that the
        statement is finished (and, for a write, committed) before the loop moves on. (A
        file in the process loses no connection: ``read`` changes nothing here.)"""
        arguments = self._arguments(compiled, parameters)
        connection = self._connection or await self._open()
        cursor = await patiently(self._busy_timeout_s,
                                 lambda: connection.execute(compiled.sql, arguments))
        return _first_row(cursor, compiled)

    async def begun(self, dbapi_connection: Any) -> Any:
        """``driver_of``: BEGIN IMMEDIATE went with the transaction's start."""
        return self.driver_of(dbapi_connection)

    def driver_of(self, dbapi_connection: Any) -> Any:
        """The ``sqlite3`` connection under a write transaction's pooled connection (the
        inline driver's), on which its statements may run directly: BEGIN IMMEDIATE was sent
        when the transaction began, so they run inside it and wait for no lock."""
        inline = getattr(dbapi_connection, "driver_connection", None)
        found = getattr(inline, "_connection", None)
        return found if isinstance(found, sqlite3.Connection) else None

    async def run_on(self, driver: sqlite3.Connection, compiled: Compiled,
                     parameters: Mapping[str, Any] | None, *, every: bool = False) -> Any:
        """The first row (``every``: all rows) of one statement of a transaction, run on its
        connection."""
        arguments = self._arguments(compiled, parameters)
        try:
            cursor = driver.execute(compiled.sql, arguments)
            if every:
                return _all_rows(cursor, compiled)
            return _first_row(cursor, compiled)
        except sqlite3.Error as error:  # as SQLAlchemy raises it (IntegrityError, ...)
            raise DBAPIError.instance(compiled.sql, arguments, error, sqlite3.Error,
                                      hide_parameters=True) from error

    async def run_plan(self, plan: Callable[[], Plan[T]]) -> T:
        """A read plan's answer (``plan()`` makes a fresh one), the plan run whole in a worker
        thread, in one read transaction (it sees one moment throughout) on that thread's
        connection. Statements that scan may run here: the event loop goes on meanwhile
        (SQLite lets go of the GIL as it reads)."""
        if self._reader_pool is None:
            self._reader_pool = ThreadPoolExecutor(self._readers,
                                                   thread_name_prefix="iris-sqlite-read")
        return await asyncio.get_running_loop().run_in_executor(
            self._reader_pool, self._run_plan_here, plan())

    def _reader(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._reader_local, "connection", None)
        if connection is None:
            connection = self._connect()
            try:  # a reader thread may wait for a lock: in WAL mode only at a checkpoint
                connection.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_s * 1000)}")
                self._setup(connection)
            except BaseException:
                connection.close()
                raise
            with self._reader_lock:
                self._reader_connections.append(connection)
            self._reader_local.connection = connection
        return connection

    def _run_plan_here(self, plan: Plan[T]) -> T:
        connection = self._reader()

        def rows_of(statement: Executable, values: Mapping[str, Any]) -> list[Any]:
            compiled = self._step(statement)
            arguments = self._arguments(compiled, values)
            try:
                return _all_rows(connection.execute(compiled.sql, arguments), compiled)
            except sqlite3.Error as error:  # as SQLAlchemy raises it
                raise DBAPIError.instance(compiled.sql, arguments, error,
                                          sqlite3.Error, hide_parameters=True) from error

        connection.execute("BEGIN")
        try:
            return run_plan(plan, rows_of)
        finally:
            if connection.in_transaction:  # a read: nothing to keep, and the next plan begins
                connection.execute("ROLLBACK")

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        pool, self._reader_pool = self._reader_pool, None
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, pool.shutdown)
        with self._reader_lock:
            readers, self._reader_connections = self._reader_connections, []
        for reader in readers:
            reader.close()


def _all_rows(cursor: sqlite3.Cursor, compiled: Compiled) -> list[Any]:
    """Every row of the statement, read and the cursor closed, so that the statement is
    finished (and, alone, committed) before the loop moves on."""
    try:
        rows = cursor.fetchall() if cursor.description is not None else []
    finally:
        cursor.close()
    return [compiled.row(values) for values in rows]


def _first_row(cursor: sqlite3.Cursor, compiled: Compiled) -> Any:
    """The statement's first row (None if none), read as ``_all_rows`` reads them."""
    rows = _all_rows(cursor, compiled)
    return rows[0] if rows else None


class _Connections:
    """asyncpg connections for statements that run alone (autocommit), at most ``max_size``.

    asyncpg's own pool wraps each connection handed out in a proxy and hands it back through
    a task of its own: ~40-55 us of CPU per statement, as much as the statement itself (a
    primary-key read costs 47 us on the driver, 88-107 us through ``asyncpg.Pool``: issue #14).
    Here taking a connection is a list's pop, handing it back an append, and what the pool
    must still do is done where it is needed:

    - a connection that sat idle ``idle_seconds()`` or longer is pinged before use and, if the
      server dropped it meanwhile, replaced before the statement is sent (the rule
      ``Database``'s SQLAlchemy pool follows: ``_ping_when_idle``); so is every connection
      that was idle when another was lost under a statement (a restart ends them all); one
      idle ``recycle_seconds`` or longer is closed and replaced;
    - a read whose connection was lost under it runs once more on another (``fetch``), as
      does a write the driver refused to send on a connection the server had ended;
    - a connection is handed back only after a statement ended normally or with the server's
      ERROR (the statement ended, the session did not; autocommit leaves no transaction
      open); after anything else (a FATAL answer such as an administrator's terminate, a
      dropped socket, a cancelled request) it is closed and its place freed, since it may be
      in the middle of a reply (handed out again before asyncpg saw the socket close, the
      next statement on it failed: "another operation is in progress");
    - a caller that finds every connection taken waits in line and is handed the next one
      given back, in arrival order.

    No session state is ever set on these connections (their settings are the server's, given
    when they connect), so handing one back costs no reset round trip."""

    def __init__(self, connect_kwargs: Mapping[str, Any], *, max_size: int,
                 idle_seconds: Callable[[], float], recycle_seconds: float) -> None:
        self._kwargs = dict(connect_kwargs)
        self._max_size = max_size
        self._idle_seconds = idle_seconds
        self._recycle_seconds = recycle_seconds
        #: connections not in use, the last given back at the end, each with when it was
        self._idle: list[tuple[Any, float]] = []
        #: connections open or being opened, in use or not
        self._size = 0
        #: callers waiting for a connection: each is handed one, or None to open one itself
        self._waiters: deque[asyncio.Future[Any]] = deque()
        #: when a connection was last lost under a statement: those handed back before then
        #: are pinged before use (a server restart ends every session at once)
        self._lost_at = -1.0
        #: connections being closed in the background (``discard``)
        self._closing: set[asyncio.Future[None]] = set()
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    async def take(self) -> Any:
        """A connection to run statements on; ``give_back`` or ``discard`` it after."""
        while True:
            if self._closed:
                raise RuntimeError("the database's connections are closed")
            if self._idle:
                connection, since = self._idle.pop()
                idle = time.monotonic() - since
                if connection.is_closed() or idle >= self._recycle_seconds:
                    self.discard(connection)
                    continue
                if idle >= self._idle_seconds() or since <= self._lost_at:
                    try:
                        await connection.execute("SELECT 1")
                    except Exception:  # dropped while it sat idle: another one, unseen
                        self.discard(connection)
                        continue
                return connection
            if self._size < self._max_size:
                self._size += 1
                try:
                    return await self._open()
                except BaseException:
                    self._size -= 1
                    self._next_may_open()
                    raise
            handed = await self._wait()
            if handed is not None:
                return handed

    async def _open(self) -> Any:
        import asyncpg  # the PostgreSQL driver, present where PostgreSQL is used

        return await asyncpg.connect(**self._kwargs)

    async def _wait(self) -> Any:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # handed a connection (or a place) just as the caller gave up: pass it on
                handed = waiter.result()
                if handed is not None:
                    self.give_back(handed)
                else:
                    self._next_may_open()
            else:
                waiter.cancel()
            raise

    def give_back(self, connection: Any) -> None:
        """A connection whose statements ended (normally or with the server's error); after
        ``close``, it is closed instead."""
        if self._closed or connection.is_closed() or connection.is_in_transaction():
            self.discard(connection)
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append((connection, time.monotonic()))

    def discard(self, connection: Any) -> None:
        """A connection that may not be used again (closed, in an unknown state): its place
        is free at once. It is closed in the background, gracefully: a statement cut off by
        a cancelled request is cancelled on the server first (asyncpg sends the cancel
        request; a plain terminate would leave the server running it to the end)."""
        self._size -= 1
        self._next_may_open()
        if connection.is_closed():
            return
        closing = asyncio.ensure_future(self._close_one(connection))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close_one(connection: Any) -> None:
        try:
            await asyncio.wait_for(connection.close(), timeout=10)
        except Exception:  # will not close cleanly (timed out, dropped): cut it off; nobody
            connection.terminate()  # awaits this task, so the failure stops here
        except BaseException:  # the loop is stopping
            connection.terminate()
            raise

    def _next_may_open(self) -> None:
        """A place is free: the first caller waiting opens a connection in it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        """Close the idle connections; those in use are closed as they are given back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)  # to find the pool closed
        self._waiters.clear()
        for connection, _ in idle:
            self.discard(connection)
        await asyncio.gather(*self._closing, return_exceptions=True)

    async def fetch(self, run: Callable[[Any], Any], *, read: bool = False) -> Any:
        """``await run(connection)`` on a connection taken and given back (or discarded).

        ``read``: ``run`` only reads, so when its connection was lost under it (the server
        restarted, an administrator ended its session: the driver's error, not the server's
        ERROR on a statement) it runs once more, on another connection, rather than fail the
        request. A write is never run twice: whether it was done is not known."""

        for attempt in (1, 2):
            connection = await self.take()
            try:
                answer = await run(connection)
            except BaseException as error:
                # the server refused a statement with an ERROR (the driver's, or it translated
                # as SQLAlchemy raises it): the statement ended, the session did not, and
                # asyncpg has read the whole reply. Anything else (FATAL: an administrator's
                # terminate, a shutdown; the connection lost; a cancelled request) may leave
                # it mid-reply
                cause = _driver_error(error)
                if _statement_only(cause) or isinstance(error, Unsupported):  # (not sent)
                    self.give_back(connection)
                    raise
                self.discard(connection)
                lost = _lost(cause)
                if lost:
                    self._lost_at = time.monotonic()
                if not (attempt == 1 and lost and (read or _unsent(cause))):
                    raise
                continue
            self.give_back(connection)
            return answer
        raise AssertionError("unreachable")


def _driver_error(error: BaseException) -> BaseException | None:
    """The driver's own error behind ``error``: itself, or the one SQLAlchemy's translation
    (or ours, ``DBAPIError.instance``) was raised from; None if the driver had no part."""
    for candidate in (error, error.__cause__):
        if type(candidate).__module__.startswith("asyncpg") or isinstance(candidate, OSError):
            return candidate
    return None


def _lost(cause: BaseException | None) -> bool:
    """The connection may not be sound after the statement (the driver's error or the server's
    FATAL answer), not the statement or the request: ``cause`` is a ``_driver_error``. The
    pool's cautious view (a connection in doubt is replaced); ``connection_lost`` is the
    narrower one a request's answer is told by."""
    return cause is not None and not _statement_only(cause)


def connection_lost(error: BaseException) -> bool:
    """A PostgreSQL connection was lost under a statement or a COMMIT, or none could be made
    (the server ended the session, the socket closed, the server refused or was out of reach),
    as raised by the driver here or through SQLAlchemy: not a refusal of the statement, not a
    mistake of ours in using the driver, nothing of SQLite's (a file in the process)."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, DBAPIError) and found.connection_invalidated:
            return True
        cause = _driver_error(found)
        if cause is not None:
            return _connection_ended(cause)
        found = getattr(found, "orig", None) or found.__cause__ or found.__context__
    return False


def _connection_ended(cause: BaseException) -> bool:
    """``cause``, a ``_driver_error``, ended the connection (or kept one from being made)."""
    from asyncpg import exceptions

    if isinstance(cause, ConnectionError | socket.gaierror | exceptions.ConnectionDoesNotExistError
                  | exceptions.PostgresConnectionError):  # the socket; the server's class 08
        return True
    return (_unsent(cause)
            # what asyncpg says of a connection it knows is gone (SQLAlchemy's dialect
            # recognises a disconnect by the same words)
            or (isinstance(cause, exceptions.InterfaceError)
                and "connection is closed" in str(cause))
            or (getattr(cause, "severity_en", None) or getattr(cause, "severity", None))
            in ("FATAL", "PANIC"))


def _unsent(cause: BaseException | None) -> bool:
    """asyncpg refused to send the statement at all: the connection was still reading the last
    words of a session the server had ended (its FATAL answer came before the socket closed).
    Nothing was sent, so even a write may go again on another connection."""
    return (type(cause).__name__ == "InternalClientError"
            and str(cause).startswith("cannot switch to state"))


def _statement_only(cause: BaseException | None) -> bool:
    """The server's error ended a statement, not the session: severity ERROR (FATAL and PANIC
    end the session; asyncpg's own connection errors have none)."""
    return (getattr(cause, "severity_en", None) or getattr(cause, "severity", None)) == "ERROR"


class DirectPostgres(_Runner):
    """Statements alone on connections of ``_Connections`` (autocommit): two sets, one for
    statements alone and one for read plans, whose connections plan every statement with
    its values."""

    def __init__(self, engine: Engine, connect_kwargs: Mapping[str, Any], *, max_size: int,
                 idle_seconds: Callable[[], float], recycle_seconds: float) -> None:
        super().__init__(engine)
        kwargs = dict(connect_kwargs)
        # a read plan's statements (a name search: LIKE with a pattern) are planned with their
        # values every time: after five runs of a prepared statement PostgreSQL may keep a
        # generic plan, made without the pattern, that walks a whole sort index for a rare
        # fragment
        plans = {**kwargs, "server_settings": {**kwargs.get("server_settings", {}),
                                               "plan_cache_mode": "force_custom_plan"}}
        self._how = ((False, kwargs), (True, plans))
        self._max_size = max_size
        self._idle_seconds = idle_seconds
        self._recycle_seconds = recycle_seconds
        #: statements alone (False) and read plans (True); new ones after ``close``
        self._pools = self._new_pools()

    def _new_pools(self) -> dict[bool, _Connections]:
        return {plans: _Connections(how, max_size=self._max_size,
                                    idle_seconds=self._idle_seconds,
                                    recycle_seconds=self._recycle_seconds)
                for plans, how in self._how}

    async def run(self, compiled: Compiled, parameters: Mapping[str, Any] | None, *,
                  read: bool = False) -> Any:
        """The first row the statement answers (None if none); ``read``: a read, run again
        on another connection if its connection was lost under it (``_Connections.fetch``)."""
        arguments = self._arguments(compiled, parameters)

        async def first_row(connection: Any) -> Any:
            return compiled.row(await connection.fetchrow(compiled.sql, *arguments))

        return await self._pools[False].fetch(first_row, read=read)

    async def run_plan(self, plan: Callable[[], Plan[T]]) -> T:
        """A read plan's answer (``plan()`` makes a fresh one), its statements run one by one
        on one connection, each alone (as in a READ COMMITTED transaction, each sees the
        database as it is when it runs), each planned with its values; read again whole on
        another connection if its connection was lost under it."""
        answer: T = await self._pools[True].fetch(
            lambda connection: self._plan_on(connection, plan()), read=True)
        return answer

    async def _plan_on(self, connection: Any, plan: Plan[T]) -> T:
        async def rows_of(statement: Executable, values: Mapping[str, Any]) -> list[Any]:
            compiled = self._step(statement)
            arguments = self._arguments(compiled, values)
            try:
                return [compiled.row(row) for row in await connection.fetch(compiled.sql,
                                                                             *arguments)]
            except Exception as error:
                if not type(error).__module__.startswith("asyncpg"):
                    raise
                raise DBAPIError.instance(compiled.sql, arguments, error,
                                          self._engine.dialect.loaded_dbapi.Error,
                                          hide_parameters=True) from error

        return await run_plan_async(plan, rows_of)

    async def begun(self, dbapi_connection: Any) -> Any:
        """``driver_of`` the connection, its transaction begun first if it was not yet:
        SQLAlchemy's adapter sends BEGIN with the transaction's first statement, so a
        transaction whose first statement runs here would otherwise send that one through
        SQLAlchemy (~0.1 ms of CPU more per write transaction). BEGIN is sent as the adapter
        sends it (its isolation level; the adapter then commits or rolls back as usual)."""
        adapted = getattr(dbapi_connection, "dbapi_connection", None)
        if (adapted is not None and getattr(adapted, "_transaction", None) is None
                and getattr(adapted, "isolation_level", None) != "autocommit"):
            try:
                await adapted._start_transaction()
            except Exception as error:
                if _lost(_driver_error(error)):
                    # a connection the server ended while it sat in the pool, asyncpg maybe
                    # still reading its last words: closed now, so that SQLAlchemy, sent the
                    # statement next (``run_in``), sees a lost connection and renews its pool
                    adapted._connection.terminate()
                raise
        return self.driver_of(dbapi_connection)

    def driver_of(self, dbapi_connection: Any) -> Any:
        """The asyncpg connection under a write transaction's pooled connection, once its
        transaction has begun (SQLAlchemy's adapter sends BEGIN with its first statement:
        before that, a statement sent here would commit alone); else None."""
        adapted = getattr(dbapi_connection, "dbapi_connection", None)
        if adapted is None or getattr(adapted, "_transaction", None) is None:
            return None
        return adapted

    async def run_on(self, adapted: Any, compiled: Compiled,
                     parameters: Mapping[str, Any] | None, *, every: bool = False) -> Any:
        """The first row (``every``: all rows) of one statement of a transaction, run on its
        connection."""
        arguments = self._arguments(compiled, parameters)
        try:
            if every:
                return [compiled.row(values) for values in
                        await adapted._connection.fetch(compiled.sql, *arguments)]
            return compiled.row(await adapted._connection.fetchrow(compiled.sql, *arguments))
        except Exception as error:
            if isinstance(error, DBAPIError) or not type(error).__module__.startswith("asyncpg"):
                raise
            try:  # as SQLAlchemy raises it: the adapter's error class, then wrapped
                adapted._handle_exception(error)
            except Exception as translated:
                raise DBAPIError.instance(compiled.sql, arguments, translated,
                                          self._engine.dialect.loaded_dbapi.Error,
                                          hide_parameters=True) from error
            raise

    async def close(self) -> None:
        """Close every connection; the next statement opens new ones (as after
        ``Database.dispose``, which closes SQLAlchemy's pool the same way)."""
        pools, self._pools = self._pools, self._new_pools()
        for pool in pools.values():
            await pool.close()
