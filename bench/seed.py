"""Seed a benchmark database: a 100k-entry public roster plus real, workflow-walked cases.

    python bench/seed.py --db sqlite|postgres [--entries 100000] [--recruiters 320] [--accounts 1]

1. Recreates the database (SQLite: deletes the file; PostgreSQL: DROP/CREATE iris_bench) and
   migrates it to head with the project's own Alembic migrations.
2. ``iris_engine.demo.seed_demo``: demo staff (manager@demo.iris.example / demo-manager-2026)
   and ``--recruiters`` recruiters walked through the real workflow with ``CaseEngine``; about
   62 % end accredited and 8 % suspended. Those accredited/suspended cases are the ones
   ``bench/run.py`` cycles through suspend/reinstate.
3. Bulk-inserts ``--entries`` roster entries with SQLAlchemy Core executemany in big batches:
   one organisation, one case_file (revision 0, no events, head hash = genesis) and one
   accreditation row per entry, so every foreign key is real, and ``--accounts`` recruiter
   accounts per organisation (a recruiter on the roster applied through one; they cannot log
   in); then roster_country rows, moves
   the LRN counter past the bulk LRNs, bumps roster_meta.version and runs ANALYZE.

Prints one JSON line (timings and counts) on stdout, last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, make_url, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from iris_engine.accreditation.hooks import add_years
from iris_engine.names import look_alike_digests

HERE = Path(__file__).resolve().parent

SQLITE_PATH = Path(os.environ.get("IRIS_BENCH_SQLITE", "/tmp/bench/iris.db"))
PG_ADMIN_URL = os.environ.get("IRIS_BENCH_PG_ADMIN", "postgresql+asyncpg://postgres@127.0.0.1/test")
PG_DB = os.environ.get("IRIS_BENCH_PG_DB", "iris_bench")
BENCH_SECRET = "iris-bench-secret-key-not-for-production-0123456789"
FIRST_BULK_LRN = 100_000
BATCH = 10_000


def database_url(db: str) -> str:
    if db == "sqlite":
        return f"sqlite+aiosqlite:///{SQLITE_PATH}"
    if db == "postgres":
        return pg_url(PG_DB)
    raise ValueError(db)


def pg_url(database: str) -> str:
    """The admin URL with another database: its host may be a socket directory given in the
    query string (``postgresql+asyncpg://postgres@/test?host=/var/run/postgresql``)."""
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


# -- realistic names -----------------------------------------------------------------------
# home country -> (destination countries, legal-form suffixes, local words)
CORRIDORS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "NP": (["QA", "AE", "SA", "MY", "KW"], ["Pvt. Ltd.", "Pvt. Ltd."],
           ["Everest", "Himalayan", "Annapurna", "Sagarmatha", "Gorkha", "Kathmandu", "Lumbini"]),
    "PH": (["SA", "AE", "SG", "HK", "QA", "JP"], ["Inc.", "Corporation", "International Inc."],
           ["Manila", "Luzon", "Visayas", "Mabuhay", "Bayanihan", "Cebu", "Pinoy"]),
    "KE": (["SA", "AE", "QA", "OM"], ["Ltd", "Limited"],
           ["Nairobi", "Kilimanjaro", "Savannah", "Jambo", "Rift Valley", "Mombasa"]),
    "BD": (["MY", "SA", "AE", "OM", "SG"], ["Ltd.", "Limited"],
           ["Dhaka", "Padma", "Bengal", "Sonar", "Meghna", "Chittagong", "Sundarban"]),
    "VN": (["JP", "TW", "KR", "DE"], ["JSC", "Co., Ltd."],
           ["Saigon", "Hanoi", "Mekong", "Lotus", "Hoa Binh", "Thang Long", "Sao Viet"]),
    "MX": (["US", "CA"], ["S.A. de C.V.", "S. de R.L."],
           ["Azteca", "Sierra", "Monterrey", "Jalisco", "Aguila", "Sonora"]),
    "GT": (["US", "CA", "MX"], ["S.A."],
           ["Quetzal", "Maya", "Atitlan", "Tikal", "Chapin"]),
    "LK": (["KW", "QA", "AE", "SA", "MV"], ["(Pvt) Ltd", "(Private) Limited"],
           ["Lanka", "Ceylon", "Serendib", "Kandy", "Lion", "Sigiriya"]),
    "ET": (["SA", "LB", "JO", "AE"], ["PLC", "Share Company"],
           ["Abyssinia", "Addis", "Habesha", "Blue Nile", "Lalibela", "Axum"]),
    "ID": (["MY", "HK", "TW", "SG", "SA"], ["PT", "PT"],
           ["Nusantara", "Garuda", "Jakarta", "Bali", "Borneo", "Merdeka", "Sumatra"]),
}
HOMES = list(CORRIDORS)
HOME_WEIGHTS = [14, 14, 9, 12, 10, 8, 4, 8, 6, 15]
WORDS = ["Global", "Horizon", "Sunrise", "Bridge", "Fair", "Summit", "Harbour", "Compass",
         "Pioneer", "Crescent", "Atlas", "Meridian", "Unity", "Trust", "Golden", "Silver",
         "Star", "Pacific", "Orient", "Royal", "Crown", "Prime", "Ethical", "Green", "Blue Sky",
         "Future", "New Hope", "Rainbow", "Evergreen", "Phoenix", "Oasis", "Falcon", "Zenith",
         "Apex", "Standard", "United", "First Choice", "Safe Journey", "Bright", "Liberty"]
KINDS = ["Manpower", "Recruitment", "Overseas Employment", "Staffing", "Placement",
         "HR Services", "Human Resources", "Employment Agency", "Workforce Solutions",
         "Manpower Services", "International Recruitment", "Job Placement"]
# shares in percent; the rest of the workflow states never reach the roster
STATUSES = [("accredited", 85), ("suspended", 6), ("withdrawn", 5), ("expired", 4)]


def roster_name(rng: random.Random, home: str) -> str:
    _, suffixes, local = CORRIDORS[home]
    first = rng.choice(local) if rng.random() < 0.45 else rng.choice(WORDS)
    second = rng.choice(WORDS) if rng.random() < 0.5 else ""
    parts = [first, second, rng.choice(KINDS), rng.choice(suffixes)]
    return " ".join(p for p in parts if p)


# -- steps ---------------------------------------------------------------------------------
def sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


def drop_sqlite(url: str) -> None:
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


async def create_database(url: str) -> None:
    """An empty database at ``url``: the SQLite files removed, or the PostgreSQL database
    dropped and created again through the admin connection."""
    if url.startswith("sqlite"):
        drop_sqlite(url)
        return
    name = make_url(url).database
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def recreate(db: str) -> None:
    await create_database(database_url(db))


def migrate(url: str) -> None:
    from iris_engine.migrations import upgrade

    upgrade(url)


async def seed_workflow_cases(services: Any, recruiters: int) -> int:
    from iris_engine.demo import seed_demo

    if await seed_demo(services, sizes={"recruiters": recruiters}) is None:
        raise SystemExit("the database already had organisations; seed_demo did nothing")
    return recruiters


async def bulk_roster(services: Any, entries: int, *, seed: int = 100_000,
                      accounts: int = 1) -> dict[str, int]:
    """Organisations, their accounts, cases, accreditations, roster entries and countries, in
    Core batches."""
    from sqlmodel import SQLModel

    from iris_engine.cases.audit import GENESIS

    tables = SQLModel.metadata.tables  # Core tables: executemany without the ORM
    organisation, case_file = tables["organisation"], tables["case_file"]
    app_user = tables["app_user"]
    counter, roster_meta = tables["counter"], tables["roster_meta"]

    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    statuses = [s for s, share in STATUSES for _ in range(share)]
    db = services.db
    async with db.read() as session:
        org0 = int(await session.scalar(select(func.max(organisation.c.id))) or 0)
        user0 = int(await session.scalar(select(func.max(app_user.c.id))) or 0)
        case0 = int(await session.scalar(select(func.max(case_file.c.id))) or 0)

    counts = {"organisation": 0, "app_user": 0, "case_file": 0, "accreditation": 0,
              "roster_entry": 0, "roster_country": 0}
    for start in range(0, entries, BATCH):
        orgs: list[dict[str, Any]] = []
        users: list[dict[str, Any]] = []
        cases: list[dict[str, Any]] = []
        accs: list[dict[str, Any]] = []
        roster: list[dict[str, Any]] = []
        countries: list[dict[str, Any]] = []
        for i in range(start, min(start + BATCH, entries)):
            home = rng.choices(HOMES, HOME_WEIGHTS)[0]
            dests = CORRIDORS[home][0]
            operate = sorted({home, *rng.sample(dests, rng.randint(1, min(3, len(dests))))})
            name = roster_name(rng, home)
            look_alike = look_alike_digests(name)
            status = statuses[rng.randrange(len(statuses))]
            if status == "expired":
                accredited_on = today - timedelta(days=rng.randint(1100, 1800))
            else:
                accredited_on = today - timedelta(days=rng.randint(5, 1090))
            valid_until = add_years(accredited_on, 3)
            status_since = (valid_until if status == "expired" else
                            accredited_on if status == "accredited" else
                            min(today, accredited_on + timedelta(days=rng.randint(30, 700))))
            lrn = f"LRN{FIRST_BULK_LRN + i:08d}"
            created = (datetime.combine(accredited_on, datetime.min.time(), UTC)
                       - timedelta(days=120))
            org_id, case_id = org0 + 1 + i, case0 + 1 + i
            orgs.append({"id": org_id, "kind": "recruiter", "name": name, "country": home,
                         "created_at": created})
            users.extend({"id": user0 + 1 + i * accounts + n,
                          "email": f"staff{n}.{FIRST_BULK_LRN + i}@bulk.example",
                          "name": f"Staff {n} of {name}"[:200], "password_hash": "!",
                          "organisation_id": org_id, "roles": "recruiter", "active": True,
                          "created_at": created, "token_version": 0}
                         for n in range(accounts))
            cases.append({"id": case_id, "workflow": "accreditation", "workflow_version": 1,
                          "state": status, "revision": 0, "organisation_id": org_id,
                          "assignee_id": None, "head_hash": GENESIS, "created_at": created,
                          "updated_at": now})
            accs.append({"case_id": case_id, "code_of_conduct": "iris-standard/1.2",
                         "submitted_at": created, "lrn": lrn, "accredited_on": accredited_on,
                         "valid_until": valid_until})
            roster.append({"lrn": lrn, "case_id": case_id, "name": name,
                           "name_key": name.casefold(),
                           "skeleton_digest": look_alike.exact,
                           "folded_skeleton_digest": look_alike.folded,
                           "country": home,
                           "countries": " ".join(operate), "status": status,
                           "accredited_on": accredited_on, "valid_until": valid_until,
                           "status_since": status_since, "updated_at": now})
            countries.extend({"lrn": lrn, "country": c, "name_key": name.casefold(),
                              "status": status} for c in operate)
        async with db.write() as session:
            conn = await session.connection()
            for name, rows in (("organisation", orgs), ("app_user", users), ("case_file", cases),
                               ("accreditation", accs), ("roster_entry", roster),
                               ("roster_country", countries)):
                if rows:
                    await conn.execute(insert(tables[name]), rows)
                counts[name] += len(rows)

    async with db.write() as session:
        conn = await session.connection()
        last_lrn = FIRST_BULK_LRN + entries - 1
        current = await conn.scalar(select(counter.c.value).where(counter.c.name == "lrn"))
        if current is None:
            await conn.execute(insert(counter), [{"name": "lrn", "value": last_lrn}])
        elif current < last_lrn:
            await conn.execute(update(counter).where(counter.c.name == "lrn")
                               .values(value=last_lrn))
        await conn.execute(update(roster_meta).where(roster_meta.c.id == 1)
                           .values(version=roster_meta.c.version + 1))
        if not db.is_sqlite:  # explicit ids were inserted: move the sequences past them
            for table in ("organisation", "app_user", "case_file"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    return counts


async def analyze(services: Any) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would leave them."""
    engine = services.db.write_engine
    if services.db.is_sqlite:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
    else:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
            await conn.exec_driver_sql("CHECKPOINT")  # not in the middle of a measured run


async def seed(db: str, entries: int, recruiters: int, accounts: int = 1) -> dict[str, Any]:
    from iris_engine.services import build_services
    from iris_engine.settings import Settings

    url = database_url(db)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    await recreate(db)
    await asyncio.to_thread(migrate, url)  # Alembic runs its own event loop
    timings["recreate_and_migrate_s"] = time.perf_counter() - t

    services = build_services(Settings(database_url=url, secret_key=BENCH_SECRET))
    try:
        t = time.perf_counter()
        await seed_workflow_cases(services, recruiters)
        timings["workflow_cases_s"] = time.perf_counter() - t
        t = time.perf_counter()
        counts = await bulk_roster(services, entries, accounts=accounts)
        timings["bulk_insert_s"] = time.perf_counter() - t
        t = time.perf_counter()
        await analyze(services)
        timings["analyze_s"] = time.perf_counter() - t
        async with services.db.read() as session:
            rows = (await session.execute(text(
                "SELECT state, count(*) FROM case_file WHERE revision > 0 GROUP BY state"))).all()
            roster_total = await session.scalar(text("SELECT count(*) FROM roster_entry"))
    finally:
        await services.db.dispose()
    if db == "sqlite":  # fold the WAL back now rather than in the middle of a measured run
        with contextlib.closing(sqlite3.connect(SQLITE_PATH)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"db": db, "url": url, "entries": entries, "recruiters": recruiters,
            "accounts_per_entry": accounts,
            "bulk_rows": counts, "roster_entries_total": roster_total,
            "workflow_case_states": dict(sorted((s, n) for s, n in rows)),
            "timings": {k: round(v, 2) for k, v in timings.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--recruiters", type=int, default=320,
                        help="demo recruiters walked through the workflow (~62%% accredited)")
    parser.add_argument("--accounts", type=int, default=1,
                        help="recruiter accounts per bulk roster entry's organisation")
    args = parser.parse_args(argv)
    result = asyncio.run(seed(args.db, args.entries, args.recruiters, args.accounts))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
