"""The survivor's personal data is erased at the end of the retention period, a legal hold
keeps it, and the hash chain still verifies after (issue #13: "Personal data is sealed with the
vault, erased on retention, held under a legal hold, as grievances do"; "the hash chain
verifies"). What stays is the classification statistics read. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from iris_engine.returns.models import MonitoringReport, ReturnCase, ReturnConsent
from iris_engine.store.models import CaseEvent
from tests.integration.conftest import World, assert_problem
from tests.returns_support import (
    PATH,
    ReturnCast,
    fire_return,
    monitoring_report_form,
    refer,
    return_cast,
    walk_return,
)

#: past the workflow's records_retention (P6Y), leap days included
RETENTION = timedelta(days=6 * 366 + 2)


async def sealed_left(world: World, case_id: int) -> list[str]:
    """Every sealed value of the case still held: detail, witnesses, reports, event notes."""
    async with world.services.db.read() as session:
        r = await session.get(ReturnCase, case_id, populate_existing=True)
        assert r is not None
        values = [r.identity_sealed, r.narrative_sealed, r.risk_assessment_sealed,
                  *(await session.scalars(select(ReturnConsent.witness_sealed).where(
                      ReturnConsent.case_id == case_id))).all(),
                  *(await session.scalars(select(MonitoringReport.report_sealed).where(
                      MonitoringReport.case_id == case_id))).all(),
                  *(await session.scalars(select(CaseEvent.note_sealed).where(
                      CaseEvent.case_id == case_id))).all()]
    return [v for v in values if v is not None]


async def monitored_and_closed(cast: ReturnCast) -> int:
    """A return walked to reintegration, its first report filed, closed: every kind of sealed
    value on file (identity, account, risk form, witnesses, a report, personal notes)."""
    case_id = await refer(cast)
    await walk_return(cast, case_id, "reintegration")
    r = await fire_return(cast.partner, case_id, "file_monitoring_report",
                          data={"due": "first", "report": monitoring_report_form()},
                          note="She asked us not to tell her brother where she works.")
    assert r.status_code == 200, r.text
    r = await fire_return(cast.officer, case_id, "close", reason_code="lost_contact",
                          note="Her phone has been off for two months.")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed" and r.json()["ended_at"] is not None
    return case_id


async def test_retention_end_erases_the_survivor_and_keeps_the_classification(
        world: World) -> None:
    cast = await return_cast(world)
    case_id = await monitored_and_closed(cast)
    before = await sealed_left(world, case_id)
    assert len(before) >= 7, before  # identity, account, risk, 3 witnesses, report, notes

    world.clock.advance(timedelta(days=30))
    await world.tick()
    assert await sealed_left(world, case_id) == before  # not before the period has run
    world.clock.advance(RETENTION)
    await world.tick()

    assert await sealed_left(world, case_id) == []
    for path in ("identity", "account"):
        r = await cast.supervisor.get(f"{PATH}/{case_id}/{path}", params={"purpose": "audit"})
        assert r.status_code == 404, r.text
        assert_problem(r)
    view = (await cast.supervisor.get(f"{PATH}/{case_id}")).json()
    assert view["erased"] is True and view["state"] == "closed"
    assert (view["nationality"], view["risk_outcome"]) == ("RO", "proceed")
    async with world.services.db.read() as session:
        report = (await session.scalars(select(MonitoringReport).where(
            MonitoringReport.case_id == case_id))).one()
        assert report.housing and report.report_sealed is None  # the classification stays
    history = (await cast.supervisor.get(f"{PATH}/{case_id}/history")).json()
    assert [e["event"] for e in history][-1] == "purge_personal_data"
    assert all("witness" not in e["data"] and "report" not in e["data"]
               and "assessment" not in e["data"] for e in history)
    assert any(e["note_erased"] for e in history)
    report = await world.services.audit.verify()
    assert report.intact, report.findings


async def test_a_legal_hold_stops_the_purge_and_its_release_after_the_period_purges_at_once(
        world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "eligible")
    r = await fire_return(cast.officer, case_id, "withdraw", reason_code="survivor_withdrew",
                          note="She found work in London and will stay.")
    assert r.status_code == 200, r.text
    r = await fire_return(cast.supervisor, case_id, "place_legal_hold",
                          note="Evidence in R v Dumitru, Southwark Crown Court")
    assert r.status_code == 200, r.text
    before = await sealed_left(world, case_id)
    assert before

    world.clock.advance(RETENTION)
    await world.tick()  # the retention timer fires and is refused: the hold stands
    assert await sealed_left(world, case_id) == before
    r = await cast.supervisor.get(f"{PATH}/{case_id}/identity", params={"purpose": "court"})
    assert r.status_code == 200, r.text
    assert (await cast.supervisor.get(f"{PATH}/{case_id}")).json()["erased"] is False

    r = await fire_return(cast.supervisor, case_id, "release_legal_hold",
                          note="Proceedings concluded")
    assert r.status_code == 200, r.text
    assert r.json()["erased"] is True and r.json()["legal_hold"] is False
    assert await sealed_left(world, case_id) == []
    r = await cast.supervisor.get(f"{PATH}/{case_id}/identity", params={"purpose": "court"})
    assert r.status_code == 404, r.text
    report = await world.services.audit.verify()
    assert report.intact, report.findings


async def test_releasing_a_hold_within_the_period_keeps_the_data(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    r = await fire_return(cast.supervisor, case_id, "place_legal_hold", note="Investigation")
    assert r.status_code == 200, r.text
    r = await fire_return(cast.supervisor, case_id, "release_legal_hold", note="Closed")
    assert r.status_code == 200, r.text
    assert r.json()["erased"] is False and await sealed_left(world, case_id)
    r = await fire_return(cast.supervisor, case_id, "release_legal_hold", note="Again")
    assert r.status_code == 422, r.text  # no hold to release
    assert_problem(r)
