"""Who reads a grievance, and that each read of what the complainant wrote is recorded.

The scheme manager is the last appeal tier: it reaches a grievance only once it is appealed
there (``scheme_manager: last_tier`` in workflows/grievance.yaml), in lists, reads and acts
alike, and out of reach it is answered as any case out of reach is. The complainant's account
(the narrative), their notes in the history and their messages are opened only on a read that
leaves a ``PersonalDataRead`` row: who, in which role, on what basis, why, when, which case.
Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from httpx import Response
from sqlalchemy import select

from iris_engine.disclosure.models import PersonalDataRead
from iris_engine.store.models import OutboxMessage
from tests.integration.conftest import (
    Actor,
    Cast,
    GrievanceCast,
    World,
    appeal,
    appealed_to_last_tier,
    assert_problem,
    file_grievance,
    fire_grievance,
    statements_with_values,
    unbounded_reads,
)

CASES = "/api/v1/grievance-cases"
NARRATIVE = "I paid 1500 dollars for the job and they kept my passport."
SIGNPOST = {"reason_code": "other_mechanism", "note": "The labour court handles wages.",
            "data": {"signpost_to": "Labour court, Doha"}}
UPHOLD = {"reason_code": "resolved", "note": "The signposting was right."}


async def reads_of(world: World, case_id: int) -> list[PersonalDataRead]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(PersonalDataRead).where(
            PersonalDataRead.case_id == case_id).order_by(PersonalDataRead.id))).all())


def listed(r: Response) -> list[int]:
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()]


async def walk(actor: Actor, case_id: int, *steps: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    view: dict[str, Any] = {}
    for event, body in steps:
        r = await fire_grievance(actor, case_id, event, **body)
        assert r.status_code == 200, (event, r.text)
        view = r.json()
    return view


async def closed(gcast: GrievanceCast, case_id: int) -> None:
    """Investigated, found unsubstantiated and closed: the only note is the findings', which
    stay on the recruiter's record and are no one's personal account."""
    await walk(gcast.caseworker, case_id, ("acknowledge", {}),
               ("triage", {"data": {"severity": "medium"}}), ("start_investigation", {}),
               ("record_findings", {"note": "No fee was charged.",
                                    "data": {"substantiated": False}}),
               ("close", {"reason_code": "resolved"}))


async def assert_out_of_reach(actor: Actor, case_id: int, like: Response) -> None:
    """Every endpoint answers as ``like`` (a case out of another caller's reach) does, and
    the list does not show the case."""
    assert case_id not in listed(await actor.get(CASES))
    assert case_id not in listed(await actor.get(CASES, params={"state": "appealed"}))
    for path in ("", "/transitions", "/history", "/narrative?purpose=review"):
        r = await actor.get(f"{CASES}/{case_id}{path}")
        assert r.status_code == like.status_code, (path, r.text)
        assert_problem(r)
        assert r.json()["type"] == like.json()["type"]
    r = await actor.post(f"{CASES}/{case_id}/transitions",
                         {"event": "uphold", "expected_revision": 0, **UPHOLD})
    assert r.status_code == like.status_code, r.text


async def test_the_scheme_manager_reaches_a_grievance_only_at_the_last_tier(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    manager = cast.manager
    filing = await file_grievance(world)
    await walk(gcast.caseworker, filing.case_id, ("acknowledge", {}))
    # what any staff member out of a case's reach is answered: here a caseworker whose
    # colleague holds the case
    like = await gcast.other_caseworker.get(f"{CASES}/{filing.case_id}")
    assert like.status_code == 403, like.text

    await assert_out_of_reach(manager, filing.case_id, like)  # tier 1, open
    await walk(gcast.caseworker, filing.case_id, ("triage", {"data": {"severity": "medium"}}),
               ("signpost", SIGNPOST), ("close", {"reason_code": "other_mechanism"}))
    assert (await appeal(world, filing, "Nobody listened to me.")).status_code == 200
    await assert_out_of_reach(manager, filing.case_id, like)  # tier 2: the supervisor's
    await walk(gcast.supervisor, filing.case_id, ("uphold", UPHOLD))
    assert await reads_of(world, filing.case_id) == []  # nothing opened for it so far

    r = await appeal(world, filing, "I still disagree.")
    assert (r.json()["state"], r.json()["tier"]) == ("appealed", 3), r.text
    assert filing.case_id in listed(await manager.get(CASES, params={"state": "appealed"}))
    r = await manager.get(f"{CASES}/{filing.case_id}")
    assert r.status_code == 200 and r.json()["tier"] == 3, r.text
    may = {t["event"] for t in (await manager.get(f"{CASES}/{filing.case_id}/transitions")).json()}
    assert may == {"uphold", "reopen"}
    r = await manager.get(f"{CASES}/{filing.case_id}/narrative", params={"purpose": "appeal"})
    assert r.status_code == 200 and r.json()["narrative"] == NARRATIVE, r.text
    view = await walk(manager, filing.case_id, ("uphold", UPHOLD))
    assert (view["state"], view["tier"]) == ("closed", 3)
    assert filing.case_id in listed(await manager.get(CASES))  # decided there, still its own

    # the manager heard of the appeal to its tier, not of the one to the supervisor's
    async with world.services.db.read() as session:
        told = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.case_id == filing.case_id,
            OutboxMessage.destination == "manager@scheme.example"))).all()
    assert [m.topic for m in told] == ["case.transition"]
    assert "appeal" in str(told[0].payload)


async def test_a_manager_who_is_also_a_supervisor_acts_as_the_role_that_reaches(
        world: World, gcast: GrievanceCast) -> None:
    """Roles are judged one by one: the supervisor's reach does not lend the scheme manager's
    role a tier-2 grievance, and its act is recorded as the supervisor's."""
    both = await world.staff("both@scheme.example", "scheme_manager", "supervisor",
                             organisation="Scheme")
    filing = await file_grievance(world)
    await closed(gcast, filing.case_id)
    assert (await appeal(world, filing, "Nobody listened to me.")).status_code == 200
    may = (await both.get(f"{CASES}/{filing.case_id}/transitions")).json()
    assert {t["as_role"] for t in may} == {"supervisor"}
    r = await both.get(f"{CASES}/{filing.case_id}/narrative", params={"purpose": "appeal"})
    assert r.status_code == 200 and r.json()["basis"] == "all", r.text
    [read] = await reads_of(world, filing.case_id)
    assert (read.reader_role, read.basis) == ("supervisor", "all")


async def test_each_read_of_the_narrative_leaves_one_record(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    case = f"{CASES}/{filing.case_id}"

    # lists, the case and what fires show no narrative, and open nothing
    for actor in (gcast.caseworker, gcast.supervisor):
        for r in (await actor.get(CASES), await actor.get(case),
                  await actor.get(f"{case}/transitions"), await actor.get(f"{case}/history")):
            assert r.status_code == 200 and "kept my passport" not in r.text, r.text
    assert (await gcast.caseworker.get(case)).json()["narrative_on_file"] is True
    assert await reads_of(world, filing.case_id) == []

    # refused reads record nothing: no access, the tier-1 manager, no purpose
    for actor in (gcast.admin, cast.manager, cast.recruiter, gcast.glaa):
        r = await actor.get(f"{case}/narrative", params={"purpose": "curious"})
        assert r.status_code == 403, r.text
        assert_problem(r)
    r = await gcast.caseworker.get(f"{case}/narrative")
    assert r.status_code == 400 and "purpose" in r.text, r.text
    assert await reads_of(world, filing.case_id) == []

    # the queue's caseworkers (it is unassigned), then a supervisor, then, once it is taken,
    # only the caseworker holding it and the supervisor
    for actor, purpose in [(gcast.other_caseworker, "triage"), (gcast.caseworker, "triage"),
                           (gcast.supervisor, "quality review")]:
        r = await actor.get(f"{case}/narrative", params={"purpose": purpose})
        assert r.status_code == 200, r.text
        assert r.json()["narrative"] == NARRATIVE and r.json()["language"] == "ne"
        world.clock.advance(minutes=1)
    await walk(gcast.caseworker, filing.case_id, ("acknowledge", {}))
    r = await gcast.other_caseworker.get(f"{case}/narrative", params={"purpose": "triage"})
    assert r.status_code == 403, r.text

    reads = await reads_of(world, filing.case_id)
    assert [(x.reader_user_id, x.reader_role, x.basis, x.purpose, x.fields) for x in reads] == [
        (gcast.other_caseworker.user_id, "caseworker", "queue", "triage", ["narrative"]),
        (gcast.caseworker.user_id, "caseworker", "queue", "triage", ["narrative"]),
        (gcast.supervisor.user_id, "supervisor", "all", "quality review", ["narrative"])]
    assert [x.at for x in reads] == sorted({x.at for x in reads})  # each at its own time

    # at the last tier the scheme manager reads it too, on that basis
    last = await appealed_to_last_tier(world, gcast)
    with statements_with_values(world) as seen:
        r = await cast.manager.get(f"{CASES}/{last.case_id}/narrative",
                                   params={"purpose": "appeal"})
    assert (r.status_code, r.json()["basis"]) == (200, "last_tier"), r.text
    # whether the named scope reaches this case is read from its own grievance row (SQLite had
    # read every grievance to answer it)
    assert await unbounded_reads(world, seen) == []
    [read] = [x for x in await reads_of(world, last.case_id) if x.fields == ["narrative"]]
    assert (read.reader_user_id, read.reader_role, read.basis, read.purpose) == (
        cast.manager.user_id, "scheme_manager", "last_tier", "appeal")


async def test_reading_what_the_complainant_wrote_elsewhere_is_recorded(
        world: World, gcast: GrievanceCast) -> None:
    """Their notes in the history, their messages, and the narrative in a referral's packet."""
    filing = await file_grievance(world)
    case = f"{CASES}/{filing.case_id}"
    await closed(gcast, filing.case_id)
    # the findings' note only so far: the history opens nothing of theirs
    assert (await gcast.supervisor.get(f"{case}/history")).status_code == 200
    assert await reads_of(world, filing.case_id) == []

    assert (await appeal(world, filing, "Nobody listened to me.")).status_code == 200
    history = (await gcast.supervisor.get(f"{case}/history")).json()
    [theirs] = [e for e in history if e["actor_role"] == "complainant" and e["note"]]
    [read] = await reads_of(world, filing.case_id)
    assert (read.reader_user_id, read.reader_role, read.basis, read.purpose, read.fields) == (
        gcast.supervisor.user_id, "supervisor", "all", "case history",
        [f"event {theirs['seq']} note"])

    r = await world.client.post(f"/api/v1/grievances/{filing.reference}/messages",
                                json={"body": "They still have my passport."},
                                headers=filing.headers)
    assert r.status_code == 201, r.text
    messages = (await gcast.caseworker.get(f"{case}/messages")).json()
    assert [m["author"] for m in messages] == ["complainant"]
    read = (await reads_of(world, filing.case_id))[-1]
    assert (read.reader_user_id, read.reader_role, read.basis, read.purpose, read.fields) == (
        gcast.caseworker.user_id, "caseworker", "queue", "messages",
        [f"message {messages[0]['id']}"])

    referred = await file_grievance(world)
    view = await walk(gcast.caseworker, referred.case_id, ("acknowledge", {}),
                      ("triage", {"data": {"severity": "medium"}}),
                      ("refer", {"data": {"authority_id": gcast.glaa_id}}))
    r = await gcast.supervisor.get(f"/api/v1/referrals/{view['referral_case_ids'][0]}")
    assert r.status_code == 200 and r.json()["packet"]["narrative"] == NARRATIVE, r.text
    [read] = await reads_of(world, referred.case_id)
    assert (read.reader_user_id, read.reader_role, read.basis, read.fields) == (
        gcast.supervisor.user_id, "supervisor", "all", ["narrative"])
