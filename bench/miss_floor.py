"""The floor of a roster search that misses the cache: the same SQL, run with the raw driver.

    .venv/bin/python bench/miss_floor.py [--db sqlite|postgres|both] [--searches 600]

On the bench's seeded databases (``bench/seed.py``; the same ``IRIS_BENCH_*`` variables as
``bench/run.py``): the real app in-process (``create_app``, its lifespan, httpx's ASGI
client) answers ``--searches`` of ``bench/run.py``'s ``roster_miss`` paths (certificate-number
prefixes and name fragments with a country and statuses), each a miss (the paths are
distinct and the app is new), while SQLAlchemy's ``before_cursor_execute`` records every
statement with its parameters as the driver got them; the app's CPU per search is measured
on a second pass over other paths of the same mix. Then the recorded statements are run
with the driver alone, each search's in one transaction as the app reads them: ``sqlite3``
in this thread, ``asyncpg`` on one connection (client CPU and wall time per search; the
wall time holds PostgreSQL's own work). Certificate numbers and name fragments are reported
apart: their database work differs a hundredfold. Writes
``bench/results/miss-floor-<stamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import run as bench_run  # noqa: E402  (bench/run.py: the miss paths)
import seed as seeding  # noqa: E402  (bench/seed.py)
from httpx import ASGITransport, AsyncClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

Statement = tuple[str, Any]
#: statements of a transaction's own, not of the search
_FRAME = ("BEGIN", "COMMIT", "ROLLBACK")


async def _through_app(db: str, paths: list[str], timed: list[str]) -> tuple[
        list[list[Statement]], float]:
    """Each path's statements as the app sends them, and its CPU per search on ``timed``."""
    from iris_engine.app import create_app
    from iris_engine.settings import Settings

    app = create_app(Settings.from_env(bench_run.iris_env(db, cache_seconds=1.0)))
    recorded: list[list[Statement]] = []
    current: list[Statement] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _m: Any) -> None:
        current.append((statement, parameters))

    async with app.lifespan():
        for engine in app.state.services.db.engines:
            event.listen(engine.sync_engine, "before_cursor_execute", record)
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://bench") as c:
            for path in paths:
                current.clear()
                r = await c.get(path)
                assert r.status_code == 200, (path, r.status_code, r.text[:200])
                recorded.append([s for s in current if "roster_meta" not in s[0]])
            started = time.process_time()
            for path in timed:
                assert (await c.get(path)).status_code == 200
            cpu = (time.process_time() - started) / len(timed)
    return recorded, cpu * 1000


def _raw_sqlite(path: str, searches: list[list[Statement]]) -> dict[str, float]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        for statements in searches:
            connection.execute("BEGIN")
            for sql, parameters in statements:
                if sql.split(" ")[0] not in _FRAME:
                    connection.execute(sql, parameters).fetchall()
            connection.execute("COMMIT")
        n = len(searches)
        return {"client_cpu_ms": round((time.process_time() - cpu) / n * 1000, 3),
                "wall_ms": round((time.perf_counter() - wall) / n * 1000, 3)}
    finally:
        connection.close()


async def _raw_postgres(dsn: str, searches: list[list[Statement]]) -> dict[str, float]:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SET plan_cache_mode = force_custom_plan")  # as the app's
        cpu, wall = time.process_time(), time.perf_counter()
        for statements in searches:
            async with connection.transaction():
                for sql, parameters in statements:
                    if sql.split(" ")[0] in _FRAME or sql.startswith("SET "):
                        continue
                    await connection.fetch(sql, *parameters)  # $n, as sent
        n = len(searches)
        return {"client_cpu_ms": round((time.process_time() - cpu) / n * 1000, 3),
                "wall_ms": round((time.perf_counter() - wall) / n * 1000, 3)}
    finally:
        await connection.close()


async def measure(db: str, count: int) -> dict[str, Any]:
    everything = bench_run.roster_miss_paths()
    out: dict[str, Any] = {}
    for kind, test in (("certificate number", lambda p: "lrn=" in p),
                       ("name fragment", lambda p: "q=" in p)):
        paths = [p for p in everything if test(p)]
        recorded, app_cpu = await _through_app(db, paths[:count], paths[count:2 * count])
        url = seeding.database_url(db)
        if db == "sqlite":
            raw = _raw_sqlite(url.split(":///", 1)[1], recorded)
        else:
            raw = await _raw_postgres(re.sub(r"^postgresql\+asyncpg", "postgresql", url),
                                      recorded)
        statements = sum(len([s for s in r if s[0].split(" ")[0] not in _FRAME])
                         for r in recorded) / len(recorded)
        out[kind] = {"searches": len(recorded), "statements_per_search": round(statements, 2),
                     "app_cpu_ms": round(app_cpu, 3), "raw": raw,
                     "app_over_raw_cpu": round(app_cpu / max(raw["client_cpu_ms"], 1e-6), 1)}
        print(f"{db:8} {kind:18} {statements:4.1f} statements  app {app_cpu:6.3f} ms CPU  "
              f"raw {raw['client_cpu_ms']:6.3f} ms CPU, {raw['wall_ms']:6.3f} ms wall",
              flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--searches", type=int, default=600,
                        help="searches of each kind recorded, and as many others timed")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = {db: asyncio.run(measure(db, args.searches)) for db in databases}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    bench_run.RESULTS.mkdir(parents=True, exist_ok=True)
    path = bench_run.RESULTS / f"miss-floor-{stamp}.json"
    path.write_text(json.dumps({"stamp": stamp, "databases": results}, indent=2))
    print(f"results: {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
