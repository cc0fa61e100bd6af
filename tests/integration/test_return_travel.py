"""Travel of a return over HTTP, on both databases: booked only with the survivor's consent
re-confirmed within the window and a risk assessment that allows it, a journey whose times
hold together, travel documents in hand, and the arrival deadline that escalates at once to
the return officer and the supervisor when the partner does not confirm the arrival (and
moves with a delay)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import Response
from sqlalchemy import select
from sqlmodel import col

from iris_engine.returns.models import ReturnCase
from iris_engine.store.models import OutboxMessage
from tests.integration.conftest import World, assert_problem
from tests.returns_support import (
    JOURNEY,
    PATH,
    SURVIVOR_NAME,
    ReturnCast,
    consent,
    fire_return,
    refer,
    return_cast,
    risk_assessment_form,
    walk_return,
)

#: the workflow's arrival_confirmation_grace
GRACE = timedelta(hours=12)


def refused_by(r: Response) -> list[str]:
    """The guards that refused a transition (a 422 problem naming them)."""
    assert r.status_code == 422, r.text
    assert_problem(r)
    return [g["guard"] for g in r.json()["extra"]["guards"]]


def pointers(r: Response) -> list[str]:
    assert_problem(r)
    return sorted(e["pointer"] for e in r.json().get("errors", []))


def journey(world: World, departs_in: timedelta, takes: timedelta) -> dict[str, Any]:
    departure = world.clock() + departs_in
    return {"data": {"departure_at": departure.isoformat(),
                     "arrival_at": (departure + takes).isoformat()}}


async def view(cast: ReturnCast, case_id: int) -> dict[str, Any]:
    r = await cast.supervisor.get(f"{PATH}/{case_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def events(cast: ReturnCast, case_id: int, name: str) -> list[dict[str, Any]]:
    r = await cast.supervisor.get(f"{PATH}/{case_id}/history")
    assert r.status_code == 200, r.text
    return [e for e in r.json() if e["event"] == name]


async def mails(world: World, case_id: int, to: str) -> list[OutboxMessage]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(OutboxMessage).where(
            col(OutboxMessage.case_id) == case_id, col(OutboxMessage.destination) == to)
            .order_by(col(OutboxMessage.id)))).all())


def when(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


# -- booking ---------------------------------------------------------------------------------
async def test_travel_is_booked_only_with_consent_reconfirmed_within_the_window(
        world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "fit_to_travel")  # consent given once, at the enquiry

    r = await fire_return(cast.officer, case_id, "book_travel",
                          **journey(world, timedelta(days=2), JOURNEY))
    assert refused_by(r) == ["consent_reconfirmed"]
    assert "re-confirmed before travel" in r.json()["detail"]

    assert (await fire_return(cast.officer, case_id, "record_consent",
                              data=consent())).status_code == 200
    world.clock.advance(days=7, minutes=1)  # the window is 7 days
    r = await fire_return(cast.officer, case_id, "book_travel",
                          **journey(world, timedelta(days=2), JOURNEY))
    assert refused_by(r) == ["consent_reconfirmed"]
    assert "more than 7 days ago" in r.json()["detail"]

    assert (await fire_return(cast.officer, case_id, "record_consent",
                              data=consent())).status_code == 200
    world.clock.advance(days=6)  # within the window
    booking = journey(world, timedelta(days=1), JOURNEY)
    r = await fire_return(cast.officer, case_id, "book_travel", **booking)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["state"] == "travel_booked"
    assert when(shown["scheduled_departure_at"]) == when(booking["data"]["departure_at"])
    assert when(shown["scheduled_arrival_at"]) == when(booking["data"]["arrival_at"])

    # departing asks the same: a week later the consent must be confirmed again
    world.clock.advance(days=1, minutes=1)
    assert refused_by(await fire_return(cast.officer, case_id, "depart")) == [
        "consent_reconfirmed"]


async def test_a_plan_needs_a_risk_assessment_that_allows_the_return(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "risk_assessment")  # shared, not assessed yet

    r = await fire_return(cast.supervisor, case_id, "approve_plan")
    assert refused_by(r) == ["risk_allows_return"]
    assert "no risk assessment is recorded" in r.json()["detail"]

    not_advised = risk_assessment_form(retrafficking_risk="high",
                                       reasons="The traffickers live next door.")
    r = await fire_return(cast.partner, case_id, "record_risk_assessment",
                          data={"assessment": not_advised, "outcome": "not_advised"})
    assert r.status_code == 200, r.text
    assert r.json()["risk_outcome"] == "not_advised"
    r = await fire_return(cast.supervisor, case_id, "approve_plan")
    assert refused_by(r) == ["risk_allows_return"]
    assert "outcome is not_advised" in r.json()["detail"]

    measures = risk_assessment_form(retrafficking_risk="high",
                                    measures=["A shelter away from the home town"])
    assert (await fire_return(cast.partner, case_id, "record_risk_assessment", data={
        "assessment": measures, "outcome": "proceed_with_measures"})).status_code == 200
    r = await fire_return(cast.supervisor, case_id, "approve_plan")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "plan_approved"


async def test_booking_asks_the_risk_assessment_again(world: World) -> None:
    """A case whose recorded outcome no longer allows the return (a case from before risk
    assessments were recorded, or corrected by hand) is not booked on the plan's approval."""
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "fit_to_travel")
    await fire_return(cast.officer, case_id, "record_consent", data=consent())
    async with world.services.db.write() as session:
        detail = await session.get(ReturnCase, case_id)
        assert detail is not None
        detail.risk_outcome = None

    r = await fire_return(cast.officer, case_id, "book_travel",
                          **journey(world, timedelta(days=2), JOURNEY))
    assert refused_by(r) == ["risk_allows_return"]


async def test_the_journey_must_hold_together(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "fit_to_travel")
    await fire_return(cast.officer, case_id, "record_consent", data=consent())
    now = world.clock()

    def at(delta: timedelta) -> str:
        return (now + delta).isoformat()

    cases = [
        ({"departure_at": at(-timedelta(hours=1)), "arrival_at": at(timedelta(hours=4))},
         ["/data/departure_at"]),
        ({"departure_at": at(timedelta(days=1)), "arrival_at": at(timedelta(hours=20))},
         ["/data/arrival_at"]),
        ({"departure_at": at(timedelta(days=1)), "arrival_at": at(timedelta(days=4, hours=1))},
         ["/data/arrival_at"]),
        ({"departure_at": "2027-02-30T10:00:00Z", "arrival_at": "2027-03-01T10:00:00Z"},
         ["/data/departure_at"]),
        # a real local time with no UTC instant (found by probing a live server: it was a 500)
        ({"departure_at": "0001-01-01T00:00:00+14:00", "arrival_at": at(timedelta(days=1))},
         ["/data/departure_at"]),
    ]
    for data, expected in cases:
        r = await fire_return(cast.officer, case_id, "book_travel", data=data)
        assert refused_by(r) == ["journey_sound"], data
        assert pointers(r) == expected, (data, r.text)

    # a time without its offset is ambiguous: refused by the transition's schema
    r = await fire_return(cast.officer, case_id, "book_travel",
                          data={"departure_at": "2027-03-01T10:00:00",
                                "arrival_at": at(timedelta(days=1))})
    assert r.status_code == 422, r.text
    assert pointers(r) == ["/data/departure_at"]
    assert (await view(cast, case_id))["state"] == "fit_to_travel"


async def test_fit_to_travel_needs_travel_documents_in_hand(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "travel_documents")

    r = await fire_return(cast.officer, case_id, "confirm_fit_to_travel", data={})
    assert refused_by(r) == ["travel_documents_in_hand"]
    assert pointers(r) == ["/data/holds_valid_document"]

    await fire_return(cast.officer, case_id, "plan_service", data={
        "kind": "travel_documents", "provider": "Embassy of Romania, London",
        "planned_cost": "60.00"})
    service_id = (await events(cast, case_id, "plan_service"))[-1]["data"]["outcome"]["service_id"]
    await fire_return(cast.officer, case_id, "record_consent",
                      data=consent("share_with_services", services=["travel_documents"]))
    for status in ("booked", "delivered"):
        r = await fire_return(cast.officer, case_id, "update_service",
                              data={"service_id": service_id, "status": status})
        assert r.status_code == 200, r.text

    r = await fire_return(cast.officer, case_id, "confirm_fit_to_travel", data={})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "fit_to_travel"


# -- the arrival deadline --------------------------------------------------------------------
async def departed(world: World) -> tuple[ReturnCast, int, datetime]:
    """A survivor on their way home; answers the cast, the case and the scheduled arrival."""
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "departed")
    shown = await view(cast, case_id)
    assert shown["state"] == "departed"
    scheduled = when(shown["scheduled_arrival_at"])
    assert scheduled == when(shown["departed_at"]) + JOURNEY
    return cast, case_id, scheduled


async def test_an_unconfirmed_arrival_escalates_at_once_to_officer_and_supervisor(
        world: World) -> None:
    cast, case_id, scheduled = await departed(world)

    world.clock.set(scheduled + GRACE - timedelta(minutes=1))
    await world.tick()
    assert await events(cast, case_id, "escalate") == []

    world.clock.set(scheduled + GRACE + timedelta(minutes=1))
    await world.tick()

    escalations = await events(cast, case_id, "escalate")
    assert [(e["actor_role"], e["reason_code"], e["to_state"]) for e in escalations] == [
        ("system", "arrival_unconfirmed", "departed")]
    assert "not confirmed" in escalations[0]["note"]
    assert (await view(cast, case_id))["escalations"] == 1
    for address in ("officer@returns.example", "supervisor@returns.example"):
        told = [m for m in await mails(world, case_id, address)
                if "escalate" in m.payload["subject"]]
        assert len(told) == 1, address
        assert SURVIVOR_NAME not in str(told[0].payload)

    world.clock.advance(days=1)  # once only
    await world.tick()
    assert len(await events(cast, case_id, "escalate")) == 1


async def test_a_confirmed_arrival_escalates_nothing(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "arrived")
    shown = await view(cast, case_id)
    assert shown["state"] == "arrived"
    assert when(shown["arrived_at"]) == when(shown["scheduled_arrival_at"])

    world.clock.set(when(shown["scheduled_arrival_at"]) + GRACE + timedelta(days=1))
    await world.tick()
    assert await events(cast, case_id, "escalate") == []
    assert (await view(cast, case_id))["escalations"] == 0


async def test_a_delay_moves_the_arrival_deadline(world: World) -> None:
    cast, case_id, scheduled = await departed(world)
    departed_at = scheduled - JOURNEY

    r = await fire_return(cast.partner, case_id, "delay_arrival", note="Bus broke down",
                          data={"arrival_at": (departed_at - timedelta(hours=1)).isoformat()})
    assert refused_by(r) == ["arrival_after_departure"]
    assert pointers(r) == ["/data/arrival_at"]

    later = scheduled + timedelta(days=1)
    r = await fire_return(cast.partner, case_id, "delay_arrival",
                          note="The coach was held at the border; a day late.",
                          data={"arrival_at": later.isoformat()})
    assert r.status_code == 200, r.text
    assert when(r.json()["scheduled_arrival_at"]) == later

    world.clock.set(scheduled + GRACE + timedelta(hours=1))  # the old deadline has passed
    await world.tick()
    assert await events(cast, case_id, "escalate") == []

    world.clock.set(later + GRACE + timedelta(minutes=1))  # the new one has too
    await world.tick()
    assert [e["reason_code"] for e in await events(cast, case_id, "escalate")] == [
        "arrival_unconfirmed"]


async def test_an_arrival_is_confirmed_once_it_has_happened(world: World) -> None:
    cast, case_id, scheduled = await departed(world)
    now = world.clock()

    for arrived_at in (now + timedelta(hours=1), scheduled - JOURNEY - timedelta(minutes=1)):
        r = await fire_return(cast.partner, case_id, "confirm_arrival",
                              data={"arrived_at": arrived_at.isoformat()})
        assert refused_by(r) == ["arrival_after_departure"]
        assert pointers(r) == ["/data/arrived_at"]

    world.clock.advance(hours=3)
    arrived_at = world.clock() - timedelta(minutes=10)
    r = await fire_return(cast.partner, case_id, "confirm_arrival",
                          data={"arrived_at": arrived_at.isoformat()})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], when(r.json()["arrived_at"])) == ("arrived", arrived_at)
