"""SQLite statements of write transactions run on the event loop's own thread.

aiosqlite runs every call (open a cursor, execute, fetch, close, commit) on a thread of its
own and wakes the event loop for each answer: ~160 us of CPU a call on this kind of machine
against ~12 us for the statement itself, three or four calls a statement. A transition's
twenty statements spent more in those hand-offs than in SQLite (BENCHMARKS.md, issue #14).

The write engine (``Database``) hands SQLAlchemy this module's connection instead, which
aiosqlite's SQLAlchemy adapter drives through the same awaitable interface: a statement runs
at once, in the calling thread. That is safe for writes because they are short (a row by its
key, an index probe) and already one at a time: SQLite admits one writer, and the writers of
this process queue on ``Database``'s lock before they begin. Reads, which can be long (a
roster search over a million entries), stay on aiosqlite's threads.

What must never happen on the loop's thread is a wait: SQLite's busy handler sleeps until
another *process* lets go of the write lock. So these connections take no ``busy_timeout``;
a statement refused with SQLITE_BUSY is tried again after an ``asyncio.sleep`` (the loop
serves others meanwhile) until the same time limit has passed, then fails as SQLite would.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = ["InlineConnection", "connect", "patiently"]

#: SQLITE_BUSY, and its extended code that no wait can cure: a read transaction's snapshot is
#: older than the database, so it may not become a write transaction (it must start again)
_BUSY = 5
_BUSY_SNAPSHOT = 517
#: first pause after a refusal; doubled each try up to the longest
_FIRST_PAUSE_S = 0.001
_LONGEST_PAUSE_S = 0.05


async def patiently(busy_timeout_s: float, call: Callable[[], Any]) -> Any:
    """``call()``, tried again while SQLite answers SQLITE_BUSY, for ``busy_timeout_s`` at most."""
    deadline: float | None = None
    pause = _FIRST_PAUSE_S
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            code = getattr(error, "sqlite_errorcode", None)
            if code is None or code & 0xFF != _BUSY or code == _BUSY_SNAPSHOT:
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + busy_timeout_s
            if now >= deadline:
                raise
            await asyncio.sleep(min(pause, deadline - now))
            pause = min(pause * 2, _LONGEST_PAUSE_S)


class InlineCursor:
    """An aiosqlite cursor's interface over a ``sqlite3.Cursor``, nothing handed to a thread."""

    __slots__ = ("_busy_timeout_s", "_cursor")

    def __init__(self, cursor: sqlite3.Cursor, busy_timeout_s: float) -> None:
        self._cursor = cursor
        self._busy_timeout_s = busy_timeout_s

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Any:
        cursor = self._cursor
        await patiently(self._busy_timeout_s, lambda: cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Any:
        rows = list(parameters)  # tried again whole: SQLite refuses before the first row
        cursor = self._cursor
        await patiently(self._busy_timeout_s, lambda: cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    async def nextset(self) -> None:
        return None


class InlineConnection:
    """The part of ``aiosqlite.Connection`` that SQLAlchemy's aiosqlite adapter uses."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout_s: float) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._busy_timeout_s = busy_timeout_s

    @property
    def _connection(self) -> sqlite3.Connection | None:  # the adapter checks it before COMMIT
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._open().cursor(), self._busy_timeout_s)

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        cursor = self.cursor()
        return await cursor.execute(sql, parameters)  # type: ignore[no-any-return]

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._open().create_function(*args, **kw)

    async def commit(self) -> None:
        conn = self._open()
        await patiently(self._busy_timeout_s, conn.commit)

    async def rollback(self) -> None:
        self._open().rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate; also from the garbage collector)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def connect(arguments: tuple[Sequence[Any], Mapping[str, Any]],
            busy_timeout_s: float) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: new connections with the sqlite3
    arguments SQLAlchemy's dialect made from the URL (``dialect.create_connect_args``)."""
    args, kwargs = arguments

    async def creator() -> InlineConnection:
        # no transaction of sqlite3's own (we emit BEGIN), and the pool may close a connection
        # from the garbage collector's thread
        options = {**kwargs, "isolation_level": None, "check_same_thread": False, "timeout": 0}
        return InlineConnection(sqlite3.connect(*args, **options), busy_timeout_s)

    return creator
