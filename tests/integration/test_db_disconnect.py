"""PostgreSQL connections killed under a running app (a database restart, an admin's
``pg_terminate_backend``): pooled connections are not pinged on every checkout, only when they
sat idle (``iris_engine.store.db.IDLE_PING_SECONDS``), and a dead idle one is replaced before
any request sees it."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from iris_engine.store import db
from tests.databases import driver_dsn
from tests.integration.conftest import World, grievance_filing

# a server's connections and a pool to ping are PostgreSQL's (SQLite is a file in the process):
# these run as the PostgreSQL variant only, so nothing skips where PostgreSQL is configured
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def _kill_the_pool(world: World) -> int:
    """Terminate every server process serving the app's database; answers how many."""
    name = world.services.db.write_engine.url.database
    admin = await asyncpg.connect(driver_dsn(world.settings.database_url, "postgres"))
    try:
        return int(await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()", name))
    finally:
        await admin.close()


async def test_connections_killed_while_idle_are_replaced_unseen(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await world.client.get("/api/v1/roster")).status_code == 200
    assert await _kill_the_pool(world) >= 1
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
    for _ in range(3):
        r = await world.client.get("/api/v1/roster")
        assert r.status_code == 200, r.text


async def test_a_connection_in_steady_use_is_not_pinged(world: World) -> None:
    pings: list[object] = []
    dialect = world.services.db.write_engine.sync_engine.dialect
    real = dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        pings.append(dbapi_conn)
        return real(dbapi_conn)

    dialect.do_ping = counting  # type: ignore[method-assign,assignment]
    try:
        for _ in range(5):
            assert (await world.client.get("/api/v1/roster")).status_code == 200
    finally:
        dialect.do_ping = real  # type: ignore[method-assign]
    assert pings == []


async def test_write_connections_killed_while_idle_fail_one_request_at_most(
        world: World) -> None:
    """A write transaction whose pooled connection the server ended meanwhile (not idle long
    enough to be pinged) fails, as SQLAlchemy fails it, and the pool is told: the next request
    takes a new connection, not the dead one again (a transaction begun on the driver once
    handed the dead connection back to the pool, failing every filing after a restart)."""
    assert (await world.client.post("/api/v1/grievances", json=grievance_filing())
            ).status_code == 201
    assert await _kill_the_pool(world) >= 1
    codes = [(await world.client.post("/api/v1/grievances", json=grievance_filing())
              ).status_code for _ in range(5)]
    assert codes[1:] == [201] * 4, codes
