"""The enrolment flow end to end through the services: an organisation's staff enrolled by
its coordinator and certified after the trainer records attendance."""

from __future__ import annotations

from sqlalchemy import select

from iris_engine.training.models import Certificate, Learner
from tests.integration.conftest import World
from tests.training_support import certify_staff


async def test_certify_staff_issues_certificates(world: World) -> None:
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    numbers = await certify_staff(world, recruiter.organisation_id, 2)
    assert len(numbers) == 2
    async with world.services.db.read() as session:
        certificates = (await session.scalars(select(Certificate))).all()
        learners = (await session.scalars(select(Learner))).all()
    assert {c.id for c in certificates} == set(numbers)
    assert all(c.organisation_id == recruiter.organisation_id for c in certificates)
    assert sorted(c.status_index for c in certificates) == [0, 1]
    assert all(c.course_key == "iris-ethical-recruitment-foundations" for c in certificates)
    assert all(lr.name_sealed and "Staff" not in lr.name_sealed for lr in learners)


async def test_qualifications_counts_holders_and_offers_sessions(world: World) -> None:
    from datetime import timedelta

    from iris_engine.qualifications import Qualifications
    from tests.integration.training_cast import PREREQUISITE, open_session, training_cast

    records = world.services.engine.resources.get(Qualifications)  # type: ignore[type-abstract]
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    today = world.clock().date()
    async with world.services.db.read() as session:
        assert await records.holders(session, organisation_id=recruiter.organisation_id,
                                     course_keys=[PREREQUISITE], on=today) == 0
    numbers = await certify_staff(world, recruiter.organisation_id, 2)
    tc = await training_cast(world)
    await open_session(tc, course=PREREQUISITE, starts_in=timedelta(days=9))
    async with world.services.db.write() as session:
        assert await records.holders(session, organisation_id=recruiter.organisation_id,
                                     course_keys=[PREREQUISITE], on=today) == 2
        revoked = await session.get(Certificate, numbers[0])
        assert revoked is not None
        revoked.revoked_at = world.clock()
    async with world.services.db.read() as session:
        assert await records.holders(session, organisation_id=recruiter.organisation_id,
                                     course_keys=[PREREQUISITE], on=today) == 1
        [offer] = await records.offers(session, [PREREQUISITE, "no-such-course"])
    assert offer.enrol_href.endswith(f"open?course={PREREQUISITE}")
    assert offer.next_session_starts == (world.clock() + timedelta(days=9)).date()
