"""Timers of sessions and enrolments (reminder, feedback, confirmation lapsing), revocation and
reissue after a name correction, a trainer handing a session on, and the CLI's audit verify."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from iris_engine.cli import main
from iris_engine.training.models import Certificate
from iris_engine.training.sealing import certificate_name_place
from tests.integration.conftest import World, assert_problem
from tests.integration.training_cast import (
    ENROLMENTS,
    SESSIONS,
    bulk,
    confirm,
    fire,
    open_session,
    self_enrol,
    staff_csv,
    training_cast,
)


async def test_reminder_feedback_and_a_lapsed_request(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc, starts_in=timedelta(days=3))
    confirmed = (await confirm(world, await self_enrol(world, session_id, "Asha Rai",
                                                       "asha@council.example"))).json()
    await self_enrol(world, session_id, "Ben Evans", "ben@council.example")  # never confirmed

    world.clock.advance(days=2, hours=1)  # 48 hours on: the request lapses; 23 h before the start
    await world.tick()
    states = {e["id"]: e["state"] for e in (await tc.coordinator.get(ENROLMENTS)).json()}
    assert sorted(states.values()) == ["cancelled", "confirmed"]
    reminded = [m for m in await world.emails_to("asha@council.example") if m.topic == "training.reminder"]
    assert len(reminded) == 1 and "Asha" not in reminded[0].payload["text"]
    assert not [m for m in await world.emails_to("ben@council.example") if m.topic == "training.reminder"]

    world.clock.advance(days=1, hours=4)
    assert (await fire(tc.trainer, SESSIONS, session_id, "deliver")).status_code == 200
    r = await fire(tc.trainer, ENROLMENTS, confirmed["enrolment_id"], "record_attendance",
                   data={"minutes_present": 170})
    assert r.json()["state"] == "certified", r.text
    world.clock.advance(hours=3)
    await world.tick()
    asked = [m for m in await world.emails_to("asha@council.example") if m.topic == "training.feedback"]
    assert len(asked) == 1
    closed = await fire(tc.coordinator, SESSIONS, session_id, "close_records")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


async def test_revoke_and_reissue_after_a_name_correction(world: World, database_url: str) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc, starts_in=timedelta(hours=1))
    r = await bulk(tc.police, session_id, staff_csv(("Priya Sha", "priya@police.example", "police"),
                                                    ("Tom Reed", "tom@police.example", "police")))
    [priya, tom] = [row["enrolment_id"] for row in r.json()["enrolled"]]
    world.clock.advance(hours=5)
    for enrolment in (priya, tom):
        r = await fire(tc.trainer, ENROLMENTS, enrolment, "record_attendance",
                       data={"minutes_present": 200})
        assert r.json()["state"] == "certified", r.text

    revision = (await tc.coordinator.get(f"{ENROLMENTS}/{priya}")).json()["revision"]
    refused = await tc.trainer.post(f"{ENROLMENTS}/{priya}/name-correction",
                                    {"name": "Priya Shah", "expected_revision": revision})
    assert refused.status_code == 403
    corrected = await tc.coordinator.post(f"{ENROLMENTS}/{priya}/name-correction",
                                          {"name": "Priya Shah", "expected_revision": revision})
    assert corrected.status_code == 200, corrected.text
    old, new = corrected.json()["certificates"]
    assert old["superseded_by"] == new["number"] and old["revoked_at"] is not None
    assert new["revoked_at"] is None and corrected.json()["learner_name"] == "Priya Shah"
    async with world.services.db.read() as session:
        row = await session.get(Certificate, new["number"])
    assert row is not None and row.learner_name_sealed is not None
    assert world.services.vault.open(row.learner_name_sealed,
                                      place=certificate_name_place(row.id)) == "Priya Shah"

    no_reason = await fire(tc.coordinator, ENROLMENTS, tom, "revoke", note="Wrong learner")
    assert no_reason.status_code == 422
    assert_problem(no_reason)
    revoked = await fire(tc.coordinator, ENROLMENTS, tom, "revoke", reason_code="conduct",
                         note="Answers copied in the knowledge check")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert revoked.json()["certificates"][0]["revoked_at"] is not None

    result = await asyncio.to_thread(CliRunner().invoke, main, ["audit", "verify"],
                                     env={"IRIS_DATABASE_URL": database_url})
    assert result.exit_code == 0 and "verified" in result.output, result.output


async def test_a_new_trainer_takes_the_enrolments_with_the_session(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc, starts_in=timedelta(hours=1))
    r = await bulk(tc.police, session_id, staff_csv(("Priya Shah", "priya@police.example", "police")))
    [enrolment] = [row["enrolment_id"] for row in r.json()["enrolled"]]
    assert (await tc.other_trainer.get(f"{ENROLMENTS}/{enrolment}")).status_code == 403

    handed = await fire(tc.coordinator, SESSIONS, session_id, "assign_trainer",
                        data={"trainer_id": tc.other_trainer.user_id})
    assert handed.status_code == 200, handed.text
    assert (await tc.other_trainer.get(f"{ENROLMENTS}/{enrolment}")).status_code == 200
    assert (await tc.trainer.get(f"{ENROLMENTS}/{enrolment}")).status_code == 403
    not_a_trainer = await fire(tc.coordinator, SESSIONS, session_id, "assign_trainer",
                               data={"trainer_id": tc.police.user_id})
    assert not_a_trainer.status_code == 422
    history = (await tc.coordinator.get(f"{ENROLMENTS}/{enrolment}/history")).json()
    assert history[-1]["event"] == "follow_trainer"
    async with world.services.db.read() as session:
        assert (await session.scalars(select(Certificate))).all() == []


async def test_a_certificate_from_the_flow_verifies_then_shows_revoked(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc, starts_in=timedelta(hours=1))
    confirmed = (await confirm(world, await self_enrol(world, session_id, "Mira Sen",
                                                       "mira@council.example"))).json()
    world.clock.advance(hours=5)
    r = await fire(tc.trainer, ENROLMENTS, confirmed["enrolment_id"], "record_attendance",
                   data={"minutes_present": 180})
    [issued] = r.json()["certificates"]
    check = await world.client.get(f"/api/v1/certificates/{issued['number']}/verification")
    assert check.status_code == 200, check.text
    assert (check.json()["status"], check.json()["learner_name"]) == ("valid", "Mira Sen")
    assert "mira@" not in check.text
    # the learner's link token opens their credential and PDF
    pdf = await world.client.get(f"/api/v1/certificates/{issued['number']}.pdf",
                                 headers={"X-Learner-Token": confirmed["link_token"]})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    revoked = await fire(tc.coordinator, ENROLMENTS, confirmed["enrolment_id"], "revoke",
                         reason_code="issued_in_error", note="Recorded against the wrong learner")
    assert revoked.status_code == 200, revoked.text
    check = (await world.client.get(f"/api/v1/certificates/{issued['number']}/verification")).json()
    assert check["status"] == "revoked" and check["revoked_on"] == world.clock().date().isoformat()
    assert "wrong learner" not in str(check)
