"""Two transitions at the same moment, and a tampered audit trail caught by the CLI."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner
from sqlalchemy import text

from iris_engine.cases.audit import verify_chains
from iris_engine.cli import main
from tests.integration.conftest import Cast, World, newcomer, walk_to


async def test_conflicting_transitions_exactly_one_wins(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    before = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
    n_events = len((await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json())
    suspend = cast.manager.fire(case_id, "suspend", revision=before,
                                reason_code="audit_refused", note="Refused the audit")
    withdraw = cast.manager.fire(case_id, "withdraw", revision=before,
                                 reason_code="licence_lost", note="Licence revoked")
    results = await asyncio.gather(suspend, withdraw, suspend_again(cast, case_id, before))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409], [r.text for r in results]
    history = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()
    assert len(history) == n_events + 1
    winner = next(r for r in results if r.status_code == 200).json()
    assert winner["revision"] == before + 1
    assert history[-1]["to_state"] == winner["state"]
    async with world.services.db.read() as session:
        assert (await verify_chains(session))[2] is None


async def suspend_again(cast: Cast, case_id: int, revision: int):  # type: ignore[no-untyped-def]
    return await cast.manager.fire(case_id, "suspend", revision=revision,
                                   reason_code="other", note="Duplicate click")


async def test_many_cases_in_parallel_all_succeed(world: World, cast: Cast) -> None:
    casts = [cast, *[await newcomer(world, cast, n) for n in range(3)]]
    ids = [await walk_to(c, "accredited") for c in casts]
    results = await asyncio.gather(*(cast.manager.fire(i, "suspend", reason_code="other",
                                                       note="Parallel") for i in ids))
    assert [r.status_code for r in results] == [200] * 4
    entries = (await world.client.get("/api/v1/roster", params={"status": "suspended"})).json()
    assert len(entries["items"]) == 4


def _verify(url: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify"], env={"IRIS_DATABASE_URL": url})
    return result.exit_code, result.output


async def test_tampered_event_is_caught_by_audit_verify(world: World, cast: Cast,
                                                        database_url: str) -> None:
    case_id = await walk_to(cast, "accredited")
    code, output = await asyncio.to_thread(_verify, database_url)
    assert code == 0 and "verified" in output, output
    async with world.services.db.write() as session:
        await session.execute(text(
            "UPDATE case_event SET note = 'nothing to see' WHERE case_id = :c AND seq = 3"
        ), {"c": case_id})
    code, output = await asyncio.to_thread(_verify, database_url)
    assert code == 1
    assert f"case {case_id}, event #3" in output and "altered" in output


async def test_removed_last_event_is_caught(world: World, cast: Cast, database_url: str) -> None:
    case_id = await walk_to(cast, "submitted")
    async with world.services.db.write() as session:
        await session.execute(text(
            "DELETE FROM case_event WHERE case_id = :c AND seq = "
            "(SELECT MAX(seq) FROM case_event WHERE case_id = :c)"), {"c": case_id})
    code, output = await asyncio.to_thread(_verify, database_url)
    assert code == 1 and f"case {case_id}" in output and "head hash" in output
