"""Monitoring after a return over HTTP, on both databases: the 3, 6 and 12-month reports fall
due by themselves (durations from the workflow's settings) and escalate to the return officer
and the supervisor when missed; a report filed in time cancels its own deadline; each report
is a form, sealed, with its classification in clear; closing as completed needs all three."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import isodate
import pytest
from sqlalchemy import select
from sqlmodel import col

from iris_engine.returns.models import MonitoringReport
from iris_engine.store.models import Timer
from tests.conftest import REPO
from tests.integration.conftest import World
from tests.integration.test_return_travel import events, mails, pointers, refused_by, view, when
from tests.returns_support import (
    SURVIVOR_NAME,
    ReturnCast,
    fire_return,
    monitoring_report_form,
    refer,
    return_cast,
    walk_return,
)

#: the workflow's monitoring_first, _second and _third
DUE = {"first": "P3M", "second": "P6M", "third": "P12M"}


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The shipped workflows, or (parametrized with a duration) a copy of them whose
    ``monitoring_first`` is that duration."""
    first = getattr(request, "param", None)
    if first is None:
        return {}
    folder = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    path = folder / "return.yaml"
    text = path.read_text(encoding="utf-8")
    assert "monitoring_first: P3M" in text
    path.write_text(text.replace("monitoring_first: P3M", f"monitoring_first: {first}"),
                    encoding="utf-8")
    return {"workflows_dir": folder}


async def arrived(world: World, target: str = "arrived") -> tuple[ReturnCast, int, datetime]:
    """A survivor home; answers the cast, the case and the confirmed arrival."""
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, target)
    return cast, case_id, when((await view(cast, case_id))["arrived_at"])


async def deadlines(world: World, case_id: int) -> dict[str, tuple[datetime, str]]:
    """The case's monitoring deadlines: name -> (due, status)."""
    async with world.services.db.read() as session:
        rows = (await session.scalars(select(Timer).where(
            col(Timer.case_id) == case_id, col(Timer.kind) == "deadline",
            col(Timer.name).startswith("monitoring_")))).all()
    return {t.name: (t.due_at.astimezone(UTC) if t.due_at.tzinfo else t.due_at.replace(tzinfo=UTC),
                     t.status) for t in rows}


def after(arrival: datetime, duration: str) -> datetime:
    moment: datetime = arrival + isodate.parse_duration(duration)
    return moment


async def overdue(cast: ReturnCast, case_id: int) -> list[str]:
    return [e["note"] for e in await events(cast, case_id, "escalate")
            if e["reason_code"] == "monitoring_overdue"]


async def file(cast: ReturnCast, case_id: int, due: str, **form: Any) -> Any:
    return await fire_return(cast.partner, case_id, "file_monitoring_report",
                             data={"due": due, "report": monitoring_report_form(**form)})


async def test_the_3_6_and_12_month_reports_escalate_when_missed(world: World) -> None:
    cast, case_id, arrival = await arrived(world)
    due = {name: after(arrival, duration) for name, duration in DUE.items()}
    assert await deadlines(world, case_id) == {
        f"monitoring_{name}": (at, "pending") for name, at in due.items()}

    expected: list[str] = []
    for name, months in (("first", 3), ("second", 6), ("third", 12)):
        world.clock.set(due[name] - timedelta(minutes=1))
        await world.tick()
        assert await overdue(cast, case_id) == expected
        world.clock.set(due[name] + timedelta(minutes=1))
        await world.tick()
        expected.append(f"The {months}-month monitoring report is overdue.")
        assert await overdue(cast, case_id) == expected
    assert (await view(cast, case_id))["escalations"] == 3

    for address in ("officer@returns.example", "supervisor@returns.example"):
        told = [m for m in await mails(world, case_id, address)
                if "escalate" in m.payload["subject"]]
        assert len(told) == 3, address
        assert all(SURVIVOR_NAME not in str(m.payload) for m in told)


async def test_a_report_filed_in_time_cancels_its_deadline(world: World) -> None:
    cast, case_id, arrival = await arrived(world, "reintegration")
    world.clock.set(arrival + timedelta(days=80))
    r = await file(cast, case_id, "first")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "monitoring"
    found = await deadlines(world, case_id)
    assert found["monitoring_first"][1] == "cancelled"
    assert found["monitoring_second"][1] == "pending"

    world.clock.set(after(arrival, DUE["first"]) + timedelta(days=1))
    await world.tick()
    assert await overdue(cast, case_id) == []

    world.clock.set(after(arrival, DUE["second"]) + timedelta(minutes=1))  # not filed: escalates
    await world.tick()
    assert await overdue(cast, case_id) == ["The 6-month monitoring report is overdue."]


@pytest.mark.parametrize("settings_overrides", ["P2W"], indirect=True)
async def test_the_report_durations_come_from_the_workflow_settings(world: World) -> None:
    cast, case_id, arrival = await arrived(world)
    found = await deadlines(world, case_id)
    assert found["monitoring_first"] == (arrival + timedelta(weeks=2), "pending")
    assert found["monitoring_second"] == (after(arrival, "P6M"), "pending")

    world.clock.set(arrival + timedelta(weeks=2, minutes=1))
    await world.tick()
    assert await overdue(cast, case_id) == ["The 3-month monitoring report is overdue."]


async def test_each_report_once_in_its_window_as_a_sealed_form(world: World) -> None:
    cast, case_id, _ = await arrived(world)

    r = await file(cast, case_id, "second")
    assert refused_by(r) == ["monitoring_report_valid"]
    assert pointers(r) == ["/data/due"]
    assert "may be filed from" in r.json()["detail"]

    form = monitoring_report_form(retrafficking_concerns={"concern": True},
                                  housing={"situation": "palace"})
    r = await fire_return(cast.partner, case_id, "file_monitoring_report",
                          data={"due": "first", "report": form})
    assert pointers(r) == ["/data/report/housing/situation", "/data/report/retrafficking_concerns"]
    tomorrow = (world.clock() + timedelta(days=1)).date().isoformat()
    r = await file(cast, case_id, "first", contact_on=tomorrow)
    assert pointers(r) == ["/data/report/contact_on"]

    secret = "Works at the Suceava bakery of Mr Lungu; lives at 4 Strada Florilor."
    r = await file(cast, case_id, "first", housing={"situation": "temporary", "details": secret},
                   retrafficking_concerns={"concern": True, "indicators": ["job_offer_abroad"]})
    assert r.status_code == 200, r.text
    r = await file(cast, case_id, "first")
    assert refused_by(r) == ["monitoring_report_valid"]
    assert "filed already" in r.json()["detail"]

    async with world.services.db.read() as session:
        [row] = (await session.scalars(select(MonitoringReport).where(
            col(MonitoringReport.case_id) == case_id))).all()
    assert (row.due, row.housing, row.income, row.wellbeing, row.retrafficking_concern,
            row.filed_by_role) == ("first", "temporary", "training", "fair", True, "partner")
    assert row.report_sealed is not None and secret not in row.report_sealed
    opened = world.services.vault.open(row.report_sealed,
                                       place=f"return:{case_id}:monitoring_report:{row.id}")
    assert opened["housing"]["details"] == secret


async def test_closing_as_completed_needs_the_three_reports(world: World) -> None:
    cast, case_id, arrival = await arrived(world)
    world.clock.set(arrival + timedelta(days=1))
    assert (await file(cast, case_id, "first")).status_code == 200
    world.clock.set(after(arrival, DUE["first"]) + timedelta(days=1))
    assert (await file(cast, case_id, "second")).status_code == 200

    r = await fire_return(cast.officer, case_id, "close", reason_code="completed")
    assert refused_by(r) == ["monitoring_complete"]
    assert pointers(r) == ["/reason_code"]
    assert "missing: third" in r.json()["detail"]

    world.clock.set(after(arrival, DUE["second"]) + timedelta(days=1))
    assert (await file(cast, case_id, "third")).status_code == 200
    r = await fire_return(cast.officer, case_id, "close", reason_code="completed")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed"
    assert all(status == "cancelled" for _, status in (await deadlines(world, case_id)).values())


async def test_closing_for_another_reason_needs_no_report(world: World) -> None:
    cast, case_id, arrival = await arrived(world)
    world.clock.set(arrival + timedelta(days=1))
    assert (await file(cast, case_id, "first")).status_code == 200
    r = await fire_return(cast.supervisor, case_id, "close", reason_code="lost_contact",
                          note="The phone number no longer answers; the family moved.")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed"


@pytest.mark.parametrize("hostile", [
    pytest.param({"next_steps": "x" * 1_000_000}, id="huge-string"),
    pytest.param({"next_steps": "call\u0000back"}, id="nul"),
    pytest.param({"housing": {"situation": "stable", "details": {"a": {"b": {"c": "d"}}}}},
                 id="object-for-text"),
    pytest.param({"services_received": ["shelter"] * 10_000}, id="long-list"),
])
async def test_hostile_reports_are_refused_as_problems(world: World, hostile: Any) -> None:
    cast, case_id, _ = await arrived(world)
    r = await file(cast, case_id, "first", **hostile)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] and all(e["pointer"].startswith("/data/report")
                                      for e in r.json()["errors"])
    assert (await view(cast, case_id))["state"] == "arrived"
    assert (await file(cast, case_id, "first")).status_code == 200  # nothing was lost
