"""Look-ups a stranger can start, or that run once per person, read by index (migration 0021):
a recruiter confirming its address with the e-mailed token, a learner confirming an enrolment,
a wrong token, and an address erased from the outbox at the end of retention. Each had read a
whole table: every account, every enrolment, every message ever queued."""

from __future__ import annotations

from iris_engine.outbox import forget_recipient
from tests.integration.conftest import World, statements_with_values, unbounded_reads
from tests.integration.training_cast import confirm, open_session, self_enrol, training_cast


async def test_a_recruiter_s_confirmation_reads_its_account_by_the_token(world: World) -> None:
    email = "owner@lotus.example"
    r = await world.client.post("/api/v1/recruiters", json={
        "organisation": {"name": "Lotus Fair Recruitment", "country": "NP"},
        "user": {"email": email, "name": "Owner of Lotus", "password": "correct horse 2026"}})
    assert r.status_code == 202, r.text
    token = await world.emailed_token(email)
    with statements_with_values(world) as seen:
        wrong = await world.client.post("/api/v1/recruiters/confirm", json={"token": "A" * 43})
        right = await world.client.post("/api/v1/recruiters/confirm", json={"token": token})
    assert wrong.status_code in (400, 404, 422), wrong.text
    assert right.status_code == 200, right.text
    assert await unbounded_reads(world, seen) == []


async def test_a_learner_s_confirmation_reads_the_enrolment_by_the_token(world: World) -> None:
    tc = await training_cast(world)
    session_id = await open_session(tc)
    token = await self_enrol(world, session_id, "Asha Learner", "asha@council.example")
    with statements_with_values(world) as seen:
        assert (await confirm(world, "A" * 43)).status_code == 404
        r = await confirm(world, token)
    assert r.status_code == 200, r.text
    assert await unbounded_reads(world, seen) == []


async def test_an_address_is_erased_from_the_outbox_by_index(world: World) -> None:
    with statements_with_values(world) as seen:
        async with world.services.db.write() as session:
            await forget_recipient(session, "gone@council.example")
    assert seen and await unbounded_reads(world, seen) == []
