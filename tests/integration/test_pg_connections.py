"""The PostgreSQL connections statements alone and read plans run on (``direct._Connections``),
against a real server: never more than their number open, callers beyond it served in turn,
a connection the server refused a statement on kept, one cut off mid-reply (a cancelled
request) or whose session the server ended never handed out again, a caller that gives up
while waiting losing nobody's connection, none left open once closed; and what a restart
does: a read cut off runs again on another connection, a write does not (unless it was never
sent), and the connections idle at the time are pinged before their next use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from iris_engine.roster import service as roster_service
from iris_engine.store.db import Database
from iris_engine.store.direct import _Connections
from tests.databases import driver_dsn
from tests.integration.conftest import test_settings as settings_for

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
async def dsn(database_url: str) -> str:
    return driver_dsn(database_url)


@pytest.fixture
async def admin(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(dsn)
    try:
        yield connection
    finally:
        await connection.close()


def _pool(dsn: str, *, max_size: int = 2, idle: float = 60.0,
          recycle: float = 300.0) -> _Connections:
    return _Connections({"dsn": dsn}, max_size=max_size, idle_seconds=lambda: idle,
                        recycle_seconds=recycle)


@pytest.fixture
async def pools(dsn: str) -> AsyncIterator[Callable[..., _Connections]]:
    """``pools(max_size=..., idle=..., recycle=...)``: a pool on the test's database, closed
    when the test ends."""
    made: list[_Connections] = []

    def pool(**how: Any) -> _Connections:
        made.append(_pool(dsn, **how))
        return made[-1]

    yield pool
    for pool_made in made:
        await pool_made.close()


async def _backends(admin: asyncpg.Connection) -> set[int]:
    """The server processes connected to the test's database, but the admin's own."""
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()")
    return {row["pid"] for row in rows}


async def _settled(admin: asyncpg.Connection, expected: set[int]) -> set[int]:
    """The server processes connected, once they are ``expected`` (or after 5 s: as they
    are then): a connection closed in the background goes away a moment later."""
    for _ in range(50):
        found = await _backends(admin)
        if found == expected:
            return found
        await asyncio.sleep(0.1)
    return await _backends(admin)


async def _pid(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT pg_backend_pid()"))


async def test_no_more_than_its_size_open_and_every_caller_served_in_turn(
        dsn: str, admin: asyncpg.Connection) -> None:
    pool = _pool(dsn, max_size=2)
    running = 0
    most = 0
    started: list[int] = []

    async def one(n: int) -> None:
        async def work(connection: asyncpg.Connection) -> None:
            nonlocal running, most
            started.append(n)
            running += 1
            most = max(most, running)
            await connection.execute("SELECT pg_sleep(0.02)")
            running -= 1

        await pool.fetch(work)

    try:
        await asyncio.gather(*(one(n) for n in range(12)))
        assert most == 2 and pool.size == 2
        # the first two open a connection each (either may connect first); the others wait
        # and are handed one in the order they came
        assert set(started[:2]) == {0, 1} and started[2:] == list(range(2, 12)), started
        assert len(await _backends(admin)) == 2
    finally:
        await pool.close()
    assert await _settled(admin, set()) == set() and pool.size == 0


async def test_a_statement_the_server_refuses_leaves_its_connection_in_use(
        pools: Callable[..., _Connections]) -> None:
    pool = pools(max_size=1)
    first = await pool.fetch(_pid)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await pool.fetch(lambda connection: connection.fetchval("SELECT 1 / 0"))
    assert await pool.fetch(_pid) == first and pool.size == 1


async def test_a_connection_cut_off_mid_statement_is_never_handed_out_again(
        pools: Callable[..., _Connections], admin: asyncpg.Connection) -> None:
    pool = pools(max_size=1)
    first = await pool.fetch(_pid)
    slow = asyncio.ensure_future(
        pool.fetch(lambda connection: connection.execute("SELECT pg_sleep(30)")))
    await asyncio.sleep(0.2)
    slow.cancel()  # a client that went away: the reply may be half read
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert pool.size == 0
    second = await pool.fetch(_pid)
    assert second != first and pool.size == 1
    # the cut-off connection's server process goes away (its statement cancelled)
    assert await _settled(admin, {second}) == {second}


async def test_a_caller_that_gives_up_waiting_loses_no_connection(pools: Callable[..., _Connections]) -> None:
    pool = pools(max_size=1)
    held = await pool.take()
    waiting = asyncio.ensure_future(pool.take())
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    pool.give_back(held)
    assert await pool.fetch(_pid) == await _pid(held) and pool.size == 1

    # handed the connection in the same moment it gives up: it passes it on
    held = await pool.take()
    waiting = asyncio.ensure_future(pool.take())
    after = asyncio.ensure_future(pool.fetch(_pid))
    await asyncio.sleep(0.05)
    pool.give_back(held)  # the first in line is handed it ...
    waiting.cancel()  # ... and cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await asyncio.wait_for(after, timeout=5) == await _pid(held)
    assert pool.size == 1


async def test_connections_dropped_while_idle_are_replaced_before_use(
        pools: Callable[..., _Connections], admin: asyncpg.Connection) -> None:
    pool = pools(max_size=2, idle=0.0)  # every connection counts as idle: pinged
    first = await pool.fetch(_pid)
    await admin.execute("SELECT pg_terminate_backend($1)", first)
    await asyncio.sleep(0.1)
    replaced = await pool.fetch(_pid)
    assert replaced != first and pool.size == 1


async def test_a_connection_idle_past_its_lifetime_is_closed_and_replaced(
        pools: Callable[..., _Connections], admin: asyncpg.Connection) -> None:
    pool = pools(max_size=2, recycle=0.0)
    first = await pool.fetch(_pid)
    second = await pool.fetch(_pid)
    assert second != first and pool.size == 1
    assert await _settled(admin, {second}) == {second}


async def test_once_closed_nothing_stays_open_and_nothing_is_handed_out(
        dsn: str, admin: asyncpg.Connection) -> None:
    pool = _pool(dsn, max_size=2)
    idle = await pool.fetch(_pid)
    in_use = [await pool.take(), await pool.take()]
    assert idle in {await _pid(c) for c in in_use}
    waiting = asyncio.ensure_future(pool.take())  # both in use: it waits
    await asyncio.sleep(0.05)
    await pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        await waiting
    with pytest.raises(RuntimeError, match="closed"):
        await pool.take()
    for connection in in_use:  # given back after the close: closed, not kept
        pool.give_back(connection)
    assert pool.size == 0
    assert await _settled(admin, set()) == set()


async def test_a_database_disposed_of_opens_new_connections_when_used_again(
        database_url: str, admin: asyncpg.Connection) -> None:
    """``Database.dispose`` closes every connection, and the next statement opens new ones
    (as SQLAlchemy's pool does): the CLI, the bench and the tests dispose and go on."""
    db = Database(settings_for(database_url))
    try:
        assert await db.fetch_one(roster_service._VERSION) is not None
        assert await _backends(admin)
        await db.dispose()
        assert await _settled(admin, set()) == set()
        assert await db.fetch_one(roster_service._VERSION) is not None
    finally:
        await db.dispose()


async def test_a_connection_the_server_ends_mid_statement_is_not_handed_out_again(
        pools: Callable[..., _Connections], admin: asyncpg.Connection) -> None:
    """The server's FATAL answer (an administrator's ``pg_terminate_backend``, a shutdown) is
    the server's error too, but its connection is finished: handed out again before asyncpg
    saw the socket close, the next statement found it in the middle of the last one."""
    pool = pools(max_size=1)
    first = await pool.fetch(_pid)
    slow = asyncio.ensure_future(
        pool.fetch(lambda connection: connection.fetch("SELECT pg_sleep(30)")))
    await asyncio.sleep(0.2)
    # callers waiting for the one connection: the first is handed it as soon as it is back
    waiting = [asyncio.ensure_future(pool.fetch(_pid)) for _ in range(3)]
    await asyncio.sleep(0.05)
    await admin.execute("SELECT pg_terminate_backend($1)", first)
    with pytest.raises((asyncpg.AdminShutdownError, asyncpg.ConnectionDoesNotExistError)):
        await slow
    answered = await asyncio.wait_for(asyncio.gather(*waiting), timeout=10)
    assert first not in answered and len(set(answered)) == 1 and pool.size == 1


async def test_the_servers_error_on_a_statement_keeps_the_connection_and_it_answers_next(
        pools: Callable[..., _Connections]) -> None:
    """An ERROR (not FATAL) ends the statement, not the session: asyncpg has read the whole
    reply, so the connection answers the next statement at once."""
    pool = pools(max_size=1)
    first = await pool.fetch(_pid)
    async def cut_short(connection: asyncpg.Connection) -> None:
        await connection.execute("SET statement_timeout = 50")
        try:
            await connection.fetch("SELECT pg_sleep(1)")
        finally:
            await connection.execute("RESET statement_timeout")

    for _ in range(5):
        with pytest.raises(asyncpg.QueryCanceledError):
            await pool.fetch(cut_short)
        assert await pool.fetch(_pid) == first and pool.size == 1


async def test_after_the_servers_fatal_answer_the_connection_is_not_used_again(
        dsn: str, admin: asyncpg.Connection, pools: Callable[..., _Connections]) -> None:
    """Which of the server's answers leave a connection to use again, decided from the answer
    itself: one that ended the session (here an administrator's terminate, as asyncpg raised
    it on another connection: a ``PostgresError`` too) is never followed by a next statement
    on that connection, however soon it is asked for (asyncpg may not yet have seen the
    socket close: under load the probe saw "another operation is in progress"); an ERROR,
    which ends only the statement, is."""
    victim = await asyncpg.connect(dsn)
    sleeping = asyncio.ensure_future(victim.fetch("SELECT pg_sleep(30)"))
    await asyncio.sleep(0.2)
    await admin.execute("SELECT pg_terminate_backend($1)", victim.get_server_pid())
    fatal: BaseException | None = None
    try:
        await sleeping
    except asyncpg.PostgresError as error:
        fatal = error
    assert fatal is not None and getattr(fatal, "severity", None) != "ERROR"
    pool = pools(max_size=1)
    first = await pool.fetch(_pid)

    async def answered(error: BaseException) -> None:
        raise error

    with pytest.raises(asyncpg.DivisionByZeroError) as refused:
        await pool.fetch(lambda connection: connection.fetchval("SELECT 1 / 0"))
    assert refused.value.severity == "ERROR"
    assert await pool.fetch(_pid) == first  # an ERROR: the same connection answers next
    with pytest.raises(type(fatal)):
        await pool.fetch(lambda _connection: answered(fatal))
    assert pool.size == 0  # a FATAL answer: closed, whatever asyncpg knew yet
    assert await pool.fetch(_pid) != first


async def _cut_off_first_attempt(pool: _Connections, admin: asyncpg.Connection, *,
                                 read: bool) -> tuple[list[int], int]:
    """A fetch whose first attempt the server ends mid-statement (an administrator's
    terminate); its later attempts answer at once. Answers the server processes each attempt
    ran on, and what the fetch answered."""
    attempts: list[int] = []

    async def work(connection: asyncpg.Connection) -> int:
        attempts.append(await _pid(connection))
        if len(attempts) == 1:
            await connection.fetch("SELECT pg_sleep(30)")
        return attempts[-1]

    fetching = asyncio.ensure_future(pool.fetch(work, read=read))
    for _ in range(50):
        if attempts:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    await admin.execute("SELECT pg_terminate_backend($1)", attempts[0])
    return attempts, await asyncio.wait_for(fetching, timeout=10)


async def test_a_read_whose_connection_is_lost_under_it_runs_again_on_another(
        pools: Callable[..., _Connections], admin: asyncpg.Connection) -> None:
    pool = pools(max_size=2)
    attempts, answered = await _cut_off_first_attempt(pool, admin, read=True)
    assert len(attempts) == 2 and answered == attempts[1] != attempts[0]


async def test_a_write_whose_connection_is_lost_is_not_run_twice(
        pools: Callable[..., _Connections], admin: asyncpg.Connection) -> None:
    """Whether a write the server was ending got done is not known: it fails, once."""
    pool = pools(max_size=2)
    with pytest.raises((asyncpg.AdminShutdownError, asyncpg.ConnectionDoesNotExistError)):
        await _cut_off_first_attempt(pool, admin, read=False)
    assert pool.size == 0


async def test_a_read_the_server_refuses_is_not_run_again(
        pools: Callable[..., _Connections]) -> None:
    pool = pools(max_size=1)
    attempts: list[int] = []

    async def refused(connection: asyncpg.Connection) -> None:
        attempts.append(1)
        await connection.fetchval("SELECT 1 / 0")

    with pytest.raises(asyncpg.DivisionByZeroError):
        await pool.fetch(refused, read=True)
    assert attempts == [1] and pool.size == 1


class _Pinged(_Connections):
    """Connections whose pings (``execute``, which nothing else here calls) are written down."""

    pings: list[int]

    async def _open(self) -> Any:
        return _Recorded(await super()._open(), self)


class _Recorded:
    def __init__(self, connection: asyncpg.Connection, pool: _Pinged) -> None:
        self._connection, self._pool = connection, pool

    async def execute(self, query: str, *args: Any) -> Any:
        self._pool.pings.append(self._connection.get_server_pid())
        return await self._connection.execute(query, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


async def test_once_a_connection_is_lost_the_idle_ones_are_pinged_before_use(
        dsn: str, admin: asyncpg.Connection) -> None:
    """A restart ends every session at once: after one connection is found lost under a
    statement, each one idle since is pinged (and replaced if dead) before its next use;
    connections in steady use are not pinged otherwise."""
    pool = _Pinged({"dsn": dsn}, max_size=3, idle_seconds=lambda: 60.0, recycle_seconds=300.0)
    pool.pings = []
    try:
        held = [await pool.take() for _ in range(3)]
        for connection in held:
            pool.give_back(connection)
        assert await pool.fetch(_pid) and pool.pings == []  # in steady use: no ping
        attempts, answered = await _cut_off_first_attempt(pool, admin, read=True)
        assert pool.pings == [answered]  # the next one was pinged first
        assert answered != attempts[0]
    finally:
        await pool.close()


async def test_a_write_the_driver_refused_to_send_goes_on_another_connection(
        pools: Callable[..., _Connections]) -> None:
    """asyncpg refuses to send a statement on a connection still reading the last words of a
    session the server ended ("cannot switch to state ..."): nothing was sent, so even a
    write goes again on another connection. Any other failure of a write does not."""
    pool = pools(max_size=2)
    for message, runs in (("cannot switch to state 12; another operation (2) is in progress",
                           2), ("unexpected message", 1)):
        pids: list[int] = []

        async def write(connection: asyncpg.Connection, message: str = message,
                        pids: list[int] = pids) -> int:
            pids.append(await _pid(connection))
            if len(pids) == 1:
                raise asyncpg.InternalClientError(message)
            return pids[-1]

        if runs == 2:
            assert await pool.fetch(write) == pids[1] != pids[0]
        else:
            with pytest.raises(asyncpg.InternalClientError):
                await pool.fetch(write)
        assert len(pids) == runs
