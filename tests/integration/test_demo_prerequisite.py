"""The demo respects the training prerequisite: every demo recruiter that submitted had one of
its staff certified first (``DemoSeed.prepare_organisations``, training's preparer), and one
recruiter, nobody of which is trained, waits in ``draft`` with ``submit`` blocked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from iris_engine.demo import prepare_demo_organisation, seed_demo
from iris_engine.errors import ConfigurationError
from iris_engine.people import NewUser
from iris_engine.qualifications import Qualifications
from iris_engine.store.models import Case, Organisation
from tests.integration.conftest import PASSWORD, World
from tests.integration.test_accreditation_prerequisite import drafted

COURSE = "iris-ethical-recruitment-foundations"


async def test_demo_recruiters_that_submitted_hold_the_training_and_one_waits(
        world: World) -> None:
    logins = await seed_demo(world.services, sizes={"recruiters": 4})
    assert logins is not None
    untrained = [login for login in logins if "trained" in login.note]
    assert [login.email for login in untrained] == ["recruiter004@demo.iris.example"]

    records = world.services.engine.resources.get(Qualifications)  # type: ignore[type-abstract]
    today = world.clock().date()
    async with world.services.db.read() as session:
        applications = (await session.execute(
            select(col(Case.organisation_id), col(Case.state))
            .join(Organisation, col(Organisation.id) == col(Case.organisation_id))
            .where(col(Case.workflow) == "accreditation", col(Organisation.kind) == "recruiter")
            .order_by(col(Case.id)))).all()
        held = {org: await records.holders(session, organisation_id=org, course_keys=[COURSE],
                                           on=today) for org, _state in applications}
        recruiters = await session.scalar(select(func.count()).select_from(Organisation).where(
            col(Organisation.kind) == "recruiter"))
    assert len(applications) == recruiters == 4
    *submitted, (waiting, state) = applications
    assert state == "draft" and held[waiting] == 0
    assert all(s != "draft" and held[org] >= 1 for org, s in submitted), (submitted, held)

    owner = await world.login("recruiter004@demo.iris.example", "demo-recruiter-2026")
    async with world.services.db.read() as session:
        case_id = await session.scalar(select(col(Case.id)).where(
            col(Case.organisation_id) == waiting, col(Case.workflow) == "accreditation"))
    listed = {t["event"]: t for t in (await owner.get(
        f"/api/v1/applications/{case_id}/transitions")).json()}
    assert [b["guard"] for b in listed["submit"]["blocked_by"]] == ["prerequisite_training_held"]


async def test_iris_demo_prepare_readies_a_recruiter_registered_later(world: World) -> None:
    """What `iris demo prepare NAME` runs (the README's walk): only on a demo's database."""
    lotus = await world.recruiter("Lotus Fair Recruitment", certified=False)
    with pytest.raises(ConfigurationError, match="none of the demo's staff"):
        await prepare_demo_organisation(world.services, "Lotus Fair Recruitment")
    assert await seed_demo(world.services, sizes={"recruiters": 2}) is None  # not empty: no demo
    async with world.services.db.write() as session:  # a demo account, as `iris demo seed` makes
        await world.services.people.add_user(
            session, await world.services.people.add_organisation(
                session, kind="scheme", name="Scheme (demo)", country="CH"),
            NewUser("manager@demo.iris.example", "Manager (demo)", PASSWORD, ("scheme_manager",)))

    assert not await prepare_demo_organisation(world.services, "Lotus Fair")
    assert not await prepare_demo_organisation(world.services, "Lotus\x00")  # PostgreSQL: no 500
    assert not await prepare_demo_organisation(world.services, "L" * 100_000)
    assert await prepare_demo_organisation(world.services, "Lotus Fair Recruitment")
    case_id = await drafted(lotus)
    r = await lotus.fire(case_id, "submit")
    assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
