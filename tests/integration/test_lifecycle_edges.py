"""Edges of the accreditation cycle found in review, through HTTP on both databases: the
suspension limit is the system's alone and neither a notice nor a rescission restarts it, the
certificate ends whatever review runs, licences are watched during a renewal, a suspended
recruiter cannot leave before the decision, information may be asked for at submission, and
the recruiter's answer is sealed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from iris_engine.store.models import CaseEvent, OutboxMessage
from tests.integration.conftest import (
    Cast,
    World,
    case_state,
    licence,
    licensed_for_years,
    pending_deadlines,
    walk_to,
)

#: licences valid from long before the story, so only their end matters
SINCE = date(2020, 1, 1)

async def _ok(actor: Any, case_id: int, event: str, **body: Any) -> dict[str, Any]:
    r = await actor.fire(case_id, event, **body)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def test_only_the_system_withdraws_at_the_suspension_limit(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    # a manager cannot skip the representation period by naming the limit
    r = await cast.manager.fire(case_id, "withdraw_immediately", reason_code="suspension_limit",
                                note="The limit")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason_code", r.text
    await _ok(cast.manager, case_id, "suspend", reason_code="audit_refused", note="Refused")
    r = await cast.manager.fire(case_id, "withdraw_at_suspension_limit",
                                reason_code="suspension_limit", note="The limit")
    assert r.status_code == 403, r.text


async def test_a_rescinded_withdrawal_does_not_restart_the_six_months(world: World,
                                                                      cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    await licensed_for_years(cast.recruiter, case_id)
    await _ok(cast.manager, case_id, "suspend", reason_code="audit_refused", note="Refused")
    [limit] = await pending_deadlines(world, case_id, "suspension_limit")
    world.clock.advance(days=100)
    await _ok(cast.manager, case_id, "withdraw", reason_code="audit_refused", note="Still refused")
    await _ok(cast.manager, case_id, "rescind_withdrawal", note="The audit is now booked")
    assert await case_state(cast, case_id) == "suspended"
    [still] = await pending_deadlines(world, case_id, "suspension_limit")
    assert (still.id, still.due_at) == (limit.id, limit.due_at)

    world.clock.set(limit.due_at + timedelta(minutes=1))
    await world.tick()
    assert await case_state(cast, case_id) == "withdrawn"


async def test_the_certificate_ends_during_a_licence_review(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    until = date.fromisoformat(
        (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["valid_until"])
    # the licence ends ten days before the certificate: the review is still open when it ends
    await _ok(cast.recruiter, case_id, "update_licences",
              data={"licences": [licence(until - timedelta(days=10), valid_from=SINCE)]})
    world.clock.set(datetime.combine(until - timedelta(days=5), time(), tzinfo=world.clock().tzinfo))
    await world.tick()
    assert await case_state(cast, case_id) == "licence_review"
    world.clock.set(datetime.combine(until + timedelta(days=1), time(1),
                                     tzinfo=world.clock().tzinfo))
    await world.tick()
    assert await case_state(cast, case_id) == "expired"


async def test_licences_are_watched_during_a_renewal(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    until = date.fromisoformat(
        (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["valid_until"])
    world.clock.set(datetime.combine(until - timedelta(days=200), time(),
                                     tzinfo=world.clock().tzinfo))
    await _ok(cast.recruiter, case_id, "update_licences",
              data={"licences": [licence(world.clock().date() + timedelta(days=30),
                                         valid_from=SINCE)]})
    await _ok(cast.recruiter, case_id, "apply_for_renewal")
    assert await pending_deadlines(world, case_id, "licence_expiry")  # still watched in the renewal
    world.clock.advance(days=32)
    await world.tick()
    assert await case_state(cast, case_id) == "licence_review"
    answer = await _ok(cast.recruiter, case_id, "update_licences",
                       data={"licences": [licence(world.clock().date() + timedelta(days=900),
                                                valid_from=SINCE)]})
    assert answer["state"] == "recertification"  # back where the renewal was


async def test_a_suspended_recruiter_cannot_leave_before_the_decision(world: World,
                                                                     cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    await _ok(cast.manager, case_id, "suspend", reason_code="audit_refused", note="Refused")
    r = await cast.recruiter.fire(case_id, "withdraw_voluntarily", reason_code="voluntary")
    assert r.status_code == 409, r.text


async def test_information_asked_at_submission_returns_there_and_the_answer_is_sealed(
        world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    respond_by = (world.clock().date() + timedelta(days=20)).isoformat()
    await _ok(cast.manager, case_id, "request_information", note="Send the fee receipt",
              data={"respond_by": respond_by})
    answer_text = "Receipt attached; our clerk Sita Gurung can confirm"
    answer = await _ok(cast.recruiter, case_id, "answer_information_request", note=answer_text)
    assert answer["state"] == "submitted"
    async with world.services.db.read() as session:
        notes = (await session.scalars(select(CaseEvent.note).where(
            CaseEvent.case_id == case_id))).all()
        outgoing = (await session.scalars(select(OutboxMessage))).all()
    assert answer_text not in notes  # sealed at rest, like representations and appeals
    assert outgoing and not [m for m in outgoing if "Sita Gurung" in str(m.payload)]


async def test_a_licence_valid_to_the_last_possible_day_is_accepted_and_not_watched(
        world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    answer = await _ok(cast.recruiter, case_id, "update_licences",
                       data={"licences": [
                           licence(date(2099, 1, 1), valid_from=SINCE),
                           # renewed before the first ends, to the last day a date can hold
                           licence(date.max, "DOFE-8", valid_from=date(2098, 6, 1)),
                           licence(date(2025, 1, 1), "DOFE-3", valid_from=SINCE)]})
    assert answer["state"] == "accredited"
    assert not await pending_deadlines(world, case_id, "licence_expiry")
