"""What a staff list page costs in SQL, counted with ``before_cursor_execute``: the same number
of statements for a page of two cases as for a page of five (no statement per row: each
service reads what its list view needs for all rows at once, ``CaseService.view_rows``), and
the work list the same. A page that starts reading per row fails here."""

from __future__ import annotations

from tests.integration import conftest
from tests.integration.conftest import (
    Cast,
    GrievanceCast,
    World,
    file_grievance,
    fire_grievance,
    statements,
    walk_to,
)
from tests.integration.staff_support import signed_in

#: statements of each page as the scheme manager or the supervisor reads it, BEGIN apart (the
#: driver sends it on SQLite, asyncpg without a statement): the session's account check, the
#: counts by state, the page, and for applications the organisations, scopes and findings of
#: its rows; for grievances their referrals and returns; for referrals their authorities, and
#: their deliveries when some went by the outbox
PAGES = {"/staff/accreditation": 6, "/staff/grievance": 5, "/staff/referral": 4}


async def _count(world: World, path: str) -> int:
    with statements(world) as seen:
        r = await world.client.get(path)
    assert r.status_code == 200, r.text
    return len([s for s in seen if s not in ("BEGIN", "COMMIT", "ROLLBACK")])


async def _referred(world: World, gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    for event, body in [("acknowledge", {}), ("triage", {"data": {"severity": "medium"}}),
                        ("refer", {"data": {"authority_id": gcast.glaa_id}})]:
        r = await fire_grievance(gcast.caseworker, filing.case_id, event, **body)
        assert r.status_code == 200, r.text


async def test_a_list_page_reads_no_statement_per_row(world: World, cast: Cast,
                                                     gcast: GrievanceCast) -> None:
    supervisor = (await gcast.supervisor.get("/api/v1/me")).json()["email"]
    counts: list[dict[str, int]] = []
    for n in range(2):
        for i in range(3 * n, 3 * n + (2 if n == 0 else 3)):
            await walk_to(await conftest.newcomer(world, cast, i), "accepted", findings=None)
            await _referred(world, gcast)
        seen = {}
        await signed_in(world, "manager@scheme.example")
        seen["/staff/accreditation"] = await _count(world, "/staff/accreditation")
        seen["manager /staff"] = await _count(world, "/staff")
        await signed_in(world, supervisor)
        seen["/staff/grievance"] = await _count(world, "/staff/grievance")
        seen["/staff/referral"] = await _count(world, "/staff/referral")
        seen["supervisor /staff"] = await _count(world, "/staff")
        counts.append(seen)
    assert counts[0] == counts[1], counts  # 2 cases of each, then 5: the same statements
    assert {p: counts[1][p] for p in PAGES} == PAGES, counts


async def test_an_attendance_sheet_reads_no_statement_per_learner(world: World) -> None:
    from datetime import timedelta

    from tests.integration.training_cast import bulk, open_session, staff_csv, training_cast

    tc = await training_cast(world)
    counts = []
    for learners in (1, 4):
        session_id = await open_session(tc, starts_in=timedelta(hours=1))
        r = await bulk(tc.police, session_id, staff_csv(*(
            (f"Learner {session_id}-{i}", f"l{session_id}-{i}@police.example", "police")
            for i in range(learners))))
        assert len(r.json()["enrolled"]) == learners, r.text
        await signed_in(world, "trainer@training.example")
        counts.append(await _count(world, f"/staff/training_session/{session_id}/attendance"))
    assert counts[0] == counts[1], counts
