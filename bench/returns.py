"""The ``returns`` scenario of ``bench/run.py``: a return case's transitions per second.

Before the rounds, on the running server: a return officer (made once, with the services, as
``iris users add`` would) refers ``CASES`` survivors over HTTP and takes each to ``eligible``
(``record_consent``, ``confirm_eligibility``), the real path. wrk then fires
``record_nrm_status`` on them (``bench/lua/returns.lua``): a transition that stays in its state,
so a case can take it again and again, each one a full pipeline run (role, lock, revision,
schema, effect on the detail row, hash-chained audit event).

The check: every response a 200, and the ``record_nrm_status`` events grew by the 200s counted
(warm-up included) plus at most one abandoned request per connection per wrk run (wrk stops
waiting for it; the server still commits it).
"""

from __future__ import annotations

import asyncio
from typing import Any

import seed as seeding  # bench/seed.py
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["CASES", "OFFICER", "event_count", "prepare", "returns_check", "write_cases"]

OFFICER = ("returns-officer@bench.iris.example", "bench-returns-2026")
#: enough that each of 32 connections has cases of its own to cycle (a case is never in
#: flight twice)
CASES = 96
EVENT_COUNT = "SELECT count(*) FROM case_event WHERE event = 'record_nrm_status'"
_CASES_SQL = ("SELECT c.id, c.revision, c.state FROM case_file c JOIN return_case r "
              "ON r.case_id = c.id WHERE c.workflow = 'return' AND c.state = 'eligible' "
              "AND r.reference LIKE 'RR-%' ORDER BY c.id")


async def _officer(db: str, data_keys: str) -> None:
    """The bench's return officer, unless an earlier run made it."""
    from iris_engine.people import NewUser
    from iris_engine.services import build_services
    from iris_engine.settings import Settings
    from iris_engine.store.models import Organisation, User

    services = build_services(Settings(database_url=seeding.database_url(db),
                                       secret_key=seeding.BENCH_SECRET, data_keys=data_keys))
    try:
        async with services.db.write() as session:
            if (await session.scalars(select(User).where(User.email == OFFICER[0]))).first():
                return
            org = (await session.scalars(select(Organisation).where(
                Organisation.name == "Bench Return Service"))).first()
            if org is None:
                org = await services.people.add_organisation(
                    session, kind="scheme", name="Bench Return Service", country="GB")
            await services.people.add_user(session, org, NewUser(
                OFFICER[0], "Bench Return Officer", OFFICER[1], ("return_officer",)))
    finally:
        await services.db.dispose()


async def _rows(db: str, sql: str) -> list[Any]:
    engine = create_async_engine(seeding.database_url(db))
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())
    finally:
        await engine.dispose()


def write_cases(db: str, path: Any) -> list[tuple[int, int, str]]:
    """The eligible return cases the scenario cycles, with their current revisions."""
    cases = [(int(i), int(r), str(s)) for i, r, s in asyncio.run(_rows(db, _CASES_SQL))]
    path.write_text("".join(f"{i} {r} {s}\n" for i, r, s in cases))
    return cases


def event_count(db: str) -> int:
    return int(asyncio.run(_rows(db, EVENT_COUNT))[0][0])


def prepare(db: str, url: Any, http_json: Any, data_keys: str) -> str:
    """Make the officer and its eligible cases (up to ``CASES``); answer its bearer token."""
    asyncio.run(_officer(db, data_keys))
    token = str(http_json(url("/api/v1/auth/token"),
                          {"email": OFFICER[0], "password": OFFICER[1]})["access_token"])
    have = len(asyncio.run(_rows(db, _CASES_SQL)))
    consent = {"purpose": "return_assistance", "text_version": "RA-2026.1", "language": "ro",
               "interpreter_used": True, "witness": "Bench Interpreter"}
    for i in range(CASES - have):
        case = http_json(url("/api/v1/returns"), {
            "nationality": ("RO", "BG", "CZ", "HU")[i % 4], "language": "ro",
            "age_group": "adult", "in_danger": False, "nrm_status": "none",
            "survivor": {"name": f"Bench Survivor {i}", "phone": "+40 700 000 000"},
            "account": "A benchmark referral, not a person."}, token)
        for event, data in (("record_consent", consent), ("confirm_eligibility", None)):
            body: dict[str, Any] = {"event": event, "expected_revision": case["revision"]}
            if data is not None:
                body["data"] = data
            case = http_json(url(f"/api/v1/returns/{case['id']}/transitions"), body, token)
        if case["state"] != "eligible":
            raise SystemExit(f"returns: case {case['id']} reached {case['state']}, not eligible")
    return token


def returns_check(before: int, after: int, result: dict[str, Any],
                  connections: int) -> dict[str, Any]:
    """Every response a 200, and each counted one (warm-up included) wrote its audit event."""
    warm = result.get("warmup", {"requests": 0, "counters": {}, "errors": {}})
    counted = result["ok"] + warm["counters"].get("ok", 0)
    responses = result["requests"] + warm["requests"]
    wrk_runs = result["runs"] + (1 if result.get("warmup") else 0)
    abandoned = after - before - counted
    problems = []
    if responses - counted:
        problems.append(f"{responses - counted} responses were not 200 (counters: "
                        f"{result['counters']}, warm-up {warm['counters']})")
    if not 0 <= abandoned <= connections * wrk_runs:
        problems.append(f"record_nrm_status events grew by {after - before}, wrk counted "
                        f"{counted} 200s")
    return {"ok": not problems, "problems": problems, "responses": responses,
            "counted_200": counted, "events_grown": after - before,
            "abandoned_committed": abandoned}
