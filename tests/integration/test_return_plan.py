"""The plan of a return over HTTP, on both databases: the risk assessment form checked where
a partner can act on it and sealed, the forms' schemas served to the people of a return only,
services whose costs stay within the case's budget unless a supervisor approves more, booked
only with the survivor's consent to share with their providers; hostile forms refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from iris_engine.returns.models import ReturnCase, ReturnService
from iris_engine.store.models import CaseEvent
from tests.integration.conftest import World, assert_problem
from tests.integration.test_return_travel import events, pointers, refused_by
from tests.returns_support import (
    PATH,
    ReturnCast,
    consent,
    fire_return,
    refer,
    return_cast,
    risk_assessment_form,
    walk_return,
)


async def assessed(world: World) -> tuple[ReturnCast, int]:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "risk_assessment")
    return cast, case_id


async def record(cast: ReturnCast, case_id: int, assessment: Any, outcome: str = "proceed") -> Any:
    return await fire_return(cast.partner, case_id, "record_risk_assessment",
                             data={"assessment": assessment, "outcome": outcome})


# -- the risk assessment ---------------------------------------------------------------------
async def test_the_risk_assessment_form_is_checked_where_a_partner_can_act(world: World) -> None:
    cast, case_id = await assessed(world)
    form = risk_assessment_form(debt={"owed": "yes"}, retrafficking_risk="extreme")
    del form["accommodation"]
    r = await record(cast, case_id, form)
    assert refused_by(r) == ["risk_assessment_valid"]
    assert pointers(r) == ["/data/assessment", "/data/assessment/debt",
                           "/data/assessment/debt", "/data/assessment/retrafficking_risk"]
    messages = " ".join(e["message"] for e in r.json()["errors"])
    assert "'accommodation' is missing" in messages and "low, medium or high" in messages

    high = risk_assessment_form(retrafficking_risk="high")
    r = await record(cast, case_id, high, "proceed")
    assert refused_by(r) == ["risk_assessment_valid"]
    assert pointers(r) == ["/data/outcome"]
    high.pop("measures", None)
    r = await record(cast, case_id, high, "proceed_with_measures")
    assert pointers(r) == ["/data/assessment/measures"]
    reasonless = risk_assessment_form()
    del reasonless["reasons"]
    r = await record(cast, case_id, reasonless, "not_advised")
    assert pointers(r) == ["/data/assessment/reasons"]
    assert (await cast.supervisor.get(f"{PATH}/{case_id}")).json()["risk_outcome"] is None


async def test_the_risk_assessment_is_sealed_and_only_its_outcome_in_clear(world: World) -> None:
    cast, case_id = await assessed(world)
    secret = "Her uncle Dorin collects the debt for the recruiter."
    r = await record(cast, case_id, risk_assessment_form(
        family={"involved_in_trafficking": "yes", "supportive": "no", "details": secret},
        retrafficking_risk="medium", measures=["Shelter in Iasi"]), "proceed_with_measures")
    assert r.status_code == 200, r.text
    assert r.json()["risk_outcome"] == "proceed_with_measures"

    recorded = (await events(cast, case_id, "record_risk_assessment"))[-1]
    assert recorded["data"]["outcome"] == "proceed_with_measures"
    assert recorded["data"]["sealed"] == ["assessment"]  # opened for this reader only
    async with world.services.db.read() as session:
        detail = await session.get(ReturnCase, case_id)
        assert detail is not None and detail.risk_assessment_sealed is not None
        assert secret not in detail.risk_assessment_sealed
        assert detail.risk_assessed_at is not None
        rows = (await session.scalars(select(CaseEvent).where(
            col(CaseEvent.case_id) == case_id))).all()
        assert all(secret not in str(row.data) for row in rows)
        opened = world.services.vault.open(detail.risk_assessment_sealed,
                                           place=f"return:{case_id}:risk_assessment")
    assert opened["family"]["details"] == secret


# -- the forms' schemas ----------------------------------------------------------------------
@pytest.mark.parametrize("form", ["risk-assessment", "monitoring-report"])
async def test_the_forms_are_served_to_the_people_of_a_return_only(world: World, form: str) -> None:
    cast = await return_cast(world)
    path = f"{PATH}/{form}-schema"
    for actor in (cast.officer, cast.supervisor, cast.referrer, cast.partner):
        r = await actor.get(path)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/schema+json")
        schema = r.json()
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(f"{form.replace('-', '_')}.schema.json")
    auditor = await world.staff("auditor@audit.example", "auditor")
    r = await auditor.get(path)
    assert r.status_code == 403
    assert_problem(r)
    r = await world.client.get(path)
    assert r.status_code == 401
    assert_problem(r)


# -- services and the budget -----------------------------------------------------------------
async def planned(cast: ReturnCast, case_id: int, kind: str, cost: str, actor: Any = None) -> Any:
    return await fire_return(actor or cast.officer, case_id, "plan_service", data={
        "kind": kind, "provider": "Asociatia Pro Refugiu" if kind != "flight" else "TAROM",
        "planned_cost": cost})


async def service_ids(cast: ReturnCast, case_id: int) -> list[int]:
    return [e["data"]["outcome"]["service_id"] for e in await events(cast, case_id, "plan_service")]


async def test_a_budget_excess_is_refused_until_a_supervisor_approves_it(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "plan_approved")
    approval = (await events(cast, case_id, "approve_plan"))[-1]
    assert approval["data"]["outcome"]["budget"] == "2500.00 GBP"  # the workflow's setting

    assert (await planned(cast, case_id, "flight", "300.00")).status_code == 200
    r = await planned(cast, case_id, "shelter", "2300.00", cast.partner)
    assert refused_by(r) == ["within_budget"]
    assert pointers(r) == ["/data/planned_cost"]
    detail = r.json()["detail"]
    assert "2600.00 GBP in total" in detail and "budget of 2500.00 GBP" in detail
    assert "approve_budget_excess" in detail

    r = await fire_return(cast.officer, case_id, "approve_budget_excess",
                          note="Shelter costs more in Iasi", data={"amount": "200.00"})
    assert r.status_code == 403
    r = await fire_return(cast.supervisor, case_id, "approve_budget_excess",
                          note="A typing error", data={"amount": "999999999.99"})
    assert r.status_code == 422, r.text  # more than a 32-bit column holds in pence
    assert pointers(r) == ["/data/amount"]
    r = await fire_return(cast.supervisor, case_id, "approve_budget_excess",
                          note="Shelter costs more in Iasi", data={"amount": "200.00"})
    assert r.status_code == 200, r.text
    assert (await planned(cast, case_id, "shelter", "2300.00", cast.partner)).status_code == 200
    flight, shelter = await service_ids(cast, case_id)

    # actual costs count where known: 400 + 2300 = 2700 is the limit, 450 is beyond it
    r = await fire_return(cast.officer, case_id, "update_service",
                          data={"service_id": flight, "status": "delivered", "actual_cost": "450"})
    assert refused_by(r) == ["within_budget"]
    assert pointers(r) == ["/data/actual_cost"]
    assert "with 200.00 GBP approved beyond it" in r.json()["detail"]
    r = await fire_return(cast.officer, case_id, "update_service",
                          data={"service_id": flight, "status": "delivered", "actual_cost": "400"})
    assert r.status_code == 200, r.text

    # a change that lowers the total is never refused
    r = await fire_return(cast.officer, case_id, "update_service",
                          data={"service_id": shelter, "status": "cancelled"})
    assert r.status_code == 200, r.text
    async with world.services.db.read() as session:
        rows = {s.id: s for s in (await session.scalars(select(ReturnService).where(
            col(ReturnService.case_id) == case_id))).all()}
        detail_row = await session.get(ReturnCase, case_id)
    assert (rows[flight].status, rows[flight].planned_cost_minor,
            rows[flight].actual_cost_minor, rows[flight].currency) == ("delivered", 30000, 40000,
                                                                      "GBP")
    assert rows[shelter].status == "cancelled"
    assert detail_row is not None
    assert (detail_row.budget_minor, detail_row.approved_excess_minor) == (250000, 20000)


async def test_a_service_is_booked_only_with_consent_to_share_with_its_provider(
        world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "plan_approved")
    await planned(cast, case_id, "shelter", "900.00")
    await planned(cast, case_id, "medical_care", "150.00")
    shelter, medical = await service_ids(cast, case_id)

    r = await fire_return(cast.partner, case_id, "update_service",
                          data={"service_id": shelter, "status": "booked"})
    assert refused_by(r) == ["service_consented"]
    assert pointers(r) == ["/data/status"]
    assert "share_with_services" in r.json()["detail"]

    await fire_return(cast.officer, case_id, "record_consent",
                      data=consent("share_with_services", services=["shelter"]))
    assert (await fire_return(cast.partner, case_id, "update_service",
                              data={"service_id": shelter, "status": "booked"})).status_code == 200
    r = await fire_return(cast.partner, case_id, "update_service",
                          data={"service_id": medical, "status": "booked"})
    assert refused_by(r) == ["service_consented"]  # the consent names shelter only

    # withdrawn: nothing more is booked, but delivering and cancelling tell nobody anything
    await fire_return(cast.officer, case_id, "withdraw_consent", note="She changed her mind",
                      data={"purpose": "share_with_services"})
    assert (await fire_return(cast.partner, case_id, "update_service", data={
        "service_id": shelter, "status": "delivered", "actual_cost": "880.00"})).status_code == 200
    assert (await fire_return(cast.partner, case_id, "update_service", data={
        "service_id": medical, "status": "cancelled"})).status_code == 200


async def test_a_service_is_changed_only_on_its_own_case_and_while_it_can(world: World) -> None:
    cast = await return_cast(world)
    first, second = await refer(cast), await refer(cast)
    for case_id in (first, second):
        await walk_return(cast, case_id, "plan_approved")
    await planned(cast, first, "flight", "300.00")
    await planned(cast, first, "legal", "100.00")
    flight, legal = await service_ids(cast, first)

    r = await fire_return(cast.officer, second, "update_service",
                          data={"service_id": flight, "status": "cancelled"})
    assert refused_by(r) == ["service_of_case"]
    assert pointers(r) == ["/data/service_id"]
    r = await fire_return(cast.officer, first, "update_service",
                          data={"service_id": 2_000_000_000, "status": "cancelled"})
    assert refused_by(r) == ["service_of_case"]

    await fire_return(cast.officer, first, "update_service",
                      data={"service_id": legal, "status": "cancelled"})
    r = await fire_return(cast.officer, first, "update_service",
                          data={"service_id": legal, "status": "delivered"})
    assert refused_by(r) == ["service_of_case"]
    assert "cancelled" in r.json()["detail"]
    await fire_return(cast.officer, first, "update_service",
                      data={"service_id": flight, "status": "delivered"})
    r = await fire_return(cast.officer, first, "update_service",
                          data={"service_id": flight, "status": "cancelled"})
    assert refused_by(r) == ["service_of_case"]
    assert pointers(r) == ["/data/status"]


# -- hostile forms ---------------------------------------------------------------------------
def nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth):
        node = {"deeper": node}
    return node


@pytest.mark.parametrize("hostile", [
    pytest.param(lambda: risk_assessment_form(debt=nested(40)), id="deep-nesting"),
    pytest.param(lambda: risk_assessment_form(reasons="x" * 1_000_000), id="huge-string"),
    pytest.param(lambda: risk_assessment_form(reasons="safe\u0000house"), id="nul"),
    pytest.param(lambda: risk_assessment_form(**{"k" * 500: 1}), id="huge-member-name"),
    pytest.param(lambda: ["not", "a", "form"], id="not-an-object"),
    pytest.param(lambda: risk_assessment_form(dependants={"count": 10**30}), id="huge-number"),
])
async def test_hostile_forms_are_refused_as_problems(world: World, hostile: Any) -> None:
    cast, case_id = await assessed(world)
    r = await record(cast, case_id, hostile())
    assert r.status_code == 422, r.text
    assert_problem(r)
    assert r.json()["errors"] and all(e["pointer"].startswith("/data/assessment")
                                      for e in r.json()["errors"])
    assert (await cast.supervisor.get(f"{PATH}/{case_id}")).json()["risk_outcome"] is None
    # nothing was lost: the same case takes a proper assessment next
    assert (await record(cast, case_id, risk_assessment_form())).status_code == 200


async def test_a_form_nested_beyond_any_parser_is_refused_as_a_problem(world: World) -> None:
    """Written by hand: a JSON encoder (the test client's too) recurses as deep as a parser."""
    cast, case_id = await assessed(world)
    revision = (await cast.supervisor.get(f"{PATH}/{case_id}")).json()["revision"]
    form = '{"a":' * 5000 + "1" + "}" * 5000
    body = (f'{{"event":"record_risk_assessment","expected_revision":{revision},'
            f'"data":{{"outcome":"proceed","assessment":{form}}}}}')
    r = await world.client.post(f"{PATH}/{case_id}/transitions", content=body.encode(),
                                headers={**cast.partner.headers,
                                         "Content-Type": "application/json"})
    assert r.status_code == 400, r.text  # the edge: no parser reads it (bounds.MAX_DEPTH)
    assert_problem(r)
    assert (await record(cast, case_id, risk_assessment_form())).status_code == 200
