"""The trainer's attendance sheet in the workspace: a session's confirmed learners in rows,
the minutes (and absences) of several recorded in one post, each as its own transition; a row
the engine refuses shown with its reason while the others stay recorded; another trainer's
session, and a session not started yet, recorded nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.conftest import World
from tests.integration.staff_support import csrf_token, post_form, signed_in
from tests.integration.training_cast import (
    ENROLMENTS,
    bulk,
    open_session,
    staff_csv,
    training_cast,
)


async def test_a_trainer_records_a_session_on_one_sheet(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc, starts_in=timedelta(hours=1))
    r = await bulk(tc.police, session_id, staff_csv(
        ("Priya Sha", "priya@police.example", "police"), ("Tom Reed", "tom@police.example", "police"),
        ("Ana Lima", "ana@police.example", "police")))
    priya, tom, ana = (row["enrolment_id"] for row in r.json()["enrolled"])
    sheet = f"/staff/training_session/{session_id}/attendance"

    await signed_in(world, "trainer@training.example")
    case = await world.client.get(f"/staff/training_session/{session_id}")
    assert f'href="{sheet}"' in case.text
    page = await world.client.get(sheet)
    assert page.status_code == 200
    assert "Priya Sha" in page.text and f'name="minutes.{priya}"' in page.text

    # before the session starts, the engine refuses every row: shown at each, nothing recorded
    r = await post_form(world, sheet, {f"minutes.{priya}": "200"})
    assert r.status_code == 422 and f'id="minutes-{priya}-error">' in r.text
    assert 'value="200"' in r.text  # what was typed is kept
    world.clock.advance(hours=5)

    # Priya present, Tom absent, Ana's minutes mistyped: two recorded, one shown again
    r = await post_form(world, sheet, {f"minutes.{priya}": "200", f"absent.{tom}": "yes",
                                       f"minutes.{ana}": "two hundred"})
    assert r.status_code == 422 and f'id="minutes-{ana}-error">Enter a whole number' in r.text
    states = {e["id"]: e["state"] for e in (await tc.coordinator.get(ENROLMENTS)).json()}
    assert (states[priya], states[tom], states[ana]) == ("certified", "no_show", "confirmed")
    r = await post_form(world, sheet, {f"minutes.{ana}": "15"})
    assert r.status_code == 303 and r.headers["location"].endswith("?notice=recorded")
    page = await world.client.get(r.headers["location"])
    assert "Recorded." in page.text and 'name="minutes.' not in page.text
    states = {e["id"]: e["state"] for e in (await tc.coordinator.get(ENROLMENTS)).json()}
    assert states[ana] == "failed"


async def test_only_the_sessions_trainers_and_coordinators_see_the_sheet(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc, starts_in=timedelta(hours=1))
    r = await bulk(tc.police, session_id, staff_csv(("Priya Sha", "priya@police.example", "police")))
    [priya] = [row["enrolment_id"] for row in r.json()["enrolled"]]
    world.clock.advance(hours=5)
    sheet = f"/staff/training_session/{session_id}/attendance"
    await signed_in(world, "trainer2@training.example")  # not this session's trainer
    assert (await world.client.get(sheet)).status_code == 404
    mine = await world.client.get("/staff")
    r = await world.client.post(sheet, data={"_csrf_token": csrf_token(mine),
                                             f"minutes.{priya}": "200"})
    assert r.status_code == 404
    state = (await tc.coordinator.get(f"{ENROLMENTS}/{priya}")).json()["state"]
    assert state == "confirmed"
    # another workflow's case has no sheet
    assert (await world.client.get(f"/staff/grievance/{session_id}/attendance")).status_code == 404
