"""The return demo: referrers and partners in the four countries with a login each, returns at
every stage walked through the real transitions (one withdrawn, one not advised, one closed
after its monitoring reports), the unconfirmed arrival escalated by the first tick, the
statistics over it, and an audit trail that verifies."""

from __future__ import annotations

from sqlalchemy import func, select

from iris_engine.demo import seed_demo
from iris_engine.returns.demo import PASSWORD, STORIES
from iris_engine.returns.models import MonitoringReport, ReturnCase, ReturnPartner
from iris_engine.store.models import Case, CaseEvent, Organisation
from tests.integration.conftest import World

EVERY_STAGE = {"enquiry", "consented", "eligible", "not_eligible", "risk_assessment",
               "not_advised", "plan_approved", "travel_documents", "fit_to_travel",
               "travel_booked", "departed", "arrived", "reintegration", "monitoring",
               "withdrawn", "closed"}


async def _states(world: World) -> dict[str, int]:
    async with world.services.db.read() as session:
        return dict((await session.execute(  # type: ignore[arg-type]
            select(Case.state, func.count()).where(Case.workflow == "return")
            .group_by(Case.state))).all())


async def test_the_demo_has_returns_at_every_stage_and_its_people_sign_in(world: World) -> None:
    logins = await seed_demo(world.services, sizes={"recruiters": 1})
    assert logins is not None
    states = await _states(world)
    assert set(states) == EVERY_STAGE, states
    assert sum(states.values()) == len(STORIES)
    assert states["departed"] == 2  # one on its way, one whose arrival nobody confirmed

    returns = [login for login in logins if login.password == PASSWORD]
    assert sorted(login.role for login in returns) == [
        "partner", "partner", "partner", "partner", "referrer", "referrer", "referrer",
        "return_officer", "return_supervisor"]
    for login in returns:  # each prints with the other demo logins and signs in
        actor = await world.login(login.email, login.password)
        assert actor.user_id == login.user_id
    async with world.services.db.read() as session:
        partners = (await session.scalars(select(ReturnPartner))).all()
        referrers = (await session.scalars(select(Organisation).where(
            Organisation.kind == "referrer"))).all()
        reports = (await session.scalars(select(MonitoringReport))).all()
    assert sorted(p.countries for p in partners) == ["BG", "CZ", "HU", "RO"]
    assert len(referrers) == 3
    assert sorted(r.due for r in reports) == ["first", "first", "second", "third"]
    assert sum(r.retrafficking_concern for r in reports) == 1

    # the first tick (iris serve --demo ticks at once) escalates the unconfirmed arrival only
    await world.tick()
    async with world.services.db.read() as session:
        escalations = (await session.execute(
            select(CaseEvent.case_id, CaseEvent.reason_code)
            .join(Case, Case.id == CaseEvent.case_id)  # type: ignore[arg-type]
            .where(Case.workflow == "return", CaseEvent.event == "escalate"))).all()
        escalated = (await session.scalars(select(ReturnCase).where(
            ReturnCase.escalations > 0))).all()
    assert [reason for _case, reason in escalations] == ["arrival_unconfirmed"]
    assert [r.case_id for r in escalated] == [escalations[0][0]]
    assert (await _states(world))["departed"] == 2

    report = await world.services.audit.verify()
    assert report.intact, report.findings


async def test_the_statistics_read_the_demo_without_a_name(world: World) -> None:
    await seed_demo(world.services, sizes={"recruiters": 1})
    supervisor = await world.login("returns-supervisor@demo.iris.example", PASSWORD)
    r = await supervisor.get("/api/v1/returns/statistics")
    assert r.status_code == 200, r.text
    body = r.json()
    assert {c["country"] for c in body["by_country"]} == {"BG", "CZ", "HU", "RO"}
    # a handful of returns per country: every stage count is hidden, and so the totals
    assert body["returns"] is None
    assert {e["ending"] for e in body["endings"]} == {"withdrawn", "not_advised",
                                                      "not_eligible"}
    assert "fictional" not in r.text.lower() and "Demo Survivor" not in r.text
