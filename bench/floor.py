"""The floor of the hot write paths: the same SQL, run with the raw driver.

    .venv/bin/python bench/floor.py [--db sqlite|postgres|both] [--runs 300]

For each database: a fresh database (migrated to head), the real app in-process (the
integration tests' world), and each hot path done once through HTTP while SQLAlchemy's
``before_cursor_execute`` records every statement with its parameters as the driver got them:
an accreditation ``suspend`` by the scheme manager (authentication included) and a public
grievance filing. Then those statements are run ``--runs`` times with the driver alone, each
time in one transaction, and the client's CPU per transaction is reported (what no
application on this driver can go under), next to the app's own CPU per operation in the
same process (``app_cpu_ms``: through httpx's ASGI client, so a little above what a server
spends; ``bench/run.py`` measures that from outside).

The raw runs roll back instead of committing: they replay rows with the same keys (an event's
``(case_id, seq)``, an e-mail's idempotency key), which a commit would refuse the second time;
a COMMIT costs the client what a ROLLBACK does (one call), the server's flush aside.

SQLite is measured twice: with ``sqlite3`` (the statement itself) and with ``aiosqlite``
(each call handed to its thread, as SQLAlchemy's async SQLite driver does: the cost the
write engine's inline driver, ``iris_engine/store/sqlite_inline.py``, removes).
PostgreSQL with ``asyncpg``, the app's driver. Writes ``bench/results/floor-<stamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from httpx import ASGITransport, AsyncClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

from iris_engine.app import create_app  # noqa: E402
from iris_engine.clock import ManualClock, utcnow  # noqa: E402
from iris_engine.services import build_services  # noqa: E402
from iris_engine.ticker import Ticker  # noqa: E402
from tests.databases import PostgresServer, driver_dsn, sqlite_url, upgrade  # noqa: E402
from tests.integration.conftest import (  # noqa: E402
    Cast,
    World,
    grievance_filing,
    test_settings,
    walk_to,
)

#: the server the floor is measured on (its socket directory: ``...@/test?host=/var/run/postgresql``)
PG_ADMIN = os.environ.get("IRIS_BENCH_PG_ADMIN", "postgresql+asyncpg://postgres@127.0.0.1/test")
RESULTS = HERE / "results"

Statement = tuple[str, Any, bool]  # text, parameters, executemany


class Recorder:
    """Every statement the app's engines send, with its parameters, while ``on``."""

    def __init__(self, engines: list[Any]) -> None:
        self.on = False
        self.seen: list[Statement] = []
        for engine in {id(e): e for e in engines}.values():
            event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any,
                _context: Any, executemany: bool) -> None:
        if self.on and statement.split(" ")[0] not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.seen.append((statement, parameters, executemany))

    async def during(self, work: Callable[[], Awaitable[None]]) -> list[Statement]:
        self.seen, self.on = [], True
        try:
            await work()
        finally:
            self.on = False
        return self.seen


async def capture(url: str, runs: int,
                  snapshot: Callable[[str], Awaitable[None]]) -> dict[str, Any]:
    """The paths' statements as the app sends them, and the app's CPU per operation;
    ``snapshot(name)`` copies the database as it is just before each path is recorded (the
    replay starts from there: its rows do not exist yet)."""
    settings = test_settings(url, anchor_dir=Path(tempfile.mkdtemp()) / "anchors")
    clock = ManualClock(utcnow())
    services = build_services(settings, clock=clock)
    app = create_app(settings, services=services)
    out: dict[str, Any] = {}
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as client:
        world = World(services, client, settings, clock, Ticker(services, "floor"))
        cast = Cast(
            recruiter=await world.recruiter("Everest Fair Recruitment", certified=True),
            manager=await world.staff("manager@scheme.example", "scheme_manager",
                                      organisation="Scheme", kind="scheme"),
            auditor=await world.staff("auditor@audit.example", "auditor"))
        case_id = await walk_to(cast, "accredited")
        revision = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
        recorder = Recorder(services.db.engines)

        suspended = False

        async def transition() -> None:  # suspend, reinstate, suspend, ...
            nonlocal revision, suspended
            r = await cast.manager.fire(case_id, "reinstate" if suspended else "suspend",
                                        revision, reason_code="other", note="bench")
            assert r.status_code == 200, r.text
            revision, suspended = revision + 1, not suspended

        filing = grievance_filing()

        async def file() -> None:
            r = await client.post("/api/v1/grievances", json=filing)
            assert r.status_code == 201, r.text

        async def copy(name: str) -> None:
            await services.db.dispose()  # PostgreSQL copies a database nobody is connected to
            await snapshot(name)

        for name, work in (("suspend", transition), ("filing", file)):
            for _ in range(20):  # warm the caches; the case is accredited after an even count
                await work()
            await copy(name)
            statements = await recorder.during(work)  # a suspend, or a filing
            started = time.process_time()
            for _ in range(runs):  # transitions: reinstate, suspend, ... as bench/run.py does
                await work()
            cpu = (time.process_time() - started) / runs
            out[name] = {"statements": statements, "app_cpu_ms": round(cpu * 1000, 3)}
    await services.db.dispose()
    return out


def _sqlite_replay(path: str, statements: list[Statement], runs: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        started = time.process_time()
        for _ in range(runs):
            conn.execute("BEGIN IMMEDIATE")
            for sql, params, many in statements:
                cursor = conn.executemany(sql, params) if many else conn.execute(sql, params)
                cursor.fetchall()
                cursor.close()
            conn.execute("ROLLBACK")
        return (time.process_time() - started) / runs
    finally:
        conn.close()


async def _aiosqlite_replay(path: str, statements: list[Statement], runs: int) -> float:
    import aiosqlite

    async with aiosqlite.connect(path, isolation_level=None) as conn:
        started = time.process_time()
        for _ in range(runs):
            await conn.execute("BEGIN IMMEDIATE")
            for sql, params, many in statements:
                if many:
                    await conn.executemany(sql, params)
                else:
                    cursor = await conn.execute(sql, params)
                    await cursor.fetchall()
                    await cursor.close()
            await conn.execute("ROLLBACK")
        return (time.process_time() - started) / runs


async def _asyncpg_replay(dsn: str, statements: list[Statement], runs: int) -> float:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        # a ROLLBACK leaves sequences moved on: put them back before each run (untimed), so
        # the ids the recorded statements name are the ones the replay's INSERTs make
        sequences = [(f"{r['schemaname']}.{r['sequencename']}", r["last_value"]) for r in
                     await conn.fetch("SELECT schemaname, sequencename, last_value "
                                      "FROM pg_sequences")]
        spent = 0.0
        for _ in range(runs):
            for name, value in sequences:
                await conn.execute("SELECT setval($1, $2, $3)", name, value or 1,
                                   value is not None)
            started = time.process_time()
            tx = conn.transaction()
            await tx.start()
            for sql, params, many in statements:
                if many:
                    await conn.executemany(sql, params)
                else:
                    await conn.fetch(sql, *params)
            await tx.rollback()
            spent += time.process_time() - started
        return spent / runs
    finally:
        await conn.close()


def measure(db: str, runs: int) -> dict[str, Any]:
    """Capture and replay on a fresh database of kind ``db``."""
    server = PostgresServer(PG_ADMIN) if db == "postgres" else None
    made: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="iris-floor-"))
    if server is None:
        url = sqlite_url(folder / "iris.db")
    else:
        made.append(server.create("iris_floor"))
        url = server.url(made[0])

    async def snapshot(name: str) -> None:
        if server is None:
            with sqlite3.connect(folder / "iris.db") as conn:
                conn.execute("VACUUM INTO ?", (str(folder / f"{name}.db"),))
        else:
            # the admin helper runs its own event loop: not inside this one
            made.append(await asyncio.to_thread(server.create, f"iris_floor_{name}",
                                                template=made[0]))

    try:
        upgrade(url)
        captured = asyncio.run(capture(url, runs, snapshot))
        result: dict[str, Any] = {}
        for index, (path_name, found) in enumerate(captured.items()):
            statements = found["statements"]
            row: dict[str, Any] = {"statements": len(statements), "app_cpu_ms": found["app_cpu_ms"],
                                   "sql": [s for s, _, _ in statements]}
            if server is None:
                copy = str(folder / f"{path_name}.db")
                row["sqlite3_cpu_ms"] = round(_sqlite_replay(copy, statements, runs) * 1000, 3)
                row["aiosqlite_cpu_ms"] = round(
                    asyncio.run(_aiosqlite_replay(copy, statements, runs)) * 1000, 3)
                floor = row["sqlite3_cpu_ms"]
            else:
                dsn = driver_dsn(server.url(made[index + 1]))
                row["asyncpg_cpu_ms"] = round(
                    asyncio.run(_asyncpg_replay(dsn, statements, runs)) * 1000, 3)
                floor = row["asyncpg_cpu_ms"]
            row["app_over_floor"] = round(row["app_cpu_ms"] / floor, 1) if floor else None
            result[path_name] = row
        return result
    finally:
        for name in reversed(made) if server is not None else ():
            server.drop(name)  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = {db: measure(db, args.runs) for db in dbs}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"floor-{stamp}.json"
    out.write_text(json.dumps({"stamp": stamp, "runs": args.runs, "results": results}, indent=2))
    print("| DB | path | statements | app CPU ms/op (in-process) | raw driver CPU ms/tx | "
          "aiosqlite ms/tx | app / floor |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for db, paths in results.items():
        for name, row in paths.items():
            raw = row.get("sqlite3_cpu_ms", row.get("asyncpg_cpu_ms"))
            print(f"| {db} | {name} | {row['statements']} | {row['app_cpu_ms']} | {raw} | "
                  f"{row.get('aiosqlite_cpu_ms', '')} | {row['app_over_floor']} |")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
