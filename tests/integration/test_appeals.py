"""Appeals and representations (issue #11 item 4), through HTTP on both databases: who may
decide an appeal, what an upheld or dismissed one does, the windows, the public roster."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import text

from iris_engine.cli import main
from tests.integration.conftest import (
    TEST_DATA_KEYS,
    Actor,
    Cast,
    World,
    assert_problem,
    walk_to,
)

GROUNDS = "The audit report confuses our Doha office with another agency's."


async def _state(actor: Actor, case_id: int) -> str:
    return str((await actor.get(f"/api/v1/applications/{case_id}")).json()["state"])


async def _entry(world: World, actor: Actor, case_id: int) -> dict[str, Any]:
    lrn = (await actor.get(f"/api/v1/applications/{case_id}")).json()["lrn"]
    r = await world.client.get(f"/api/v1/roster/{lrn}")
    assert r.status_code == 200, r.text
    entry: dict[str, Any] = r.json()["entry"]
    return entry


def _verify(url: str) -> tuple[int, str]:
    # the appeal's grounds are sealed: the verifier opens them with the world's keys
    result = CliRunner().invoke(main, ["audit", "verify"], env={"IRIS_DATABASE_URL": url,
                                                                "IRIS_DATA_KEYS": TEST_DATA_KEYS})
    return result.exit_code, result.output


async def _guard_refused(r: Any, guard: str) -> None:
    assert r.status_code == 422, r.text
    assert_problem(r)
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == [guard], r.text


async def test_a_suspension_appeal_is_heard_by_someone_impartial_and_restores_the_state(
        world: World, cast: Cast, database_url: str) -> None:
    # an auditor who is also a scheme manager audits this case: it may never hear its appeal
    dual = await world.staff("dual@audit.example", "auditor", "scheme_manager")
    other = await world.staff("other.manager@scheme.example", "scheme_manager",
                              organisation="Scheme", kind="scheme")
    case_id = await walk_to(Cast(cast.recruiter, cast.manager, dual), "accredited")
    r = await cast.manager.fire(case_id, "suspend", reason_code="audit_refused",
                                note="Refused the surveillance audit")
    assert r.status_code == 200, r.text
    history = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()
    until = datetime.fromisoformat(history[-1]["data"]["outcome"]["appeal_until"])
    assert until.date() == (world.clock() + timedelta(days=30)).date()

    r = await cast.recruiter.fire(case_id, "appeal", note=GROUNDS)
    assert r.status_code == 200 and r.json()["state"] == "suspension_appeal", r.text
    entry = await _entry(world, cast.manager, case_id)
    assert (entry["status"], entry["under_appeal"], entry["current"]) == ("suspended", True, False)
    page = (await world.client.get("/api/v1/roster", params={"status": "suspended"})).text
    for private in (GROUNDS, "audit_refused", "Refused the surveillance audit"):
        assert private not in page and private not in str(entry)
    changes = (await world.client.get("/api/v1/roster/changes")).json()["changes"]
    assert [(c["status"], c["under_appeal"]) for c in changes][-2:] == [
        ("suspended", False), ("suspended", True)]
    # the grounds are the recruiter's words about its case: sealed, never e-mailed
    mail = [m.payload["text"] for m in await world.emails_to("manager@scheme.example")]
    assert mail and not any(GROUNDS in text for text in mail)

    # the one who suspended, and the auditor, may not decide; a scheme manager who did may
    for refused in (cast.manager, dual):
        await _guard_refused(await refused.fire(case_id, "uphold_appeal", note="Upheld"),
                             "appeal_decider_impartial")
    listed = (await other.get(f"/api/v1/applications/{case_id}/transitions")).json()
    uphold = next(t for t in listed if t["event"] == "uphold_appeal")
    assert uphold["to"] == "accredited" and uphold["blocked_by"] == []
    r = await other.fire(case_id, "uphold_appeal", note="The audit was not refused")
    assert r.status_code == 200 and r.json()["state"] == "accredited", r.text

    entry = await _entry(world, cast.manager, case_id)
    assert (entry["status"], entry["under_appeal"], entry["current"]) == ("accredited", False, True)
    events = [h["event"] for h in
              (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()]
    assert events[-3:] == ["suspend", "appeal", "uphold_appeal"]
    code, output = await asyncio.to_thread(_verify, database_url)
    assert code == 0 and "verified" in output, output


async def test_a_dismissed_withdrawal_appeal_is_final(world: World, cast: Cast,
                                                      database_url: str) -> None:
    confirmer = await world.staff("confirmer@scheme.example", "scheme_manager",
                                  organisation="Scheme", kind="scheme")
    judge = await world.staff("judge@scheme.example", "scheme_manager",
                              organisation="Scheme", kind="scheme")
    case_id = await walk_to(cast, "accredited")
    r = await cast.manager.fire(case_id, "withdraw", reason_code="fees_charged_to_workers",
                                note="Fees charged to 40 workers")
    assert r.status_code == 200 and r.json()["state"] == "withdrawal_notice", r.text
    outcome = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()[-1][
        "data"]["outcome"]
    assert datetime.fromisoformat(outcome["representations_until"]).date() == (
        world.clock() + timedelta(days=10)).date()
    assert outcome["appeal_period"].startswith("P30D")
    # the decision has not taken effect: the public sees no change
    assert (await _entry(world, cast.manager, case_id))["status"] == "accredited"

    r = await cast.recruiter.fire(case_id, "make_representations", note="We reimbursed them all")
    assert r.status_code == 200 and r.json()["state"] == "withdrawal_notice", r.text
    r = await confirmer.fire(case_id, "confirm_withdrawal", note="Reimbursement not shown")
    assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text
    assert (await _entry(world, cast.manager, case_id))["status"] == "withdrawn"

    r = await cast.recruiter.fire(case_id, "appeal", note=GROUNDS)
    assert r.status_code == 200 and r.json()["state"] == "withdrawal_appeal", r.text
    entry = await _entry(world, cast.manager, case_id)
    assert (entry["status"], entry["under_appeal"]) == ("withdrawn", True)

    for took_part in (cast.manager, confirmer):  # decided it, confirmed it
        await _guard_refused(await took_part.fire(case_id, "dismiss_appeal", note="Stands"),
                             "appeal_decider_impartial")
    assert (await cast.recruiter.fire(case_id, "dismiss_appeal", note="x")).status_code == 403
    r = await judge.fire(case_id, "dismiss_appeal", note="The decision stands")
    assert r.status_code == 200 and r.json()["state"] == "withdrawn_final", r.text
    entry = await _entry(world, cast.manager, case_id)
    assert (entry["status"], entry["under_appeal"]) == ("withdrawn", False)
    assert (await judge.get(f"/api/v1/applications/{case_id}/transitions")).json() == []
    code, output = await asyncio.to_thread(_verify, database_url)
    assert code == 0 and "verified" in output, output


async def test_withdrawal_takes_effect_after_the_representation_period_and_a_late_appeal_is_refused(
        world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    r = await cast.manager.fire(case_id, "withdraw", reason_code="audit_refused",
                                note="Refused two audits")
    assert r.status_code == 200, r.text
    world.clock.advance(days=9)
    await world.tick()
    assert await _state(cast.manager, case_id) == "withdrawal_notice"
    world.clock.advance(days=2)
    await world.tick()
    assert await _state(cast.manager, case_id) == "withdrawn"
    last = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()[-1]
    assert (last["event"], last["actor_role"]) == ("withdrawal_takes_effect", "system")
    assert "appeal_until" in last["data"]["outcome"]
    assert (await _entry(world, cast.manager, case_id))["status"] == "withdrawn"

    world.clock.advance(days=31)  # past the appeal period, before any ticker ran
    r = await cast.recruiter.fire(case_id, "appeal", note=GROUNDS)
    await _guard_refused(r, "appeal_period_open")
    await world.tick()  # the period ends: the withdrawal is final
    assert await _state(cast.manager, case_id) == "withdrawn_final"
    assert (await cast.recruiter.fire(case_id, "appeal", note=GROUNDS)).status_code == 409


async def test_a_rescinded_withdrawal_returns_where_the_case_was(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    await cast.manager.fire(case_id, "suspend", reason_code="other", note="Pending checks")
    await cast.manager.fire(case_id, "withdraw", reason_code="other", note="Checks failed")
    r = await cast.manager.fire(case_id, "rescind_withdrawal", note="Factual error corrected")
    assert r.status_code == 200 and r.json()["state"] == "suspended", r.text
    assert (await _entry(world, cast.manager, case_id))["status"] == "suspended"
    # the rescission resumed the suspension: an upheld appeal undoes the suspension itself
    judge = await world.staff("judge@scheme.example", "scheme_manager",
                              organisation="Scheme", kind="scheme")
    assert (await cast.recruiter.fire(case_id, "appeal", note=GROUNDS)).status_code == 200
    listed = (await judge.get(f"/api/v1/applications/{case_id}/transitions")).json()
    assert next(t for t in listed if t["event"] == "uphold_appeal")["to"] == "accredited"
    r = await judge.fire(case_id, "uphold_appeal", note="No grounds for the suspension")
    assert r.status_code == 200 and r.json()["state"] == "accredited", r.text


async def test_immediate_withdrawal_only_for_immediate_reasons(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    r = await cast.manager.fire(case_id, "withdraw_immediately", reason_code="licence_lost",
                                note="Licence revoked")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason_code", r.text
    r = await cast.manager.fire(case_id, "withdraw", reason_code="trafficking_substantiated",
                                note="x")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason_code", r.text
    r = await cast.manager.fire(case_id, "withdraw_immediately",
                                reason_code="trafficking_substantiated",
                                note="Trafficking substantiated by the police")
    assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text
    assert (await _entry(world, cast.manager, case_id))["status"] == "withdrawn"


async def test_a_rejection_appeal_upheld_returns_to_the_decision_and_one_may_waive(
        world: World, cast: Cast) -> None:
    judge = await world.staff("judge@scheme.example", "scheme_manager",
                              organisation="Scheme", kind="scheme")
    case_id = await walk_to(cast, "decision")
    r = await cast.manager.fire(case_id, "reject", reason_code="major_non_conformity",
                                note="Passports kept")
    assert r.status_code == 200 and r.json()["state"] == "rejected", r.text
    assert (await cast.recruiter.fire(case_id, "appeal", note=GROUNDS)).status_code == 200
    r = await judge.fire(case_id, "uphold_appeal", note="The finding was about another agency")
    assert r.status_code == 200 and r.json()["state"] == "decision", r.text
    assert (await world.client.get("/api/v1/roster")).json()["items"] == []

    r = await cast.manager.fire(case_id, "reject", reason_code="other", note="Still no")
    assert r.status_code == 200, r.text
    r = await cast.recruiter.fire(case_id, "waive_appeal")
    assert r.status_code == 200 and r.json()["state"] == "rejected_final", r.text
    assert (await world.client.get("/api/v1/roster")).json()["items"] == []


async def test_an_appeal_flag_changed_by_hand_is_caught_by_audit_verify(
        world: World, cast: Cast, database_url: str) -> None:
    case_id = await walk_to(cast, "accredited")
    await cast.manager.fire(case_id, "suspend", reason_code="other", note="Checks")
    assert (await cast.recruiter.fire(case_id, "appeal", note=GROUNDS)).status_code == 200
    async with world.services.db.write() as session:
        await session.execute(text("UPDATE roster_entry SET under_appeal = :v"), {"v": False})
    code, output = await asyncio.to_thread(_verify, database_url)
    assert code != 0 and "under_appeal is False, but the case's events make it True" in output, output
