"""Withdrawal before departure (issue #13, items 1 and 3): the survivor may withdraw at any
time before departure; the case closes, every consent ends, the services not delivered are
cancelled, the partner's reach ends at once and the referrer is told. After departure there is
nothing to withdraw from (409). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from iris_engine.returns.models import ReturnCase, ReturnConsent, ReturnService
from iris_engine.store.models import OutboxMessage
from tests.integration.conftest import World, assert_problem
from tests.returns_support import (
    PATH,
    SURVIVOR_NAME,
    ReturnCast,
    consent,
    fire_return,
    refer,
    return_cast,
    walk_return,
)

WITHDRAW = {"reason_code": "survivor_withdrew",
            "note": "She has found work here and wants to stay; she thanked the team."}
#: states the walk reaches with the case shared with the partner
SHARED = ("risk_assessment", "plan_approved", "travel_documents", "fit_to_travel",
          "travel_booked")


@pytest.fixture
async def rc(world: World) -> ReturnCast:
    return await return_cast(world)


async def rows(world: World, model: Any, case_id: int) -> list[Any]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(model).where(
            col(model.case_id) == case_id).order_by(col(model.id)))).all())


async def mails_to(world: World, case_id: int, address: str) -> list[OutboxMessage]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(OutboxMessage).where(
            col(OutboxMessage.case_id) == case_id,
            col(OutboxMessage.destination) == address))).all())


async def plan_services(rc: ReturnCast, case_id: int) -> dict[str, int]:
    """Shelter planned, a flight booked, travel documents delivered: the ids by kind."""
    r = await fire_return(rc.officer, case_id, "record_consent", data=consent(
        "share_with_services", services=["shelter", "flight", "travel_documents"]))
    assert r.status_code == 200, r.text
    ids = {}
    for kind, cost in (("shelter", "300.00"), ("flight", "180.00"), ("travel_documents", "75.00")):
        r = await fire_return(rc.officer, case_id, "plan_service", data={
            "kind": kind, "provider": "IOM Bucharest", "planned_cost": cost})
        assert r.status_code == 200, r.text
        ids[kind] = (await rows(rc.world, ReturnService, case_id))[-1].id
    for kind, status in (("flight", "booked"), ("travel_documents", "delivered")):
        r = await fire_return(rc.officer, case_id, "update_service",
                              data={"service_id": ids[kind], "status": status})
        assert r.status_code == 200, r.text
    return ids


@pytest.mark.parametrize("state", ["enquiry", "consented", "eligible", *SHARED])
async def test_withdrawal_before_departure_closes_the_case_and_stops_every_disclosure(
        world: World, rc: ReturnCast, state: str) -> None:
    case_id = await refer(rc)
    await walk_return(rc, case_id, state)
    shared = state in SHARED
    services = await plan_services(rc, case_id) if state in ("plan_approved",
                                                             "travel_booked") else {}
    if shared:
        assert case_id in {c["id"] for c in (await rc.partner.get(PATH)).json()}
        assert (await rc.partner.get(f"{PATH}/{case_id}")).status_code == 200

    r = await fire_return(rc.officer, case_id, "withdraw", **WITHDRAW)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "withdrawn"

    consents = await rows(world, ReturnConsent, case_id)
    assert all(c.withdrawn_at is not None for c in consents), [c.purpose for c in consents]
    async with world.services.db.read() as session:
        detail = await session.get(ReturnCase, case_id)
    assert detail is not None and detail.ended_at is not None
    if services:
        statuses = {s.kind: s.status for s in await rows(world, ReturnService, case_id)}
        assert statuses == {"shelter": "cancelled", "flight": "cancelled",
                            "travel_documents": "delivered"}
    history = (await rc.supervisor.get(f"{PATH}/{case_id}/history")).json()
    outcome = history[-1]["data"]["outcome"]
    assert (outcome["consents_withdrawn"], outcome["services_cancelled"]) == (
        len(consents), 2 if services else 0)

    # the partner's reach ends at once: its list, the case, its history, its events
    assert case_id not in {c["id"] for c in (await rc.partner.get(PATH)).json()}
    for path in (f"{PATH}/{case_id}", f"{PATH}/{case_id}/history",
                 f"{PATH}/{case_id}/transitions"):
        r = await rc.partner.get(path)
        assert r.status_code in (403, 404), (path, r.text)
        assert_problem(r)

    # the referrer is told, in words that name no one
    told = await mails_to(world, case_id, "caseworker@hope.example")
    assert told, "the referrer was not told of the withdrawal"
    assert all(SURVIVOR_NAME not in str(m.payload) for m in told)
    assert "withdr" in str(told[-1].payload)

    # and nothing more happens on it but what retention and a hold need
    r = await fire_return(rc.officer, case_id, "record_consent", data=consent())
    assert r.status_code == 409, r.text


@pytest.mark.parametrize("state", ["departed", "arrived", "reintegration"])
async def test_after_departure_there_is_no_withdrawal(world: World, rc: ReturnCast,
                                                      state: str) -> None:
    case_id = await refer(rc)
    await walk_return(rc, case_id, state)
    r = await fire_return(rc.officer, case_id, "withdraw", **WITHDRAW)
    assert r.status_code == 409, r.text
    assert_problem(r)
    assert (await rc.officer.get(f"{PATH}/{case_id}")).json()["state"] == state
    assert all(c.withdrawn_at is None for c in await rows(world, ReturnConsent, case_id))


async def test_a_withdrawal_is_recorded_by_staff_with_a_reason_and_a_note(
        world: World, rc: ReturnCast) -> None:
    case_id = await refer(rc)
    await walk_return(rc, case_id, "eligible")
    for actor in (rc.referrer,):
        r = await fire_return(actor, case_id, "withdraw", **WITHDRAW)
        assert r.status_code == 403, r.text
    r = await fire_return(rc.officer, case_id, "withdraw")
    assert r.status_code == 422, r.text
    assert {e["pointer"] for e in r.json()["errors"]} == {"/reason_code", "/note"}
    r = await fire_return(rc.officer, case_id, "withdraw", reason_code="completed",
                          note="Wrong code.")
    assert r.status_code == 422, r.text
    assert (await rc.officer.get(f"{PATH}/{case_id}")).json()["state"] == "eligible"
    r = await fire_return(rc.supervisor, case_id, "withdraw", reason_code="survivor_unreachable",
                          note="No answer for three weeks at any of her numbers.")
    assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text
