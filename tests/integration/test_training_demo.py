"""The training demo: sessions past and future, learners at every stage, certificates (one
revoked, one reissued), and an audit trail that verifies; certify_demo_staff for accreditation."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from iris_engine.demo import seed_demo
from iris_engine.domain import DemoSeed
from iris_engine.store.models import Case
from iris_engine.training.demo import certify_demo_staff
from iris_engine.training.models import Certificate
from tests.integration.conftest import World


async def test_the_demo_has_learners_at_every_stage(world: World) -> None:
    logins = await seed_demo(world.services, sizes={"recruiters": 1})
    assert logins is not None
    assert {"training_coordinator", "trainer", "organisation_coordinator"} <= {login.role for login in logins}
    async with world.services.db.read() as session:
        states = dict((await session.execute(
            select(Case.workflow + ":" + Case.state, func.count()).where(
                Case.workflow.in_(["enrolment", "training_session"]))  # type: ignore[attr-defined]
            .group_by(Case.workflow, Case.state))).all())
        certificates = (await session.scalars(select(Certificate))).all()
    for state in ("requested", "confirmed", "waitlisted", "cancelled", "no_show", "failed",
                  "certified", "revoked"):
        assert states.get(f"enrolment:{state}"), (state, states)
    for state in ("planned", "registration_open", "cancelled", "closed"):
        assert states.get(f"training_session:{state}"), (state, states)
    revoked = [c for c in certificates if c.revoked_at is not None]
    assert len(revoked) == 2 and sum(1 for c in revoked if c.superseded_by) == 1
    report = await world.services.audit.verify()
    assert report.intact, report.findings


async def test_certify_demo_staff_certifies_through_the_flow(world: World) -> None:
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    seed = DemoSeed(world.services, random.Random(1), world.clock())
    await certify_demo_staff(seed, recruiter.organisation_id, 2)
    async with world.services.db.read() as session:
        held = (await session.scalars(select(Certificate).where(
            Certificate.organisation_id == recruiter.organisation_id))).all()
    assert len(held) == 2 and all(c.course_key == "iris-ethical-recruitment-foundations" for c in held)
