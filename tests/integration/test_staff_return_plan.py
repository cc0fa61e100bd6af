"""The return caseworker's services plan in the workspace: the plan's services in a table
with their totals, a service added with the generated form posted back to the plan, an update
choosing the service by what it is; the referrer, who is told nothing of the plan, has no such
page. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.integration.conftest import World
from tests.integration.staff_support import signed_in
from tests.returns_support import refer, return_cast, walk_return


def _revision(html: str) -> str:
    found = re.search(r'name="expected_revision" value="(\d+)"', html)
    assert found, html
    return found.group(1)


async def test_the_officer_plans_and_books_from_the_plan_page(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "plan_approved")
    plan = f"/staff/return/{case_id}/plan"
    await signed_in(world, "officer@returns.example")
    case = await world.client.get(f"/staff/return/{case_id}")
    assert f'href="{plan}"' in case.text
    page = await world.client.get(plan)
    assert page.status_code == 200 and "No service is planned yet." in page.text
    assert f'name="return_to" value="{plan}"' in page.text
    # the form posts to the case's own address; what it answers sends back to the plan
    r = await world.client.post(f"/staff/return/{case_id}", data={
        "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1),
        "event": "plan_service", "expected_revision": _revision(page.text), "return_to": plan,
        "data.kind": "medical_care", "data.provider": "Clinica Sf. Maria",
        "data.planned_cost": "180.00"})
    assert r.status_code == 303 and r.headers["location"] == f"{plan}?notice=fired", r.text
    page = await world.client.get(r.headers["location"])
    assert "Clinica Sf. Maria" in page.text and "180.00" in page.text and "Done." in page.text
    # an update chooses the service by what it is
    chooser = re.search(r'<select id="update_service--data-service_id".*?</select>', page.text,
                        re.S)
    assert chooser and "medical care, Clinica Sf. Maria (planned, 180.00" in chooser.group(0)
    # a return_to that is not one of this case's pages is not followed
    r = await world.client.post(f"/staff/return/{case_id}", data={
        "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1),
        "event": "plan_service", "expected_revision": _revision(page.text),
        "return_to": "https://elsewhere.example/", "data.kind": "shelter",
        "data.provider": "Casa Speranta", "data.planned_cost": "20.00"})
    assert r.status_code == 303 and r.headers["location"] == f"/staff/return/{case_id}?notice=fired"


async def test_the_referrer_has_no_plan_page(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "plan_approved")
    await signed_in(world, "caseworker@hope.example")
    assert (await world.client.get(f"/staff/return/{case_id}")).status_code == 200
    assert (await world.client.get(f"/staff/return/{case_id}/plan")).status_code == 404
    assert (await world.client.get(f"/staff/grievance/{case_id}/plan")).status_code == 404
