"""IRIS Engine benchmark: due timers swept per second by the real ticker, at a 100k backlog.

    .venv/bin/python bench/timers.py [--db sqlite|postgres|both] [--window 60]
    .venv/bin/python bench/run.py --scenario timers [same options]

For each database, on a database created for this run and dropped at the end (PostgreSQL:
``iris_timers_<stamp>`` on 127.0.0.1; SQLite: a file in IRIS_BENCH_WORKDIR):

1. migrate it with the project's Alembic migrations, then bulk-insert with SQLAlchemy Core
   (executemany, 10,000 rows per statement): ``--organisations`` recruiter organisations with
   one active recruiter user each (the ``lapse`` notification finds a recipient and enqueues
   an e-mail, as in production), one scheme organisation and manager, ``--timers``
   accreditation cases in state ``deferred`` (workflow v1, revision 1) with a valid one-event
   hash chain (``defer``, submitted -> deferred, prev_hash GENESIS, so the chains verify),
   their accreditation rows and one ``deferral_lapse`` deadline timer each, pending,
   due at distinct moments over the last 30 days; then ANALYZE (PostgreSQL: VACUUM ANALYZE).
2. claim probe: the sweeper's real claim (200 rows) against the full backlog, alone, released
   after each try; its SQL is captured and EXPLAINed.
3. for each ticker count (PostgreSQL ``--tickers-pg``, default 1,2,4; SQLite
   ``--tickers-sqlite``, default 1,2): bare wrk run, then that many separate OS processes, each
   building its own services and ``iris_engine.ticker.Ticker`` (IRIS_SCHEDULER off, default
   tick batch 200), start together and call ``Ticker.tick()`` back to back for ``--window``
   seconds; then another bare wrk run. **timers/s = fires completed inside the window / window**
   (each process finishes the batch it has claimed after the window; those fires are checked
   but not counted). Then the correctness check (no case lapsed twice, lapse events = done
   timers = fires reported = lapsed cases, no failed/discarded/skipped outcome, no claim left,
   at least one e-mail enqueued per fire) and a bulk SQL reset to the full backlog for the next count.
4. cProfile of ``--profile-fires`` fires through ``Ticker.tick()`` in one process.
5. ``verify_chains`` (the chains ``iris audit verify`` recomputes) over every case, after the last run
   (its fires still in the database, before the reset).

Prints a Markdown table; every number goes to bench/results/<stamp>-timers.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import multiprocessing as mp
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import make_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import run as harness  # noqa: E402  (bench/run.py: wrk, bare server, CPU accounting)
import seed as seeding  # noqa: E402  (bench/seed.py: names, admin URL, ANALYZE)

TIMER = "deferral_lapse"
BATCH = 10_000
DEFAULT_TICKERS = {"postgres": "1,2,4", "sqlite": "1,2"}


def log(msg: str) -> None:
    harness.log(msg)


# -- databases -----------------------------------------------------------------------------
def database_url(db: str, stamp: str) -> str:
    if db == "sqlite":
        return f"sqlite+aiosqlite:///{harness.WORK / f'timers-{stamp}.db'}"
    return seeding.pg_url(f"iris_timers_{stamp.lower()}")


async def drop_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    if url.startswith("sqlite"):
        seeding.drop_sqlite(url)
        return
    admin = create_async_engine(seeding.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" '
                                    "WITH (FORCE)"))
    finally:
        await admin.dispose()


def settings_for(url: str) -> Any:
    from iris_engine.settings import Settings

    # the timers alone are measured: no audit anchor in the window
    return Settings(database_url=url, secret_key=seeding.BENCH_SECRET, scheduler=False,
                    anchor_interval_seconds=0)


async def tidy(services: Any) -> None:
    """Planner statistics and no dead rows left over before a measured run."""
    await seeding.analyze(services)  # SQLite: ANALYZE; PostgreSQL: VACUUM ANALYZE + CHECKPOINT


def checkpoint(url: str) -> None:
    """SQLite: fold the WAL back into the file (after every connection is closed)."""
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(seeding.sqlite_path(url))) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- seed ----------------------------------------------------------------------------------
async def seed_timers(url: str, timers: int, organisations: int, *,
                      seed: int = 2026) -> dict[str, Any]:
    """Organisations + recruiters, deferred cases with a one-event chain, details, timers."""
    from sqlalchemy import insert, text
    from sqlmodel import SQLModel

    from iris_engine.cases.audit import GENESIS, chain_hash
    from iris_engine.services import build_services

    t0 = time.perf_counter()
    await asyncio.to_thread(seeding.migrate, url)  # Alembic runs its own event loop
    timings = {"migrate_s": time.perf_counter() - t0}
    tables = SQLModel.metadata.tables
    rng = random.Random(seed)
    now = datetime.now(UTC)
    services = build_services(settings_for(url))
    db = services.db
    try:
        t0 = time.perf_counter()
        orgs, users = [], []
        for i in range(1, organisations + 1):
            home = rng.choices(seeding.HOMES, seeding.HOME_WEIGHTS)[0]
            created = now - timedelta(days=rng.randint(200, 2000))
            orgs.append({"id": i, "kind": "recruiter", "name": seeding.roster_name(rng, home),
                         "country": home, "created_at": created})
            users.append({"id": i, "email": f"recruiter{i:04d}@timers.bench.example",
                          "name": f"Recruiter {i:04d} (bench)", "password_hash": "!no-login",
                          "organisation_id": i, "roles": "recruiter", "active": True,
                          "created_at": created})
        scheme = manager = organisations + 1
        orgs.append({"id": scheme, "kind": "scheme", "name": "IRIS Scheme Secretariat (bench)",
                     "country": "CH", "created_at": now - timedelta(days=3000)})
        users.append({"id": manager, "email": "manager@timers.bench.example",
                      "name": "Scheme Manager (bench)", "password_hash": "!no-login",
                      "organisation_id": scheme, "roles": "scheme_manager", "active": True,
                      "created_at": now - timedelta(days=3000)})
        async with db.write() as session:
            conn = await session.connection()
            await conn.execute(insert(tables["organisation"]), orgs)
            await conn.execute(insert(tables["app_user"]), users)

        note = "The copy of the operating licence is illegible; please send it again."
        for start in range(0, timers, BATCH):
            cases, events, details, rows = [], [], [], []
            for case_id in range(start + 1, min(start + BATCH, timers) + 1):
                # due at distinct moments over the last 30 days (a month-long backlog)
                due = now - timedelta(seconds=60 + rng.uniform(0, 30 * 86400))
                deferred_at = due - timedelta(days=60)
                created = deferred_at - timedelta(days=rng.randint(14, 60),
                                                  seconds=rng.randint(0, 86400))
                event = SimpleNamespace(
                    case_id=case_id, seq=1, event="defer", from_state="submitted",
                    to_state="deferred", actor_id=manager, actor_role="scheme_manager",
                    reason_code="incomplete_documents", note=note, data={},
                    note_commitment=None, created_at=deferred_at)
                digest = chain_hash(GENESIS, event)  # type: ignore[arg-type]
                cases.append({"id": case_id, "workflow": "accreditation", "workflow_version": 1,
                              "state": "deferred", "revision": 1,
                              "organisation_id": (case_id - 1) % organisations + 1,
                              "assignee_id": None, "head_hash": digest, "created_at": created,
                              "updated_at": deferred_at})
                events.append({**vars(event), "prev_hash": GENESIS, "hash": digest})
                details.append({"case_id": case_id, "code_of_conduct": "iris-standard/1.2",
                                "self_assessment": None,
                                "submitted_at": deferred_at - timedelta(days=rng.randint(1, 13))})
                rows.append({"case_id": case_id, "name": TIMER, "kind": "deadline",
                             "due_at": due, "deadline_at": due, "status": "pending",
                             "attempts": 0, "created_at": deferred_at})
            async with db.write() as session:
                conn = await session.connection()
                for name, batch in (("case_file", cases), ("case_event", events),
                                    ("accreditation", details), ("timer", rows)):
                    await conn.execute(insert(tables[name]), batch)
        if not db.is_sqlite:  # explicit ids were inserted: move the sequences past them
            async with db.write() as session:
                for table in ("organisation", "app_user", "case_file"):
                    await session.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"))
        timings["bulk_insert_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        await tidy(services)
        timings["analyze_s"] = time.perf_counter() - t0
    finally:
        await db.dispose()
    checkpoint(url)
    return {"timers": timers, "organisations": organisations, "recruiter_users": organisations,
            "chain": "one event per case (defer, submitted -> deferred), head_hash valid",
            "due_at": "distinct, uniformly over the last 30 days",
            "timings": {k: round(v, 2) for k, v in timings.items()}}


# -- reset, check --------------------------------------------------------------------------
RESET_SQL = [
    "DELETE FROM outbox_message",
    "DELETE FROM case_event WHERE seq > 1",
    "UPDATE case_file SET state = 'deferred', revision = 1, "
    "head_hash = (SELECT e.hash FROM case_event e WHERE e.case_id = case_file.id AND e.seq = 1), "
    "updated_at = (SELECT e.created_at FROM case_event e "
    "WHERE e.case_id = case_file.id AND e.seq = 1) WHERE revision <> 1",
    "UPDATE timer SET status = 'pending', claimed_by = NULL, claimed_until = NULL, attempts = 0, "
    "outcome = NULL, finished_at = NULL WHERE status <> 'pending' OR claimed_by IS NOT NULL "
    "OR attempts <> 0",
]


async def reset(url: str) -> dict[str, Any]:
    """Back to the seeded backlog: every timer pending, every case deferred at revision 1."""
    from sqlalchemy import text

    from iris_engine.services import build_services

    services = build_services(settings_for(url))
    t0 = time.perf_counter()
    try:
        async with services.db.write() as session:
            for sql in RESET_SQL:
                await session.execute(text(sql))
        await tidy(services)
        async with services.db.read() as session:
            pending = await session.scalar(text("SELECT count(*) FROM timer WHERE status = "
                                                "'pending' AND claimed_by IS NULL"))
            events = await session.scalar(text("SELECT count(*) FROM case_event"))
    finally:
        await services.db.dispose()
    checkpoint(url)
    return {"pending": pending, "case_events": events, "seconds": round(time.perf_counter() - t0, 2)}


CHECK_SQL = {
    "timers_done": "SELECT count(*) FROM timer WHERE status = 'done'",
    "timers_other_finished": "SELECT count(*) FROM timer WHERE status NOT IN ('pending', 'done')",
    "timers_failed_attempts": "SELECT count(*) FROM timer WHERE attempts > 0",
    "claims_left": "SELECT count(*) FROM timer WHERE status = 'pending' AND claimed_by IS NOT NULL",
    "lapse_events": "SELECT count(*) FROM case_event WHERE event = 'lapse'",
    "max_lapse_per_case": "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM case_event "
                          "WHERE event = 'lapse' GROUP BY case_id) AS per_case",
    "lapsed_cases": "SELECT count(*) FROM case_file WHERE state = 'lapsed'",
    "emails_enqueued": "SELECT count(*) FROM outbox_message WHERE channel = 'email'",
    "lapse_event_not_done_timer": "SELECT count(*) FROM case_event e JOIN timer t ON "
                                  "t.case_id = e.case_id WHERE e.event = 'lapse' "
                                  "AND t.status <> 'done'",
}


async def check(url: str, outcomes: dict[str, int]) -> dict[str, Any]:
    from sqlalchemy import text

    from iris_engine.services import build_services

    services = build_services(settings_for(url))
    try:
        async with services.db.read() as session:
            out: dict[str, Any] = {k: int(await session.scalar(text(sql)) or 0)
                                   for k, sql in CHECK_SQL.items()}
            failures = (await session.scalars(text(
                "SELECT outcome FROM timer WHERE attempts > 0 ORDER BY id LIMIT 3"))).all()
    finally:
        await services.db.dispose()
    fired, failed = outcomes["fired"], outcomes["failed"]
    problems = []
    if outcomes["discarded"] or outcomes["skipped"] or outcomes["told"]:
        problems.append(f"outcomes other than fired: {outcomes}")
    if out["max_lapse_per_case"] > 1:
        problems.append("a case lapsed more than once")
    if not (out["lapse_events"] == out["timers_done"] == out["lapsed_cases"] == fired):
        problems.append(f"lapse events {out['lapse_events']}, done timers {out['timers_done']}, "
                        f"lapsed cases {out['lapsed_cases']}, fires reported {fired} differ")
    if failed or out["timers_failed_attempts"]:
        problems.append(f"failed outcomes: {failed} reported, "
                        f"{out['timers_failed_attempts']} rows with attempts > 0 "
                        f"({'; '.join(str(f)[:120] for f in failures)})")
    if out["timers_other_finished"]:
        problems.append(f"{out['timers_other_finished']} timers discarded or cancelled")
    if out["claims_left"]:
        problems.append(f"{out['claims_left']} claims left behind"
                        + (" (the failed fires': retried when the lease ends)"
                           if out["claims_left"] == out["timers_failed_attempts"] else ""))
    out["failure_samples"] = [str(f) for f in failures]
    if out["lapse_event_not_done_timer"]:
        problems.append("a lapse event whose timer is not done")
    if out["emails_enqueued"] < fired:  # the recruiter hears of every lapse
        problems.append(f"{out['emails_enqueued']} e-mails for {fired} fires (expected >= 1 each)")
    out["emails_per_fire"] = round(out["emails_enqueued"] / fired, 3) if fired else None
    out["fires_reported"] = fired
    out["ok"] = not problems
    out["problems"] = problems
    return out


async def audit_chains(url: str) -> dict[str, Any]:
    """Recompute every case's hash chain (the first check `iris audit verify` makes)."""
    from iris_engine.cases.audit import verify_chains
    from iris_engine.services import build_services

    services = build_services(settings_for(url))
    t0 = time.perf_counter()
    try:
        async with services.db.read() as session:
            cases, events, broken = await verify_chains(session)
    finally:
        await services.db.dispose()
    return {"cases": cases, "events": events, "broken": str(broken) if broken else None,
            "ok": broken is None, "seconds": round(time.perf_counter() - t0, 1)}


# -- claim probe ---------------------------------------------------------------------------
async def claim_probe(url: str, tries: int = 15) -> dict[str, Any]:
    """The sweeper's own claim against the whole backlog, alone, released after each try."""
    from sqlalchemy import event, text

    from iris_engine.services import build_services
    from iris_engine.timers import TimerSweeper

    services = build_services(settings_for(url))
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any,
                _many: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE TIMER") and not captured:
            captured.append((statement, parameters))

    engine = services.db.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    sweeper = TimerSweeper(services, "bench-claim-probe")
    times, sizes = [], []
    try:
        for _ in range(tries):
            t0 = time.perf_counter()
            claimed = await sweeper.claim(services.settings.tick_batch)
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(claimed))
            async with services.db.write() as session:
                await session.execute(text("UPDATE timer SET claimed_by = NULL, claimed_until = "
                                           "NULL WHERE claimed_by = 'bench-claim-probe'"))
        event.remove(engine, "before_cursor_execute", capture)
        plan: list[str] = []
        if captured:
            statement, params = captured[0]
            prefix = ("EXPLAIN QUERY PLAN " if services.db.is_sqlite
                      else "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ")
            async with services.db.write_engine.connect() as conn:
                trans = await conn.begin()
                rows = (await conn.exec_driver_sql(prefix + statement, params)).all()
                await trans.rollback()
            plan = [" | ".join(str(c) for c in r) if services.db.is_sqlite else str(r[0])
                    for r in rows]
    finally:
        await services.db.dispose()
    ordered = sorted(times[1:]) or times  # the first try also opens the connection
    return {"tries": tries, "batch": services.settings.tick_batch, "claimed": sizes,
            "ms_first": round(times[0], 2), "ms_median": round(statistics.median(ordered), 2),
            "ms_min": round(ordered[0], 2), "ms_max": round(ordered[-1], 2),
            "sql": captured[0][0] if captured else None, "plan": plan}


# -- ticker processes ----------------------------------------------------------------------
def _percentiles(values: list[float], points: tuple[float, ...] = (50, 90, 99)) -> list[float]:
    if not values:
        return [0.0 for _ in points]
    ordered = sorted(values)
    return [round(ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))], 2) for p in points]


async def _ticker_main(url: str, window: float, barrier: Any, index: int) -> dict[str, Any]:
    from sqlalchemy import text

    from iris_engine.services import build_services
    from iris_engine.ticker import Ticker

    services = build_services(settings_for(url))
    ticker = Ticker(services, worker_id=f"bench-{os.getpid()}-{index}")
    fires: list[tuple[float, float, str]] = []  # (monotonic end, wall ms, outcome)
    claims: list[tuple[float, int]] = []  # (wall ms, rows claimed)
    outbox_claims: list[float] = []

    sweeper, relay = ticker.timers, ticker.outbox
    real_fire, real_claim, real_outbox_claim = sweeper.fire, sweeper.claim, relay.claim

    async def timed_fire(timer_id: int, case_id: int) -> str:
        t = time.perf_counter()
        outcome = await real_fire(timer_id, case_id)
        fires.append((time.monotonic(), (time.perf_counter() - t) * 1000, outcome))
        return outcome

    async def timed_claim(limit: int) -> list[tuple[int, int]]:
        t = time.perf_counter()
        rows = await real_claim(limit)
        claims.append(((time.perf_counter() - t) * 1000, len(rows)))
        return rows

    async def timed_outbox_claim(limit: int) -> Any:
        t = time.perf_counter()
        rows = await real_outbox_claim(limit)
        outbox_claims.append((time.perf_counter() - t) * 1000)
        return rows

    sweeper.fire, sweeper.claim, relay.claim = timed_fire, timed_claim, timed_outbox_claim  # type: ignore[method-assign]
    # warm up: both pools hold a connection before the clock starts
    async with services.db.read() as session:
        await session.execute(text("SELECT 1"))
    async with services.db.write():
        pass
    barrier.wait(timeout=120)
    t0, cpu0 = time.monotonic(), time.process_time()
    deadline = t0 + window
    ticks, errors = 0, []
    totals = {k: 0 for k in ("claimed", "fired", "told", "discarded", "skipped", "failed")}
    try:
        while time.monotonic() < deadline:  # bounded by the window
            try:
                report = await ticker.tick(budget_seconds=max(0.0, deadline - time.monotonic()))
            except Exception as exc:  # e.g. SQLite "database is locked" in a claim
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
                await asyncio.sleep(0.05)
                continue
            ticks += 1
            for k in totals:
                totals[k] += getattr(report.timers, k)
            if report.timers.claimed or report.outbox.claimed:
                logging.getLogger("iris_engine.ticker").info(
                    "tick: timers %s, outbox %s", report.timers, report.outbox)
            if report.timers.claimed == 0:
                break  # nothing due (backlog exhausted)
    finally:
        t1, cpu1 = time.monotonic(), time.process_time()
        await ticker.stop()
        await services.db.dispose()
    fire_ms = [ms for _, ms, _ in fires]
    return {
        "index": index, "pid": os.getpid(), "t0": t0, "t_end": t1, "window_s": window,
        "wall_s": round(t1 - t0, 3), "cpu_s": round(cpu1 - cpu0, 3), "ticks": ticks,
        "errors": errors[:20], "error_count": len(errors), **totals,
        "fired_in_window": sum(1 for end, _, o in fires if o == "fired" and end <= deadline),
        "fire_ms": fire_ms,
        "claims": claims, "outbox_claim_ms": outbox_claims,
    }


def ticker_process(url: str, window: float, barrier: Any, queue: Any, index: int,
                   log_path: str) -> None:
    """One ticker, in its own OS process (multiprocessing spawn): logs like ``iris worker``."""
    logging.basicConfig(level=logging.INFO, filename=log_path,
                        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    logging.getLogger("transitions").setLevel(logging.WARNING)
    try:
        queue.put(("ok", index, asyncio.run(_ticker_main(url, window, barrier, index))))
    except BaseException:
        with contextlib.suppress(Exception):
            barrier.abort()
        queue.put(("error", index, traceback.format_exc()))


class PostgresCpu:
    """CPU of the local PostgreSQL processes while the tickers run, sampled from /proc every
    0.2 s (backends come and go): those serving ``dbname`` apart from all the others (background
    writers, autovacuum, other databases: other people's test runs share the server)."""

    def __init__(self, dbname: str) -> None:
        self.dbname = dbname
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.ours: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() != "postgres":
                        continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().decode(errors="replace")
                cpu = harness.cpu_seconds(pid)
            except OSError:
                continue
            self.first.setdefault(pid, cpu)
            self.last[pid] = cpu
            if f" {self.dbname} " in cmdline:
                self.ours.add(pid)

    def _loop(self) -> None:
        while not self._stop.wait(0.2):  # bounded by stop()
            self._sample()

    def __enter__(self) -> PostgresCpu:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()

    def seconds(self) -> tuple[float, float]:
        """(CPU of this database's backends, CPU of every other postgres process)."""
        ours = sum(self.last[p] - self.first[p] for p in self.ours)
        total = sum(self.last[p] - self.first[p] for p in self.last)
        return ours, total - ours


def run_tickers(url: str, count: int, window: float, log_path: Path) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(count + 1)
    queue = ctx.Queue()
    procs = [ctx.Process(target=ticker_process, daemon=True,
                         args=(url, window, barrier, queue, i, str(log_path)))
             for i in range(count)]
    for p in procs:
        p.start()
    pg = PostgresCpu(make_url(url).database) if not url.startswith("sqlite") else None
    try:
        barrier.wait(timeout=120)
        with pg or contextlib.nullcontext():
            busy0, steal0 = harness.machine_cpu()
            started = time.monotonic()
            results: list[dict[str, Any]] = []
            failures: list[str] = []
            for _ in procs:
                status, _index, payload = queue.get(timeout=window + 600)
                (results if status == "ok" else failures).append(payload)
            busy1, steal1 = harness.machine_cpu()
            elapsed = time.monotonic() - started
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():  # only our own children, by handle
                p.terminate()
                p.join(timeout=5)
    if failures:
        raise RuntimeError("a ticker process failed:\n" + "\n".join(failures))
    results.sort(key=lambda r: r["index"])
    fired = sum(r["fired"] for r in results)
    in_window = sum(r["fired_in_window"] for r in results)
    cpu = sum(r["cpu_s"] for r in results)
    claims = [ms for r in results for ms, _ in r["claims"]]
    fire_ms = [ms for r in results for ms in r["fire_ms"]]
    outbox_ms = [ms for r in results for ms in r["outbox_claim_ms"]]
    other = max(0.0, (busy1 - busy0) - cpu)
    pg_ours, pg_rest = pg.seconds() if pg else (0.0, 0.0)
    p50, p90, p99 = _percentiles(fire_ms)
    return {
        "tickers": count, "window_s": window, "fired_in_window": in_window,
        "timers_per_s": round(in_window / window, 1),
        "fired_total": fired, "elapsed_s": round(elapsed, 2),
        "timers_per_s_total": round(fired / elapsed, 1) if elapsed else 0.0,
        "ticker_cpu_s": round(cpu, 2),
        "ticker_cpu_ms_per_fire": round(1000 * cpu / max(1, fired), 2),
        # everything else the machine did meanwhile (PostgreSQL, other people's jobs) ...
        "other_cpu_s": round(other, 2),
        "other_cpu_ms_per_fire": round(1000 * other / max(1, fired), 2),
        # ... of which PostgreSQL: the backends serving this database, and the rest of it
        "pg_backend_cpu_s": round(pg_ours, 2),
        "pg_backend_cpu_ms_per_fire": round(1000 * pg_ours / max(1, fired), 2),
        "pg_other_cpu_s": round(pg_rest, 2),
        "machine_busy_s": round(busy1 - busy0, 2),
        # the rest: PostgreSQL background work, other databases, other people's jobs
        "rest_cpu_s": round(max(0.0, other - pg_ours), 2),
        "steal_cpu_s": round(steal1 - steal0, 2),
        "fire_ms": {"p50": p50, "p90": p90, "p99": p99,
                    "max": round(max(fire_ms), 2) if fire_ms else 0.0},
        "claim_ms": {"count": len(claims), "first": round(results[0]["claims"][0][0], 2)
                     if results[0]["claims"] else None,
                     "median": round(statistics.median(claims), 2) if claims else None,
                     "max": round(max(claims), 2) if claims else None},
        "outbox_claim_ms": {"count": len(outbox_ms),
                            "median": round(statistics.median(outbox_ms), 2) if outbox_ms else None,
                            "max": round(max(outbox_ms), 2) if outbox_ms else None},
        "outcomes": {k: sum(r[k] for r in results)
                     for k in ("claimed", "fired", "told", "discarded", "skipped", "failed")},
        "tick_errors": sum(r["error_count"] for r in results),
        "tick_error_samples": [e for r in results for e in r["errors"]][:5],
        "per_process": [{"fired": r["fired"], "fired_in_window": r["fired_in_window"],
                         "cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "ticks": r["ticks"],
                         "claims": len(r["claims"])} for r in results],
    }


# -- profile -------------------------------------------------------------------------------
GROUPS = [("/sqlalchemy/orm/", "SQLAlchemy ORM"), ("/sqlalchemy/engine/", "SQLAlchemy engine"),
          ("/sqlalchemy/sql/", "SQLAlchemy SQL compile/elements"),
          ("/sqlalchemy/dialects/", "SQLAlchemy dialect (async adaption)"),
          ("/sqlalchemy/", "SQLAlchemy other"), ("/sqlmodel/", "SQLModel"),
          ("/asyncpg/", "asyncpg"), ("/aiosqlite/", "aiosqlite"),
          ("iris_engine/", "IRIS Engine"), ("/transitions/", "transitions (state machine)"),
          ("/json/", "json"), ("/asyncio/", "asyncio"), ("/logging/", "logging"),
          ("/uuid.py", "uuid")]


def _group(path: str, name: str) -> str:
    if path == "~":
        if "epoll" in name or "acquire" in name or "poll" in name:
            return "waiting (event loop idle: database / thread hand-off)"
        if "sqlite3" in name:
            return "sqlite3 (C)"
        if "asyncpg" in name or "protocol" in name:
            return "asyncpg (C)"
        if "sha256" in name or "hexdigest" in name:
            return "hashlib"
        return "builtins"
    for needle, label in GROUPS:
        if needle in path:
            return label
    return "other Python"


def _stdlib_cprofile() -> Any:
    """cProfile imports ``profile``, which bench/profile.py shadows while bench/ is on sys.path."""
    saved = sys.path[:]
    shadow = sys.modules.get("profile")
    try:
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
        if shadow is not None and str(getattr(shadow, "__file__", "")).startswith(str(HERE)):
            del sys.modules["profile"]
        import cProfile
    finally:
        sys.path[:] = saved
    return cProfile


def _statement_kind(statement: str) -> str:
    """``SELECT case_file``, ``UPDATE timer``, ``INSERT INTO outbox_message``, ``BEGIN``..."""
    words = statement.split()
    if not words:
        return "?"
    verb = words[0].upper()
    upper = [w.upper() for w in words]
    table = ""
    for marker in ("FROM", "INTO", "UPDATE"):
        if marker in upper[: 1 if marker == "UPDATE" else len(upper)]:
            i = upper.index(marker)
            if i + 1 < len(words):
                table = words[i + 1].strip('"(').split(".")[0]
                break
    if verb == "SELECT" and " FOR UPDATE" in statement.upper():
        verb = "SELECT ... FOR UPDATE"
    return f"{verb} {table}".strip()


async def _profile_main(url: str, fires: int) -> dict[str, Any]:
    from sqlalchemy import event, text

    from iris_engine.services import build_services
    from iris_engine.ticker import Ticker

    services = build_services(settings_for(url))
    ticker = Ticker(services, worker_id=f"bench-profile-{os.getpid()}")
    async with services.db.read() as session:
        await session.execute(text("SELECT 1"))
    # one small batch first: SQL compilation caches and connections warm, outside the profile
    await ticker.timers.sweep(batch=20)
    # then one batch with every statement counted (outside the profile too)
    census: dict[str, int] = {}
    one_fire: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any,
              _many: bool) -> None:
        key = _statement_kind(statement)
        census[key] = census.get(key, 0) + 1
        if len(one_fire) < 40:
            one_fire.append(key)

    engine = services.db.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    census_report = await ticker.timers.sweep(batch=20)
    event.remove(engine, "before_cursor_execute", count)
    fired = 40
    profiler = _stdlib_cprofile().Profile()
    t0, cpu0 = time.perf_counter(), time.process_time()
    done = 0
    profiler.enable()
    try:
        while done < fires:  # bounded: each tick fires a batch or returns
            report = await ticker.tick(budget_seconds=0)
            done += report.timers.fired
            if report.timers.claimed == 0:
                break
    finally:
        profiler.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    await ticker.stop()
    await services.db.dispose()
    stats = pstats.Stats(profiler)
    groups: dict[str, float] = {}
    for (path, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        label = _group(path, name)
        groups[label] = groups.get(label, 0.0) + tottime
    total = sum(groups.values())
    tables = {}
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats(key).print_stats(30)
        tables[key] = buf.getvalue()
    prof_path = harness.WORK / f"timers-profile-{os.getpid()}.prof"
    stats.dump_stats(prof_path)
    n = max(1, census_report.fired)
    return {"fires": done, "warmup_fires": fired,
            "statements_per_fire": {k: round(v / n, 2) for k, v in
                                    sorted(census.items(), key=lambda kv: -kv[1])},
            "statements_per_fire_total": round(sum(census.values()) / n, 1),
            "statements_first_fire": one_fire,
            "wall_ms_per_fire": round(1000 * wall / done, 2),
            "cpu_ms_per_fire": round(1000 * cpu / done, 2),
            "note": "under cProfile (inflates Python time, ~1.5-2x); SQLite's C work runs in "
                    "aiosqlite's thread, which cProfile does not see",
            "own_time_by_group_ms_per_fire": {k: round(1000 * v / done, 3) for k, v in
                                              sorted(groups.items(), key=lambda kv: -kv[1])},
            "own_time_total_ms_per_fire": round(1000 * total / done, 2),
            "top_tottime": tables["tottime"], "top_cumulative": tables["cumulative"],
            "prof_file": str(prof_path)}


def profile_process(url: str, fires: int, queue: Any) -> None:
    logging.getLogger("transitions").setLevel(logging.WARNING)
    try:
        queue.put(("ok", asyncio.run(_profile_main(url, fires))))
    except BaseException:
        queue.put(("error", traceback.format_exc()))


def run_profile(url: str, fires: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=profile_process, args=(url, fires, queue), daemon=True)
    proc.start()
    try:
        status, payload = queue.get(timeout=600)
    finally:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
    if status != "ok":
        raise RuntimeError(f"profile process failed:\n{payload}")
    return payload  # type: ignore[no-any-return]


# -- one database --------------------------------------------------------------------------
def bench_database(db: str, args: argparse.Namespace, load: Any, bare: Any, stamp: str,
                   logs: Path) -> dict[str, Any]:
    url = database_url(db, stamp)
    counts = [int(x) for x in (args.tickers_pg if db == "postgres" else args.tickers_sqlite)
              .split(",") if x.strip()]
    out: dict[str, Any] = {"url": url, "runs": []}
    asyncio.run(seeding.create_database(url))
    try:
        log(f"{db}: seeding {args.timers:,} due timers ({args.organisations} organisations)")
        out["seed"] = asyncio.run(seed_timers(url, args.timers, args.organisations))
        log(f"{db}: seeded {out['seed']['timings']}")
        out["claim_probe"] = asyncio.run(claim_probe(url))
        log(f"{db}: claim of {out['claim_probe']['batch']} at {args.timers:,} due: median "
            f"{out['claim_probe']['ms_median']} ms")
        out["reset_before_runs"] = asyncio.run(reset(url))
        for count in counts:
            log(f"{db}: {count} ticker process(es), {args.window:g} s window")
            before = harness.run_once(load, bare, "bare", "/bare", {}, args.bare_seconds)
            result = run_tickers(url, count, args.window,
                                 logs / f"{stamp}-timers-{db}-{count}.log")
            after = harness.run_once(load, bare, "bare", "/bare", {}, args.bare_seconds)
            ref = (before["rate"] + after["rate"]) / 2
            result.update(bare_req_per_s=round(ref, 1),
                          bare_rates=[round(before["rate"], 1), round(after["rate"], 1)],
                          ratio=round(result["timers_per_s"] / ref, 6))
            result["check"] = asyncio.run(check(url, result["outcomes"]))
            log(f"{db}: {count} ticker(s): {result['timers_per_s']:.1f} timers/s in the window "
                f"({result['fired_total']} fired in all), {result['ticker_cpu_ms_per_fire']} ms "
                f"CPU/fire; check {'OK' if result['check']['ok'] else result['check']['problems']}")
            if count == counts[-1] and args.audit_verify:
                result["audit_verify"] = asyncio.run(audit_chains(url))
                log(f"{db}: verify_chains: {result['audit_verify']}")
            result["reset"] = asyncio.run(reset(url))
            out["runs"].append(result)
        if args.profile_fires > 0:
            log(f"{db}: cProfile of {args.profile_fires} fires")
            out["profile"] = run_profile(url, args.profile_fires)
            asyncio.run(reset(url))
    finally:
        if args.keep_db:
            log(f"{db}: kept {url}")
        else:
            asyncio.run(drop_database(url))
    return out


# -- report --------------------------------------------------------------------------------
def markdown(result: dict[str, Any]) -> str:
    lines = ["| DB | tickers | fired in window | timers/s | bare req/s | ratio | "
             "ticker CPU ms/fire | PG backend CPU ms/fire | rest of machine CPU s | "
             "fire p50 / p99 ms | claim ms median (max) | check |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    cpus = result["machine"]["cpus"]
    for db, data in result["databases"].items():
        for run in data["runs"]:
            chk = run["check"]
            verdict = "OK" if chk["ok"] else "FAILED: " + "; ".join(chk["problems"])
            lines.append(
                f"| {db} | {run['tickers']} | {run['fired_in_window']:,} | "
                f"**{run['timers_per_s']:.1f}** | {run['bare_req_per_s']:,.0f} | "
                f"{run['ratio']:.4f} | {run['ticker_cpu_ms_per_fire']:.1f} | "
                f"{run['pg_backend_cpu_ms_per_fire'] if db == 'postgres' else '-'} | "
                f"{run['rest_cpu_s']:.1f} of {run['elapsed_s']:.0f} s x {cpus} | "
                f"{run['fire_ms']['p50']:.1f} / "
                f"{run['fire_ms']['p99']:.1f} | {run['claim_ms']['median']} "
                f"({run['claim_ms']['max']}) | {verdict} |")
    lines.append("")
    for db, data in result["databases"].items():
        for run in data["runs"]:
            capacity = run["elapsed_s"] * cpus
            if run["rest_cpu_s"] > 0.2 * capacity:
                lines.append(f"- WARNING {db}, {run['tickers']} ticker(s): other processes used "
                             f"{run['rest_cpu_s']:.0f} of the {capacity:.0f} CPU-s the machine had "
                             "during the window; the tickers were short of CPU")
    for db, data in result["databases"].items():
        probe = data["claim_probe"]
        lines.append(f"- {db}: claim of {probe['batch']} timers with {result['timers']:,} due, "
                     f"alone: median {probe['ms_median']} ms (min {probe['ms_min']}, max "
                     f"{probe['ms_max']}, {probe['tries']} tries); seed "
                     f"{data['seed']['timings']}")
        for run in data["runs"]:
            if run.get("tick_errors"):
                lines.append(f"- {db}, {run['tickers']} tickers: {run['tick_errors']} ticks "
                             f"raised, e.g. {run['tick_error_samples'][:1]}")
            if "audit_verify" in run:
                av = run["audit_verify"]
                lines.append(f"- {db}: verify_chains after the {run['tickers']}-ticker run: "
                             f"{av['cases']:,} cases, {av['events']:,} events, "
                             f"{'intact' if av['ok'] else 'BROKEN: ' + str(av['broken'])} "
                             f"({av['seconds']} s)")
        if "profile" in data:
            prof = data["profile"]
            top = list(prof["own_time_by_group_ms_per_fire"].items())[:6]
            lines.append(f"- {db}: cProfile of {prof['fires']} fires: "
                         f"{prof['wall_ms_per_fire']} ms wall, {prof['cpu_ms_per_fire']} ms CPU "
                         "per fire (profiled); own time per fire: "
                         + ", ".join(f"{k} {v:.2f} ms" for k, v in top))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The timers scenario's own options (bench/run.py adds them too, for --scenario timers)."""
    g = parser.add_argument_group("timers scenario")
    g.add_argument("--timers", type=int, default=100_000, help="due timers (and cases) to seed")
    g.add_argument("--organisations", type=int, default=300,
                   help="recruiter organisations, one recruiter user each")
    g.add_argument("--window", type=float, default=60,
                   help="seconds each ticker configuration sweeps (fires inside it count)")
    g.add_argument("--tickers-pg", default=DEFAULT_TICKERS["postgres"],
                   help="ticker process counts to run on PostgreSQL, comma-separated")
    g.add_argument("--tickers-sqlite", default=DEFAULT_TICKERS["sqlite"],
                   help="ticker process counts to run on SQLite, comma-separated")
    g.add_argument("--bare-seconds", type=float, default=2,
                   help="bare-handler wrk run before and after each ticker window")
    g.add_argument("--profile-fires", type=int, default=600,
                   help="fires to run under cProfile per database (0: no profile)")
    g.add_argument("--no-audit-verify", dest="audit_verify", action="store_false",
                   help="skip verify_chains over every case after the last run")
    g.add_argument("--keep-db", action="store_true",
                   help="do not drop the database / delete the SQLite file at the end")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole timers benchmark; ``args`` also carries --db, --threads, --connections."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    load = harness.Load(args.threads, args.connections, args.bare_seconds, 0)
    harness.WORK.mkdir(parents=True, exist_ok=True)
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    logs = harness.WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    t0 = time.monotonic()
    result: dict[str, Any] = {
        "scenario": "timers", "started": started.isoformat(timespec="seconds"),
        "machine": harness.machine(), "code": harness.code_fingerprint(),
        "versions": harness.tool_versions(), "timers": args.timers,
        "organisations": args.organisations, "window_s": args.window,
        "load": {"tool": "wrk", "threads": load.threads, "connections": load.connections,
                 "bare_seconds": args.bare_seconds,
                 "server": "uvicorn --workers 1 --log-level warning (uvloop, httptools)"},
        "measured": ("fires completed inside a fixed window by N ticker processes (each its own "
                     "services and iris_engine.ticker.Ticker, tick() back to back) against the "
                     "seeded backlog; the backlog is reset between configurations"),
        "databases": {},
    }
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    with harness.serve("bare_app:app", base_env, "/bare", logs / f"{stamp}-timers-bare.log",
                       app_dir=HERE) as bare:
        harness.wrk(load, "bare", bare.url("/bare"), {}, 1)  # warm the reference up once
        for db in dbs:
            result["databases"][db] = bench_database(db, args, load, bare, stamp, logs)
    result["elapsed_s"] = round(time.monotonic() - t0, 1)
    code_after = harness.code_fingerprint()
    if code_after["sha256"] != result["code"]["sha256"]:
        result["code_changed_during_run"] = code_after
        log(f"WARNING: iris_engine changed during the run ({code_after['newest_file']})")
    out = harness.RESULTS / f"{stamp}-timers.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    print(f"\n{result['machine']['cpus']} CPUs; measured: fires completed within a "
          f"{args.window:g} s window by 1..N ticker processes (Ticker.tick, batch 200) against "
          f"{args.timers:,} due timers, reset between configurations; timers/s = those fires / "
          f"window; ratio = timers/s / bare req/s (wrk -t{load.threads} -c{load.connections}, "
          f"{args.bare_seconds:g} s before and after each window). CPU ms/fire = CPU of the ticker "
          f"processes (all threads) / all their fires; PG backend = CPU of the PostgreSQL backends "
          f"serving the bench database / fires; rest = everything else the machine did meanwhile "
          f"(PostgreSQL background, other people's jobs). Elapsed {result['elapsed_s']} s; "
          f"code {result['code']['sha256']}; results: {out.relative_to(harness.ROOT)}")
    for db, data in result["databases"].items():
        if "profile" in data:
            print(f"\n{db} profile ({data['profile']['fires']} fires, "
                  f"{data['profile']['prof_file']}): top by own time\n"
                  + data["profile"]["top_tottime"][-4000:])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (bare handler)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    add_arguments(parser)
    result = run(parser.parse_args())
    bad = [db for db, d in result["databases"].items() for r in d["runs"] if not r["check"]["ok"]]
    if bad:
        raise SystemExit(f"correctness check failed on {', '.join(sorted(set(bad)))}")


if __name__ == "__main__":
    main()
