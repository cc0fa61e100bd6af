"""``Database.exclusive``: one process of all that share a database holds a claim at a time, and
a process killed while holding it leaves it free (a PostgreSQL advisory lock ends with its
session, an ``flock`` with its process)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from iris_engine.store.db import Database
from tests.conftest import REPO
from tests.integration.conftest import test_settings as settings_for

#: a process that takes the claim ``probe``, says so, and holds it until it is killed
HOLDER = """
import asyncio, sys
from iris_engine.store.db import Database
from tests.integration.conftest import test_settings

async def main() -> None:
    async with Database(test_settings(sys.argv[1])).exclusive("probe") as held:
        print("held" if held else "refused", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(settings_for(database_url))
    try:
        yield database
    finally:
        await database.dispose()


async def held(db: Database, name: str = "probe") -> bool:
    async with db.exclusive(name) as got:
        return got


async def test_a_claim_is_held_by_one_process_and_freed_when_it_is_killed(
        db: Database, database_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, database_url], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        said = await asyncio.wait_for(asyncio.to_thread(holder.stdout.readline), 60)  # type: ignore[union-attr]
        assert said.strip() == "held"
        assert not await held(db)  # the other process holds it
        assert await held(db, "another claim")  # claims are by name
        holder.send_signal(signal.SIGKILL)  # no chance to let it go
        await asyncio.to_thread(holder.wait, 30)
        for _ in range(100):  # PostgreSQL ends the session when it sees the socket closed
            if await held(db):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("a claim outlived the process that held it")
    finally:
        holder.kill()
        holder.wait()


async def test_a_claim_is_held_once_in_one_process_and_free_after_its_block(db: Database) -> None:
    other = Database(db.settings)  # another pool: what another process would hold
    try:
        async with db.exclusive("probe") as first:
            assert first
            assert not await held(other)
        assert await held(other)  # freed at the end of the block
        with pytest.raises(RuntimeError):
            async with db.exclusive("probe"):
                raise RuntimeError("the guarded work failed")
        assert await held(other)  # and freed when the work failed
    finally:
        await other.dispose()
