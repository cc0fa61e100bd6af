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
