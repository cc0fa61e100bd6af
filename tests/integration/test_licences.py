"""Licences watched and information requests (issue #11 item 5), through HTTP on both
databases: a licence ending opens a review that ends in suspension unless a valid licence
arrives; the scheme manager asks for information from ``decision`` and the case comes back."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.conftest import (
    Cast,
    World,
    assert_problem,
    case_state,
    licence,
    pending_deadlines,
    walk_to,
)


async def test_a_licence_ending_leads_to_review_then_suspension(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    today = world.clock().date()
    # the licence sent now ends in 20 days: the watch is re-armed on that date
    r = await cast.recruiter.fire(case_id, "update_licences",
                                  data={"licences": [licence(today + timedelta(days=20))]})
    assert r.status_code == 200 and r.json()["state"] == "accredited", r.text
    [watch] = await pending_deadlines(world, case_id, "licence_expiry")
    assert watch.due_at.date() == today + timedelta(days=21)

    world.clock.advance(days=22)
    await world.tick()
    assert await case_state(cast, case_id) == "licence_review"
    lrn = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"]
    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert entry["status"] == "accredited"  # still accredited while the review runs

    world.clock.advance(days=31)
    await world.tick()
    assert await case_state(cast, case_id) == "suspended"
    last = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()[-1]
    assert (last["event"], last["reason_code"], last["actor_role"]) == (
        "suspend", "licence_lost", "system")
    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert (entry["status"], entry["under_appeal"]) == ("suspended", False)


async def test_an_updated_licence_ends_the_review_where_the_case_was(world: World,
                                                                    cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    today = world.clock().date()
    await cast.recruiter.fire(case_id, "update_licences",
                              data={"licences": [licence(today + timedelta(days=5))]})
    world.clock.advance(days=6)
    await world.tick()
    assert await case_state(cast, case_id) == "licence_review"

    expired = [licence(today + timedelta(days=5))]
    r = await cast.recruiter.fire(case_id, "update_licences", data={"licences": expired})
    assert r.status_code == 422, r.text
    assert r.json()["extra"]["guards"][0]["guard"] == "licence_sent_valid_today"

    renewed = world.clock().date() + timedelta(days=365)
    r = await cast.recruiter.fire(case_id, "update_licences",
                                  data={"licences": [licence(renewed, "DOFE-3001")]})
    assert r.status_code == 200 and r.json()["state"] == "accredited", r.text
    assert await pending_deadlines(world, case_id, "licence_review_due") == []
    [watch] = await pending_deadlines(world, case_id, "licence_expiry")
    assert watch.due_at.date() == renewed + timedelta(days=1)
    world.clock.advance(days=40)
    await world.tick()
    assert await case_state(cast, case_id) == "accredited"  # no suspension follows


async def test_licences_are_checked_against_the_code_of_conduct(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    bad = licence(world.clock().date() + timedelta(days=90))
    del bad["issuer"]
    bad["country"] = "nepal"
    r = await cast.recruiter.fire(case_id, "update_licences", data={"licences": [bad]})
    assert r.status_code == 422, r.text
    assert_problem(r)
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert pointers == {"/data/licences/0", "/data/licences/0/country"}, r.json()["errors"]
    r = await cast.recruiter.fire(case_id, "update_licences", data={"licences": []})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/data/licences"


async def test_a_licence_that_lapses_during_the_decision_can_be_replaced(world: World,
                                                                         cast: Cast) -> None:
    case_id = await walk_to(cast, "decision")
    world.clock.advance(days=401)  # the licences in the application end in 400 days
    listed = (await cast.manager.get(f"/api/v1/applications/{case_id}/transitions")).json()
    accredit = next(t for t in listed if t["event"] == "accredit")
    assert [g["guard"] for g in accredit["blocked_by"]] == ["licence_valid_today"]

    renewed = world.clock().date() + timedelta(days=365)
    r = await cast.recruiter.fire(case_id, "update_licences",
                                  data={"licences": [licence(renewed)]})
    assert r.status_code == 200 and r.json()["state"] == "decision", r.text
    r = await cast.manager.fire(case_id, "accredit")
    assert r.status_code == 200 and r.json()["state"] == "accredited", r.text


async def test_an_information_request_from_decision_round_trip_and_lapse(world: World,
                                                                         cast: Cast) -> None:
    case_id = await walk_to(cast, "decision")
    today = world.clock().date()
    r = await cast.manager.fire(case_id, "request_information", note="Send the fee ledger",
                                data={"respond_by": (today + timedelta(days=61)).isoformat()})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/data/respond_by", r.text
    r = await cast.manager.fire(case_id, "request_information", note="Send the fee ledger",
                                data={"respond_by": (today + timedelta(days=14)).isoformat()})
    assert r.status_code == 200 and r.json()["state"] == "information_requested", r.text
    assert (await cast.manager.fire(case_id, "accredit")).status_code == 409

    listed = (await cast.recruiter.get(f"/api/v1/applications/{case_id}/transitions")).json()
    answer = next(t for t in listed if t["event"] == "answer_information_request")
    assert answer["to"] == "decision"
    r = await cast.recruiter.fire(case_id, "answer_information_request",
                                  note="Ledger uploaded as ledger-2026.pdf")
    assert r.status_code == 200 and r.json()["state"] == "decision", r.text
    assert await pending_deadlines(world, case_id, "information_request_due") == []

    r = await cast.manager.fire(case_id, "request_information", note="And the contracts",
                                data={"respond_by": (today + timedelta(days=7)).isoformat()})
    assert r.status_code == 200, r.text
    world.clock.advance(days=7)
    await world.tick()
    assert await case_state(cast, case_id) == "information_requested"  # due by the end of that day
    world.clock.advance(days=1)
    await world.tick()
    assert await case_state(cast, case_id) == "lapsed"
    last = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()[-1]
    assert (last["event"], last["reason_code"]) == ("lapse", "information_request_lapsed")
