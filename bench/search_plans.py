"""Time the roster search's SQL path (no HTTP, no cache) on a seeded bench database, query by
query, beside the plain ``LIKE`` scan it replaced; PostgreSQL also prints EXPLAIN ANALYZE.

    python bench/search_plans.py --url sqlite+aiosqlite:////tmp/bench/iris.db [--runs 7]
    python bench/search_plans.py --url ... --mix 600

Each query runs ``--runs`` times after one warm-up (PostgreSQL: more than the five runs after
which a prepared statement may get a generic plan); the median wall time is printed in ms.
``--mix N`` instead times the first N name searches of ``bench/run.py``'s miss scenario
(``roster_miss``: a fragment, with a country 70% of the time and a status half the time), once
each, and prints them by filters and by the plans they took (``probe``, ``among``: the few
matches by key, ``walk``, ``names``: the trigram index then the entries, ``index``: the page's
names ordered without reading an entry, ``plain``: no trigram), slowest share first.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlmodel import col

HERE = Path(__file__).resolve().parent

#: (label, query): rare and common fragments, with and without filters, a 2-character one,
#: and a fragment whose words belong to one home country asked with another (no match)
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("rare", {"q": "everest phoenix staff"}),
    ("rare + country", {"q": "everest phoenix staff", "country": "NP"}),
    ("common", {"q": "manpower"}),
    ("common + country", {"q": "manpower", "country": "PH"}),
    ("common + country + status", {"q": "manpower", "country": "KE", "status": ("expired",)}),
    ("medium", {"q": "everest"}),
    ("medium + other country", {"q": "everest", "country": "MX"}),
    ("2 chars", {"q": "xq"}),
    ("2 chars common", {"q": "ma"}),
    ("country", {"country": "QA"}),
    ("country + status", {"country": "QA", "status": ("suspended",)}),
    ("none", {"q": "zzz"}),
]


async def _old(session: Any, q: Any) -> list[Any]:
    """The search as it was: one statement, a LIKE scan in sort order."""
    from iris_engine.roster.models import RosterCountry, RosterEntry
    from iris_engine.roster.search import like_pattern

    stmt = select(col(RosterEntry.lrn)).where(col(RosterEntry.status).in_(q.status))
    if q.country:
        stmt = stmt.join(RosterCountry, (col(RosterCountry.lrn) == col(RosterEntry.lrn))
                         & (col(RosterCountry.country) == q.country))
    if q.q:
        stmt = stmt.where(col(RosterEntry.name_key).like(like_pattern(q.q), escape="\\"))
    stmt = stmt.order_by(col(RosterEntry.name_key), col(RosterEntry.lrn)).limit(q.limit + 1)
    return list((await session.execute(stmt)).all())


async def main(url: str, runs: int, old: bool, explain: bool) -> None:
    from sqlalchemy import event

    from iris_engine.roster.search import page_plan
    from iris_engine.roster.service import PUBLIC_STATUSES, RosterQuery
    from iris_engine.settings import Settings
    from iris_engine.store.db import Database

    db = Database(Settings(database_url=url, secret_key="x" * 40))
    captured: list[tuple[str, Any]] = []

    def _capture(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _m: Any) -> None:
        captured.append((statement, parameters))

    for engine in db.engines:  # the driver's runners report to the write engine's listeners
        event.listen(engine.sync_engine, "before_cursor_execute", _capture)

    async with db.read() as session:
        total = await session.scalar(text("SELECT count(*) FROM roster_entry"))
    print(f"{url}: {total} roster entries")
    for label, params in QUERIES:
        q = RosterQuery(limit=20, **params).checked()
        every = set(q.status) == set(PUBLIC_STATUSES)
        times, old_times = [], []
        for i in range(runs + 1):
            captured.clear()
            t = time.perf_counter()
            rows = await db.read_plan(partial(page_plan, q, sqlite=db.is_sqlite, after=None,
                                                 every_status=every))
            if i:
                times.append((time.perf_counter() - t) * 1000)
            statements = list(captured)
            if old and i < 3:
                async with db.read() as session:
                    t = time.perf_counter()
                    await _old(session, q)
                    old_times.append((time.perf_counter() - t) * 1000)
        # page 2 of the same query, through the cursor
        after = None
        if len(rows) > q.limit:
            last = rows[q.limit - 1]
            after = (last.name_key, last.lrn)
            t = time.perf_counter()
            await db.read_plan(partial(page_plan, q, sqlite=db.is_sqlite, after=after,
                                         every_status=every))
            page2 = (time.perf_counter() - t) * 1000
        line = (f"{label:28} {len(rows):3} rows  median {statistics.median(times):8.2f} ms"
                f"  max {max(times):8.2f}")
        if after is not None:
            line += f"  page2 {page2:8.2f}"
        if old_times:
            line += f"  | old scan {statistics.median(old_times[1:] or old_times):8.2f} ms"
        print(line, flush=True)
        if explain and not db.is_sqlite:
            sql, parameters = statements[-1]
            async with db.read() as session:
                raw = await (await session.connection()).get_raw_connection()
                plan = await raw.driver_connection.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + sql,
                                                         *parameters)
            for row in plan:
                if "Execution Time" in row[0] or "Planning Time" in row[0] or "Index" in row[0] \
                        or "Bitmap" in row[0] or "Sort" in row[0]:
                    print("      " + row[0])
        elif explain:
            sql, parameters = statements[-1]
            async with db.read() as session:
                conn = await session.connection()
                raw = await conn.get_raw_connection()
                cursor = await raw.driver_connection.execute("EXPLAIN QUERY PLAN " + sql,
                                                             parameters)
                for row in await cursor.fetchall():
                    print("      " + row[-1])
    await db.dispose()


async def mix(url: str, count: int) -> None:
    """The miss scenario's name searches on the SQL path, by filters and plan."""
    from collections import defaultdict
    from urllib.parse import parse_qsl, urlsplit

    import run as bench_run  # bench/run.py: its miss paths

    from iris_engine.roster import search
    from iris_engine.roster.service import PUBLIC_STATUSES, RosterQuery
    from iris_engine.settings import Settings
    from iris_engine.store.db import Database

    plans: list[str] = []
    statement, page_names = search._statement, search._page_names

    def spied_statement(shape: Any) -> Any:
        plans.append({"window": "walk", "scan": "plain"}.get(shape.plan, shape.plan))
        return statement(shape)

    def spied_page(shape: Any) -> Any:
        plans.append("index")
        return page_names(shape)

    search._statement, search._page_names = spied_statement, spied_page  # type: ignore[assignment]
    db = Database(Settings(database_url=url, secret_key="x" * 40))
    paths = [p for p in bench_run.roster_miss_paths() if "q=" in p][:count]
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for path in paths:
        fields: dict[str, Any] = {"status": ()}
        for name, value in parse_qsl(urlsplit(path).query):
            if name == "status":
                fields["status"] += (value,)
            else:
                fields[name] = int(value) if name == "limit" else value
        q = RosterQuery(**fields).checked()
        named = {"country": bool(q.country), "status": bool(fields["status"])}
        filters = "+".join(f for f, given in named.items() if given) or "name only"
        plans.clear()
        every = set(q.status) == set(PUBLIC_STATUSES)
        started = time.perf_counter()
        await db.read_plan(partial(search.page_plan, q, sqlite=db.is_sqlite, after=None,
                                   every_status=every))
        by[(filters, ">".join(plans) or "probe")].append(
            (time.perf_counter() - started) * 1000)
    await db.dispose()
    every = sorted(t for times in by.values() for t in times)
    total = sum(every)

    def at(share: float) -> float:
        return every[min(len(every) - 1, int(len(every) * share))]

    print(f"{url}: {len(every)} name searches, mean {total / len(every):.2f} ms, p50 "
          f"{at(0.5):.2f}, p90 {at(0.9):.2f}, p99 {at(0.99):.2f}, max {every[-1]:.2f}")
    for (filters, plan), times in sorted(by.items(), key=lambda kv: -sum(kv[1])):
        times.sort()
        print(f"  {filters:15} {plan:18} n={len(times):4} share {sum(times) / total:6.1%}"
              f"  p50 {statistics.median(times):7.2f}  max {times[-1]:7.2f} ms")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--old", action="store_true", help="also time the old LIKE scan")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--mix", type=int, default=0, metavar="N",
                        help="time the first N name searches of the miss scenario instead")
    args = parser.parse_args()
    if args.mix:
        sys.path.insert(0, str(HERE))
        asyncio.run(mix(args.url, args.mix))
    else:
        asyncio.run(main(args.url, args.runs, args.old, args.explain))

