"""The certification cycle of one organisation (issue #11, items 1-3): one LRN for good, one
live application at a time, recertification before the end, restoration after it, and a new
application once the case is final; one roster entry throughout, and ``iris audit verify``
still rebuilds it from the events of all the organisation's cases. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from iris_engine.accreditation.hooks import add_years
from iris_engine.accreditation.models import RecruiterReference
from iris_engine.roster.models import RosterChange, RosterEntry
from iris_engine.store.models import Case, Timer
from tests.integration.conftest import (
    Actor,
    Cast,
    GrievanceCast,
    World,
    assert_problem,
    file_grievance,
    licensed_for_years,
    valid_self_assessment,
    walk_to,
)
from tests.integration.test_audit_tampering import assert_intact
from tests.integration.test_grievance_workflow import (
    ACK,
    INVESTIGATE,
    findings,
    triage,
    walk,
)


def self_assessment_on(day: date) -> dict[str, Any]:
    """A complete self-assessment whose licences are valid around ``day`` (the test clock)."""
    doc = copy.deepcopy(valid_self_assessment())
    for lic in doc["principles"]["A"]["licences"]:
        lic["valid_from"] = (day - timedelta(days=400)).isoformat()
        lic["valid_until"] = (day + timedelta(days=400)).isoformat()
    return doc


async def ok(actor: Actor, case_id: int, event: str, **body: Any) -> dict[str, Any]:
    r = await actor.fire(case_id, event, **body)
    assert r.status_code == 200, (event, r.text)
    view: dict[str, Any] = r.json()
    return view


async def view(actor: Actor, case_id: int) -> dict[str, Any]:
    r = await actor.get(f"/api/v1/applications/{case_id}")
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def roster_status(world: World, lrn: str) -> str:
    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    return str(entry["status"])


async def entries_of(world: World, name: str) -> list[RosterEntry]:
    async with world.services.db.read() as session:
        return list((await session.scalars(
            select(RosterEntry).where(RosterEntry.name == name))).all())


async def changes_of(world: World, lrn: str) -> list[tuple[str, str | None]]:
    async with world.services.db.read() as session:
        rows = (await session.scalars(select(RosterChange).where(RosterChange.lrn == lrn)
                                      .order_by(RosterChange.seq))).all()
    return [(c.status, c.previous_status) for c in rows]


async def pending(world: World, case_id: int, name: str) -> list[Timer]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(Timer).where(
            Timer.case_id == case_id, Timer.name == name, Timer.status == "pending",
            Timer.kind == "deadline"))).all())


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def audit_round(cast: Cast, case_id: int, *, findings_: list[dict[str, Any]] | None = None,
                      decision: str) -> dict[str, Any]:
    """From recertification or restoration: the recruiter's update and submission, the audit
    (closing any finding with a corrective action), and the decision."""
    await ok(cast.manager, case_id, "plan_audit",
             data={"auditor_id": cast.auditor.user_id, "planned_on": date.today().isoformat()})
    audited = await ok(cast.auditor, case_id, "complete_audit",
                       data={"non_conformities": findings_ or []})
    for nc in audited["non_conformities"]:
        if nc["status"] == "open":
            blocked = await cast.auditor.fire(case_id, "refer_for_decision")
            assert blocked.status_code == 422, blocked.text
            await ok(cast.recruiter, case_id, "submit_corrective_action",
                     data={"plans": [{"non_conformity_id": nc["id"], "action": "Fixed."}]})
            await ok(cast.auditor, case_id, "accept_corrective_action")
    await ok(cast.auditor, case_id, "refer_for_decision")
    return await ok(cast.manager, case_id, decision)


# -- one live application ---------------------------------------------------------------------
async def test_a_second_application_while_one_is_live_is_refused_with_a_link(
        world: World, cast: Cast) -> None:
    first = await walk_to(cast, "submitted")
    r = await cast.recruiter.post("/api/v1/applications", {})
    assert r.status_code == 409, r.text
    assert_problem(r)
    body = r.json()
    assert body["type"].endswith("/application-under-way")
    assert body["extra"]["href"] == f"/api/v1/applications/{first}"
    assert (body["extra"]["case_id"], body["extra"]["state"]) == (first, "submitted")
    assert r.headers["link"] == f'</api/v1/applications/{first}>; rel="related"'
    assert f"application {first}" in body["detail"]

    # accredited: the way on is a renewal, from the day the window opens
    await ok(cast.manager, first, "accept_application")
    await ok(cast.manager, first, "plan_audit",
             data={"auditor_id": cast.auditor.user_id, "planned_on": date.today().isoformat()})
    await ok(cast.auditor, first, "complete_audit", data={"non_conformities": []})
    await ok(cast.auditor, first, "refer_for_decision")
    accredited = await ok(cast.manager, first, "accredit")
    r = await cast.recruiter.post("/api/v1/applications", {})
    assert r.status_code == 409
    opens = add_years(date.fromisoformat(accredited["valid_until"]), -1).isoformat()
    assert "apply_for_renewal" in r.json()["detail"]
    assert f"from {opens}" in r.json()["extra"]["instead"]
    async with world.services.db.read() as session:
        # (its staff's training enrolments are cases of the organisation too)
        count = await session.scalar(select(func.count()).select_from(Case).where(
            Case.organisation_id == cast.recruiter.organisation_id,
            Case.workflow == "accreditation"))
    assert count == 1


async def test_simultaneous_opens_by_one_organisation_end_with_one_case(
        world: World, cast: Cast) -> None:
    recruiters = [cast.recruiter, await world.recruiter("Lumbini Overseas"),
                  await world.recruiter("Pokhara Manpower")]
    answers = await asyncio.gather(*(
        r.post("/api/v1/applications", {}) for r in recruiters for _ in range(3)))
    by_org: dict[int, list[int]] = {}
    for i, answer in enumerate(answers):
        by_org.setdefault(recruiters[i // 3].organisation_id, []).append(answer.status_code)
    assert all(sorted(codes) == [201, 409, 409] for codes in by_org.values()), by_org
    async with world.services.db.read() as session:
        counts = dict((await session.execute(
            select(Case.organisation_id, func.count()).where(Case.workflow == "accreditation")
            .group_by(Case.organisation_id))).all())
    assert counts == {r.organisation_id: 1 for r in recruiters}


async def test_after_a_withdrawal_a_new_application_keeps_the_lrn_and_the_entry(
        world: World, cast: Cast) -> None:
    first = await walk_to(cast, "accredited")
    lrn = (await view(cast.recruiter, first))["lrn"]
    await ok(cast.recruiter, first, "withdraw_voluntarily", reason_code="voluntary")
    assert await roster_status(world, lrn) == "withdrawn"

    second = await walk_to(cast, "accredited")
    assert second != first
    assert (await view(cast.recruiter, second))["lrn"] == lrn
    entries = await entries_of(world, "Everest Fair Recruitment")
    assert [(e.lrn, e.case_id, e.status) for e in entries] == [(lrn, second, "accredited")]
    assert await changes_of(world, lrn) == [
        ("accredited", None), ("withdrawn", "accredited"), ("accredited", "withdrawn")]
    async with world.services.db.read() as session:
        refs = (await session.scalars(select(RecruiterReference))).all()
    assert [(r.organisation_id, r.lrn, r.case_id) for r in refs] == [
        (cast.recruiter.organisation_id, lrn, first)]
    await assert_intact(world)


async def test_another_organisation_gets_its_own_lrn(world: World, cast: Cast) -> None:
    first = await walk_to(cast, "accredited")
    other = Cast(await world.recruiter("Lumbini Overseas"), cast.manager, cast.auditor)
    second = await walk_to(other, "accredited")
    lrns = {(await view(cast.manager, c))["lrn"] for c in (first, second)}
    assert len(lrns) == 2


# -- recertification --------------------------------------------------------------------------
async def test_recertification_keeps_the_lrn_and_extends_from_the_old_end(
        world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    before = await view(cast.recruiter, case_id)
    lrn, old_end = before["lrn"], date.fromisoformat(before["valid_until"])
    opens = add_years(old_end, -1)

    r = await cast.recruiter.fire(case_id, "apply_for_renewal")
    assert r.status_code == 422, r.text
    assert r.json()["extra"]["guards"][0]["guard"] == "in_recertification_window"
    assert f"from {opens}" in r.text

    world.clock.set(midnight(old_end - timedelta(days=200)))
    await ok(cast.recruiter, case_id, "apply_for_renewal")
    assert await roster_status(world, lrn) == "accredited"
    assert len(await pending(world, case_id, "certificate_expiry")) == 1  # still running
    # the self-assessment of three years ago no longer holds a valid licence
    r = await cast.recruiter.fire(case_id, "submit")
    assert r.status_code == 422 and "licence_valid_today" in r.text
    await ok(cast.recruiter, case_id, "update_self_assessment",
             data={"self_assessment": self_assessment_on(world.clock().date())})
    await ok(cast.recruiter, case_id, "submit")
    minor = {"severity": "minor", "principle": "4", "criterion": "4.1",
             "description": "The retention schedule is not followed."}
    # the auditor who decides nothing: the scheme manager decides, having not audited
    r = await cast.auditor.fire(case_id, "recertify")
    assert r.status_code in (403, 409), r.text
    renewed = await audit_round(cast, case_id, findings_=[minor], decision="recertify")

    new_end = add_years(old_end, 3)
    assert (renewed["state"], renewed["lrn"], renewed["valid_until"]) == (
        "accredited", lrn, new_end.isoformat())
    assert renewed["accredited_on"] == before["accredited_on"]
    entries = await entries_of(world, "Everest Fair Recruitment")
    assert [(e.lrn, e.status, e.valid_until) for e in entries] == [(lrn, "accredited", new_end)]
    # the status never changed, so the change feed has nothing new
    assert await changes_of(world, lrn) == [("accredited", None)]

    # the certificate timer runs to the new end: nothing expires at the old one
    expiry = await pending(world, case_id, "certificate_expiry")
    assert [t.due_at.date() for t in expiry] == [new_end + timedelta(days=1)]
    async with world.services.db.read() as session:
        restarted = (await session.scalars(select(Timer).where(
            Timer.case_id == case_id, Timer.name == "certificate_expiry",
            Timer.kind == "deadline", Timer.status == "cancelled"))).all()
    assert [t.outcome for t in restarted] == ["started afresh by recertify"]
    world.clock.set(midnight(old_end + timedelta(days=2)))
    await world.tick()
    assert (await view(cast.recruiter, case_id))["state"] == "accredited"
    await assert_intact(world)


async def test_no_recertification_decision_in_time_means_expiry(
        world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    detail = await view(cast.recruiter, case_id)
    lrn, end = detail["lrn"], date.fromisoformat(detail["valid_until"])
    world.clock.set(midnight(end - timedelta(days=100)))
    await ok(cast.recruiter, case_id, "apply_for_renewal")
    await ok(cast.recruiter, case_id, "update_self_assessment",
             data={"self_assessment": self_assessment_on(world.clock().date())})
    await ok(cast.recruiter, case_id, "submit")
    assert (await view(cast.recruiter, case_id))["state"] == "recertification_review"

    world.clock.set(midnight(end + timedelta(days=1)))
    await world.tick()
    assert (await view(cast.recruiter, case_id))["state"] == "expired"
    assert await roster_status(world, lrn) == "expired"
    # and the restoration window opens from there
    assert len(await pending(world, case_id, "restoration_period")) == 1
    await assert_intact(world)


# -- restoration ------------------------------------------------------------------------------
async def _expired(world: World, cast: Cast) -> tuple[int, str, date]:
    case_id = await walk_to(cast, "accredited")
    await licensed_for_years(cast.recruiter, case_id)
    detail = await view(cast.recruiter, case_id)
    end = date.fromisoformat(detail["valid_until"])
    world.clock.set(midnight(end + timedelta(days=1)))
    await world.tick()
    assert (await view(cast.recruiter, case_id))["state"] == "expired"
    return case_id, detail["lrn"], end


async def test_restoration_within_the_period_keeps_the_lrn(world: World, cast: Cast) -> None:
    case_id, lrn, old_end = await _expired(world, cast)
    r = await cast.recruiter.post("/api/v1/applications", {})
    assert r.status_code == 409 and "apply_for_restoration" in r.json()["detail"]

    world.clock.advance(days=60)
    await ok(cast.recruiter, case_id, "apply_for_restoration")
    await ok(cast.recruiter, case_id, "update_self_assessment",
             data={"self_assessment": self_assessment_on(world.clock().date())})
    await ok(cast.recruiter, case_id, "submit")
    assert await roster_status(world, lrn) == "expired"  # until the decision
    restored = await audit_round(cast, case_id, decision="restore")

    new_end = add_years(old_end, 3)  # the prior cycle's end, not today's date
    assert (restored["state"], restored["lrn"], restored["valid_until"]) == (
        "accredited", lrn, new_end.isoformat())
    entries = await entries_of(world, "Everest Fair Recruitment")
    assert [(e.lrn, e.status, e.valid_until) for e in entries] == [(lrn, "accredited", new_end)]
    assert await changes_of(world, lrn) == [
        ("accredited", None), ("expired", "accredited"), ("accredited", "expired")]
    assert not await pending(world, case_id, "restoration_period")
    assert [t.due_at.date() for t in await pending(world, case_id, "certificate_expiry")] == [
        new_end + timedelta(days=1)]
    await assert_intact(world)


async def test_after_the_restoration_period_the_case_ends_and_a_new_application_keeps_the_lrn(
        world: World, cast: Cast) -> None:
    case_id, lrn, end = await _expired(world, cast)
    [deadline] = await pending(world, case_id, "restoration_period")
    first_day_after = add_months_6(end + timedelta(days=1))
    assert deadline.due_at == midnight(first_day_after)

    world.clock.set(midnight(first_day_after) + timedelta(hours=1))
    r = await cast.recruiter.fire(case_id, "apply_for_restoration")
    assert r.status_code == 422, r.text
    assert f"ended on {(first_day_after - timedelta(days=1)).isoformat()}" in r.text
    report = await world.tick()
    assert report.timers.fired == 1
    assert (await view(cast.recruiter, case_id))["state"] == "ended"
    assert await roster_status(world, lrn) == "expired"

    world.clock.set(datetime.now(UTC))  # licences in the example are valid around today
    again = await walk_to(cast, "accredited")
    assert (await view(cast.recruiter, again))["lrn"] == lrn
    entries = await entries_of(world, "Everest Fair Recruitment")
    assert [(e.lrn, e.case_id, e.status) for e in entries] == [(lrn, again, "accredited")]
    await assert_intact(world)


def add_months_6(day: date) -> date:
    month = day.month + 6
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


# -- grievances reach the live case -----------------------------------------------------------
async def test_a_substantiated_grievance_reaches_the_organisations_current_case(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    first = await walk_to(cast, "accredited")
    lrn = (await view(cast.manager, first))["lrn"]
    filed = await file_grievance(world, recruiter={"lrn": lrn})
    await ok(cast.recruiter, first, "withdraw_voluntarily", reason_code="voluntary")
    second = await walk_to(cast, "accredited")

    await walk(gcast.caseworker, filed.case_id, ACK, triage(), INVESTIGATE, findings(True, ["1"]))
    assert (await view(cast.manager, second))["state"] == "under_review"
    # a voluntary withdrawal is final at once: nobody appeals their own request
    assert (await view(cast.manager, first))["state"] == "withdrawn_final"
