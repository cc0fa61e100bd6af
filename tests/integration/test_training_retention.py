"""Training records kept records_retention (P3Y) after an enrolment ends, then the learner's
name and e-mail erased from every table, by the last enrolment of theirs to run out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import SQLModel

from iris_engine.training.models import Certificate, Learner
from tests.integration.conftest import World
from tests.integration.training_cast import (
    ENROLMENTS,
    confirm,
    fire,
    open_session,
    self_enrol,
    training_cast,
)

NAME, EMAIL = "Zanele Okonkwo-Brady", "Zanele.Okonkwo@council.example"


async def _tables_holding(world: World, *needles: str) -> list[str]:
    """Every table and column in which any of ``needles`` appears (case ignored)."""
    found = []
    async with world.services.db.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                for column, value in zip(table.columns, row, strict=True):
                    text = str(value).lower()
                    found += [f"{table.name}.{column.name}" for n in needles if n.lower() in text]
    return sorted(set(found))


async def test_retention_erases_name_and_email_from_every_table(world: World) -> None:
    tc = await training_cast(world)
    first = await open_session(tc, starts_in=timedelta(hours=1))
    confirmed = (await confirm(world, await self_enrol(world, first, NAME, EMAIL))).json()
    world.clock.advance(hours=5)
    r = await fire(tc.trainer, ENROLMENTS, confirmed["enrolment_id"], "record_attendance",
                   data={"minutes_present": 180})
    assert r.json()["state"] == "certified", r.text
    [certificate] = r.json()["certificates"]
    assert await _tables_holding(world, NAME, EMAIL) == ["outbox_message.destination"]

    # half a year later the learner asks for another session, and never confirms
    world.clock.advance(days=180)
    second = await open_session(tc, starts_in=timedelta(days=30))
    await self_enrol(world, second, NAME, EMAIL)
    world.clock.advance(days=3)
    await world.tick()  # the request lapses: its own retention period starts now
    world.clock.advance(days=3 * 366 - 180)
    await world.tick()  # the first enrolment's period ends; the second still keeps the data
    async with world.services.db.read() as session:
        learner = (await session.scalars(select(Learner))).one()
    assert learner.erased_at is None and learner.name_sealed is not None
    history = (await tc.coordinator.get(f"{ENROLMENTS}/{confirmed['enrolment_id']}/history")).json()
    assert history[-1]["event"] == "erase_personal_data"
    assert history[-1]["data"]["outcome"]["erasure"]["erased"] is False

    world.clock.advance(days=200)
    await world.tick()

    assert await _tables_holding(world, NAME, EMAIL, "okonkwo") == []
    async with world.services.db.read() as session:
        learner = (await session.scalars(select(Learner))).one()
        kept = await session.get(Certificate, certificate["number"])
    assert learner.erased_at is not None
    assert (learner.name_sealed, learner.email_sealed, learner.email_digest,
            learner.link_token_hash) == (None, None, None, None)
    assert kept is not None and kept.learner_name_sealed is None and kept.cpd_hours == 3.0
    gone = await world.client.get("/api/v1/training/me",
                                  headers={"X-Learner-Token": confirmed["link_token"]})
    assert gone.status_code == 401
    check = (await world.client.get(f"/api/v1/certificates/{certificate['number']}/verification")).json()
    assert check["learner_name_erased"] is True and "learner_name" not in check
    assert check["course_key"] == "trafficking-awareness-frontline"
    view = (await tc.coordinator.get(f"{ENROLMENTS}/{confirmed['enrolment_id']}")).json()
    assert view["learner_name"] is None and view["state"] == "certified"
    report = await world.services.audit.verify()
    assert report.intact, report.findings
