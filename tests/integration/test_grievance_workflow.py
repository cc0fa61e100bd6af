"""Grievances end to end through HTTP: deadlines that escalate, criminal allegations that must be
referred, what an authority sees, the recruiter's accreditation, retention and appeals. Time
moves by the world's ManualClock; every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from httpx import Response
from sqlalchemy import select, update

from iris_engine.cases.audit import verify_chains
from iris_engine.disclosure.models import PersonalDataRead
from iris_engine.store.models import OutboxMessage, Timer
from tests.integration.conftest import (
    Actor,
    Cast,
    Filing,
    GrievanceCast,
    World,
    file_grievance,
    fire_grievance,
    walk_to,
)

CASES = "/api/v1/grievance-cases"
SUPERVISOR_EMAIL = "super@scheme.example"
NO_CONSENT = {"share_identity_with_recruiter": False, "refer_to_authority": False,
              "be_contacted": True}

ACK: tuple[str, dict[str, Any]] = ("acknowledge", {})
INVESTIGATE: tuple[str, dict[str, Any]] = ("start_investigation", {})
SIGNPOST: tuple[str, dict[str, Any]] = (
    "signpost", {"reason_code": "other_mechanism", "note": "The labour court handles wages.",
                 "data": {"signpost_to": "Labour court, Doha"}})


def triage(severity: str = "medium") -> tuple[str, dict[str, Any]]:
    return "triage", {"data": {"severity": severity}}


def findings(substantiated: bool, principles: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    data: dict[str, Any] = {"substantiated": substantiated}
    if principles:
        data["principles"] = principles
    return "record_findings", {"note": "Findings after interviews.", "data": data}


def close(reason: str = "resolved") -> tuple[str, dict[str, Any]]:
    return "close", {"reason_code": reason}


def refer(authority_id: int, **data: Any) -> tuple[str, dict[str, Any]]:
    return "refer", {"data": {"authority_id": authority_id, **data}}


async def walk(actor: Actor, case_id: int, *steps: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    view: dict[str, Any] = {}
    for event, body in steps:
        r = await fire_grievance(actor, case_id, event, **body)
        assert r.status_code == 200, (event, r.text)
        view = r.json()
    return view


def guards_of(r: Response) -> list[str]:
    assert r.status_code == 422, r.text
    return [g["guard"] for g in r.json()["extra"].get("guards", [])]


async def staff_view(actor: Actor, case_id: int) -> dict[str, Any]:
    r = await actor.get(f"{CASES}/{case_id}")
    assert r.status_code == 200, r.text
    return r.json()


async def follow(world: World, filing: Filing) -> dict[str, Any]:
    r = await world.client.get(f"/api/v1/grievances/{filing.reference}", headers=filing.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def complainant_fire(world: World, filing: Filing, event: str, **body: Any) -> Response:
    revision = (await follow(world, filing))["revision"]
    return await world.client.post(f"/api/v1/grievances/{filing.reference}/transitions",
                                   json={"event": event, "expected_revision": revision, **body},
                                   headers=filing.headers)


async def fire_referral(actor: Actor, referral_id: int, event: str, **body: Any) -> Response:
    revision = (await actor.get(f"/api/v1/referrals/{referral_id}")).json()["revision"]
    return await actor.post(f"/api/v1/referrals/{referral_id}/transitions",
                            {"event": event, "expected_revision": revision, **body})


async def mails(world: World, case_id: int, to: str) -> list[OutboxMessage]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(OutboxMessage).where(
            OutboxMessage.case_id == case_id, OutboxMessage.destination == to)
            .order_by(OutboxMessage.id))).all())


async def chains_verify(world: World) -> None:
    async with world.services.db.read() as session:
        cases, events, broken = await verify_chains(session)
    assert broken is None, broken
    assert events > cases > 0


def when(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def referred(world: World, gcast: GrievanceCast, authority_id: int,
                   **overrides: Any) -> tuple[Filing, int]:
    """A grievance acknowledged, triaged and referred; answers it and its referral's id."""
    filing = await file_grievance(world, **overrides)
    view = await walk(gcast.caseworker, filing.case_id, ACK, triage(), refer(authority_id))
    assert view["state"] == "referred"
    return filing, view["referral_case_ids"][-1]


# -- 1, 2: deadlines -----------------------------------------------------------------------
async def test_missed_acknowledgement_escalates_by_severity(
        world: World, gcast: GrievanceCast) -> None:
    high = await file_grievance(world, allegations=["forced_labour"], principles=[])
    medium = await file_grievance(world)
    assert (await staff_view(gcast.supervisor, high.case_id))["severity"] == "high"

    world.clock.advance(timedelta(hours=25))
    await world.tick()

    view = await staff_view(gcast.supervisor, high.case_id)
    assert (view["state"], view["escalations"]) == ("received", 1)
    history = (await gcast.supervisor.get(f"{CASES}/{high.case_id}/history")).json()
    escalations = [e for e in history if e["event"] == "escalate"]
    assert len(escalations) == 1
    assert (escalations[0]["actor_role"], escalations[0]["reason_code"]) == (
        "system", "missed_acknowledgement")
    sent = await mails(world, high.case_id, SUPERVISOR_EMAIL)
    assert [m.topic for m in sent] == ["case.transition"]
    assert "escalate" in sent[0].payload["subject"]
    seen = await follow(world, high)
    assert [u["event"] for u in seen["updates"]].count("escalate") == 1
    assert seen["state"] == "received"

    # medium: 48 hours
    assert (await staff_view(gcast.supervisor, medium.case_id))["escalations"] == 0
    world.clock.advance(timedelta(hours=24))  # 49 hours after filing
    await world.tick()
    assert (await staff_view(gcast.supervisor, medium.case_id))["escalations"] == 1
    assert (await staff_view(gcast.supervisor, high.case_id))["escalations"] == 1  # once only
    await chains_verify(world)


async def test_an_interim_response_moves_the_deadline(world: World, gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)  # medium: acknowledge within 48 hours
    old_due = when((await follow(world, filing))["next_deadline"])
    today = world.clock().date()

    r = await fire_grievance(gcast.caseworker, filing.case_id, "send_interim_response",
                             note="We need more time", data={"new_date": today.isoformat()})
    assert guards_of(r) == ["new_date_in_future"]

    new_date = today + timedelta(days=6)
    await walk(gcast.caseworker, filing.case_id, ("send_interim_response", {
        "note": "Our caseworkers are away; we will answer by then.",
        "data": {"new_date": new_date.isoformat()}}))
    new_due = datetime.combine(new_date, time.max, UTC)
    view = await staff_view(gcast.supervisor, filing.case_id)
    pending = [d for d in view["deadlines"] if d["status"] == "pending"]
    assert [(d["name"], when(d["due_at"])) for d in pending] == [("acknowledge_due", new_due)]
    seen = await follow(world, filing)
    assert when(seen["next_deadline"]) == new_due > old_due
    assert seen["updates"][-1]["data"] == {"new_date": new_date.isoformat()}

    world.clock.advance(timedelta(hours=49))  # the old deadline passed
    report = await world.tick()
    assert report.timers.fired == 0
    view = await staff_view(gcast.supervisor, filing.case_id)
    assert (view["state"], view["escalations"]) == ("received", 0)

    world.clock.set(new_due + timedelta(minutes=1))  # the new one passes: it still escalates
    await world.tick()
    assert (await staff_view(gcast.supervisor, filing.case_id))["escalations"] == 1


# -- 3: criminal allegations ---------------------------------------------------------------
async def test_a_criminal_allegation_cannot_close_unreferred(
        world: World, gcast: GrievanceCast) -> None:
    cw = gcast.caseworker
    unreferred = await file_grievance(world, allegations=["trafficking"])
    await walk(cw, unreferred.case_id, ACK, triage("high"))
    r = await fire_grievance(cw, unreferred.case_id, SIGNPOST[0], **SIGNPOST[1])
    assert guards_of(r) == ["not_a_criminal_allegation"]
    await walk(cw, unreferred.case_id, INVESTIGATE, findings(False))
    r = await fire_grievance(cw, unreferred.case_id, "close", reason_code="resolved")
    assert guards_of(r) == ["criminal_allegation_referred"]
    assert "refer" in r.json()["detail"]
    assert (await staff_view(cw, unreferred.case_id))["state"] == "findings"
    # a crime found during the investigation is referred from findings, which it stays in
    view = await walk(cw, unreferred.case_id, refer(gcast.police_id))
    assert view["state"] == "findings" and len(view["referral_case_ids"]) == 1
    assert (await walk(cw, unreferred.case_id, close()))["state"] == "closed"

    filing = await file_grievance(world, allegations=["trafficking"])
    view = await walk(cw, filing.case_id, ACK, triage("high"), INVESTIGATE, refer(gcast.police_id),
                      findings(False), close())
    assert view["state"] == "closed" and view["criminal"] and len(view["referral_case_ids"]) == 1

    # withdrawn: it is still referred (and stays withdrawn) before it closes
    withdrawn = await file_grievance(world, allegations=["child_labour"])
    r = await complainant_fire(world, withdrawn, "withdraw")
    assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text
    assert guards_of(await fire_grievance(cw, withdrawn.case_id, "close", reason_code="other",
                                          note="Withdrawn")) == ["criminal_allegation_referred"]
    view = await walk(cw, withdrawn.case_id, refer(gcast.police_id))
    assert view["state"] == "withdrawn" and len(view["referral_case_ids"]) == 1
    assert (await walk(cw, withdrawn.case_id, close("other")))["state"] == "closed"


# -- 4, 5: referrals -----------------------------------------------------------------------
async def test_an_authority_sees_only_its_referrals_and_the_data_consented(
        world: World, gcast: GrievanceCast) -> None:
    consented, r_consented = await referred(world, gcast, gcast.glaa_id)
    anonymous = await file_grievance(world, consents=NO_CONSENT)
    await walk(gcast.caseworker, anonymous.case_id, ACK, triage())
    event, body = refer(gcast.glaa_id, include_identity=True)
    r = await fire_grievance(gcast.caseworker, anonymous.case_id, event, **body)
    assert guards_of(r) == ["identity_consented"]
    view = await walk(gcast.caseworker, anonymous.case_id, refer(gcast.glaa_id))
    r_anonymous = view["referral_case_ids"][0]
    _, r_police = await referred(world, gcast, gcast.police_id)

    listed = (await gcast.glaa.get("/api/v1/referrals")).json()
    assert sorted(x["id"] for x in listed) == sorted([r_consented, r_anonymous])
    assert [x["id"] for x in (await gcast.police.get("/api/v1/referrals")).json()] == [r_police]
    assert (await gcast.glaa.get(f"/api/v1/referrals/{r_police}")).status_code in (403, 404)
    assert (await gcast.glaa.get(f"/api/v1/referrals/{r_police}/identity")).status_code in (403, 404)

    r = await gcast.glaa.get(f"/api/v1/referrals/{r_consented}")
    assert r.status_code == 200, r.text
    packet = r.json()["packet"]
    assert packet["narrative"].startswith("I paid 1500 dollars")
    assert not {"name", "email", "phone", "contact", "identity"} & set(packet)
    assert "Sita" not in r.text and "sita.gurung" not in r.text
    assert r.json()["identity_disclosed"] is True
    assert (await gcast.glaa.get(f"/api/v1/referrals/{r_anonymous}")).json()[
        "identity_disclosed"] is False

    for _ in range(2):
        r = await gcast.glaa.get(f"/api/v1/referrals/{r_consented}/identity")
        assert r.status_code == 200, r.text
        assert (r.json()["basis"], r.json()["email"]) == ("consent_refer",
                                                          "sita.gurung@mail.example")
    assert (await gcast.glaa.get(f"/api/v1/referrals/{r_anonymous}/identity")).status_code == 403
    assert (await gcast.caseworker.get(
        f"/api/v1/referrals/{r_consented}/identity")).status_code == 403

    # the grievance's identity: the assigned caseworker only
    purpose = {"purpose": "call back"}
    r = await gcast.caseworker.get(f"{CASES}/{consented.case_id}/identity", params=purpose)
    assert r.status_code == 200 and r.json()["basis"] == "assigned_caseworker", r.text
    assert (await gcast.other_caseworker.get(f"{CASES}/{consented.case_id}/identity",
                                             params=purpose)).status_code == 403
    assert (await gcast.supervisor.get(f"{CASES}/{consented.case_id}/identity",
                                       params=purpose)).status_code == 403

    async with world.services.db.read() as session:
        reads = (await session.scalars(select(PersonalDataRead).where(
            PersonalDataRead.case_id == consented.case_id)
            .order_by(PersonalDataRead.id))).all()
    identity_reads = [(x.reader_role, x.basis, x.reader_user_id) for x in reads
                      if "name" in x.fields]
    assert identity_reads == [("authority", "consent_refer", gcast.glaa.user_id)] * 2 + [
        ("caseworker", "assigned_caseworker", gcast.caseworker.user_id)]
    async with world.services.db.read() as session:  # a refused read records nothing
        anonymous_reads = (await session.scalars(select(PersonalDataRead).where(
            PersonalDataRead.case_id == anonymous.case_id))).all()
    assert not [x for x in anonymous_reads if "name" in x.fields]
    await chains_verify(world)


async def test_a_referral_follows_its_grievance_to_a_new_caseworker_as_an_audited_event(
        world: World, gcast: GrievanceCast) -> None:
    """Assignment belongs to the engine: the grievance's `assign` sets its caseworker and
    records it, and each live referral is moved by its own `reassign` event, caused by it."""
    filing, referral_id = await referred(world, gcast, gcast.glaa_id)
    assert (await gcast.caseworker.get(f"/api/v1/referrals/{referral_id}/history")).json()[0][
        "data"]["assignee_id"] == gcast.caseworker.user_id  # the opening records who holds it

    view = await walk(gcast.supervisor, filing.case_id,
                      ("assign", {"data": {"caseworker_id": gcast.other_caseworker.user_id}}))
    assert view["assignee_id"] == gcast.other_caseworker.user_id

    history = (await gcast.supervisor.get(f"/api/v1/referrals/{referral_id}/history")).json()
    reassign = history[-1]
    assert (reassign["event"], reassign["actor_role"]) == ("reassign", "system")
    assert reassign["data"]["outcome"] == {"assignee_id": gcast.other_caseworker.user_id}
    assert reassign["data"]["cause"]["grievance"]["case_id"] == filing.case_id
    grievance_events = (await gcast.supervisor.get(f"{CASES}/{filing.case_id}/history")).json()
    assert grievance_events[-1]["data"]["outcome"] == {
        "assignee_id": gcast.other_caseworker.user_id, "referrals_reassigned": [referral_id]}
    # the referral is now in the new caseworker's queue, and no longer in the old one's
    assert (await gcast.other_caseworker.get(f"/api/v1/referrals/{referral_id}")).status_code == 200
    assert (await gcast.caseworker.get(f"/api/v1/referrals/{referral_id}")).status_code == 403
    await chains_verify(world)


async def test_referral_lifecycle_and_an_unacknowledged_referral_escalates(
        world: World, gcast: GrievanceCast) -> None:
    _, rid = await referred(world, gcast, gcast.glaa_id)
    steps: list[tuple[Actor, str, dict[str, Any], str]] = [
        (gcast.glaa, "acknowledge", {"data": {"external_reference": "GLAA/2024/0042"}},
         "acknowledged"),
        (gcast.glaa, "request_information", {"note": "Which sub-agent took the fee?"},
         "information_requested"),
        (gcast.caseworker, "provide_information", {"note": "The Kathmandu sub-agent."},
         "acknowledged"),
        (gcast.glaa, "record_outcome", {"note": "Licence revoked.",
                                        "data": {"outcome": "licence_action"}}, "concluded"),
    ]
    for actor, event, body, state in steps:
        r = await fire_referral(actor, rid, event, **body)
        assert r.status_code == 200, (event, r.text)
        assert r.json()["state"] == state
    view = (await gcast.glaa.get(f"/api/v1/referrals/{rid}")).json()
    assert (view["external_reference"], view["outcome"]) == ("GLAA/2024/0042", "licence_action")
    assert view["acknowledged_at"] is not None

    _, late = await referred(world, gcast, gcast.police_id)
    world.clock.advance(timedelta(days=5, minutes=1))
    await world.tick()
    view = (await gcast.supervisor.get(f"/api/v1/referrals/{late}")).json()
    assert view["state"] == "escalated"
    history = (await gcast.supervisor.get(f"/api/v1/referrals/{late}/history")).json()
    assert (history[-1]["event"], history[-1]["actor_role"], history[-1]["reason_code"]) == (
        "escalate", "system", "not_acknowledged")
    assert "case.transition" in [m.topic for m in await mails(world, late, SUPERVISOR_EMAIL)]
    # the authority can still pick it up
    r = await fire_referral(gcast.police, late, "acknowledge")
    assert r.status_code == 200 and r.json()["state"] == "acknowledged", r.text
    await chains_verify(world)


# -- 6: the recruiter's accreditation ------------------------------------------------------
async def test_a_substantiated_finding_opens_a_review_without_moving_the_roster(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    app_id = await walk_to(cast, "accredited")
    app = (await cast.manager.get(f"/api/v1/applications/{app_id}")).json()
    lrn = app["lrn"]
    changes = (await world.client.get("/api/v1/roster/changes", params={"since": 0})).json()
    assert [c["status"] for c in changes["changes"]] == ["accredited"]

    unfounded = await file_grievance(world, recruiter={"lrn": lrn})
    assert (await staff_view(gcast.supervisor, unfounded.case_id))["recruiter_case_id"] == app_id
    await walk(gcast.caseworker, unfounded.case_id, ACK, triage(), INVESTIGATE, findings(False))
    after = (await cast.manager.get(f"/api/v1/applications/{app_id}")).json()
    assert (after["state"], after["revision"]) == ("accredited", app["revision"])

    founded = await file_grievance(world, recruiter={"lrn": lrn})
    view = await walk(gcast.caseworker, founded.case_id, ACK, triage(), INVESTIGATE,
                      findings(True, ["1"]))
    assert (view["state"], view["substantiated"], view["finding_principles"]) == (
        "findings", True, ["1"])
    after = (await cast.manager.get(f"/api/v1/applications/{app_id}")).json()
    assert after["state"] == "under_review"
    last = (await cast.manager.get(f"/api/v1/applications/{app_id}/history")).json()[-1]
    assert (last["event"], last["actor_role"]) == ("substantiated_complaint", "system")
    assert last["data"]["grievance_case_id"] == founded.case_id
    assert last["data"]["principles"] == ["1"]

    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert entry["status"] == "accredited"
    again = (await world.client.get("/api/v1/roster/changes", params={"since": 0})).json()
    assert again["changes"] == changes["changes"]

    r = await cast.manager.fire(app_id, "suspend", reason_code="substantiated_complaint",
                                note="Fees charged to workers (grievance)")
    assert r.status_code == 200, r.text
    assert (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]["status"] == "suspended"
    changes = (await world.client.get("/api/v1/roster/changes", params={"since": 0})).json()
    assert [c["status"] for c in changes["changes"]] == ["accredited", "suspended"]

    r = await cast.manager.get("/api/v1/grievance-stats", params={"lrn": lrn})
    assert r.status_code == 200, r.text
    [stats] = r.json()
    assert (stats["lrn"], stats["grievances"], stats["open"], stats["substantiated"]) == (
        lrn, 2, 2, 1)
    by_principle = {p["principle"]: (p["alleged"], p["substantiated"]) for p in stats["principles"]}
    assert by_principle == {"1": (2, 1), "2": (2, 0)}
    assert "Sita" not in r.text and "@" not in r.text and "+977" not in r.text
    await chains_verify(world)


# -- 7: retention --------------------------------------------------------------------------
async def test_personal_data_is_erased_after_retention_unless_held(
        world: World, gcast: GrievanceCast) -> None:
    cw = gcast.caseworker
    plain = await file_grievance(world)
    r = await world.client.post(f"/api/v1/grievances/{plain.reference}/messages",
                                json={"body": "My passport number is N1234567."},
                                headers=plain.headers)
    assert r.status_code == 201, r.text
    await walk(cw, plain.case_id, ACK, triage(), SIGNPOST, close("other_mechanism"))
    held = await file_grievance(world)
    await walk(cw, held.case_id, ACK, triage(), SIGNPOST, close("other_mechanism"))
    await walk(gcast.supervisor, held.case_id,
               ("place_legal_hold", {"note": "Court proceedings in Doha"}))
    assert (await staff_view(cw, held.case_id))["legal_hold"] is True

    world.clock.advance(timedelta(days=world.settings.grievance_retention_days + 1))
    await world.tick()

    view = await staff_view(cw, plain.case_id)
    assert view["purged_at"] is not None and view["narrative_on_file"] is False
    r = await cw.get(f"{CASES}/{plain.case_id}/narrative", params={"purpose": "review"})
    assert r.status_code == 404, r.text
    r = await cw.get(f"{CASES}/{plain.case_id}/identity", params={"purpose": "call back"})
    assert r.status_code == 404, r.text
    messages = (await cw.get(f"{CASES}/{plain.case_id}/messages")).json()
    assert len(messages) == 1 and messages[0]["body"] is None
    seen = await follow(world, plain)
    assert seen["state"] == "closed" and [m["body"] for m in seen["messages"]] == [None]

    view = await staff_view(cw, held.case_id)
    assert view["purged_at"] is None and view["narrative_on_file"] is True
    r = await cw.get(f"{CASES}/{held.case_id}/narrative", params={"purpose": "court"})
    assert r.status_code == 200 and "kept my passport" in r.json()["narrative"], r.text
    async with world.services.db.read() as session:
        timer = (await session.scalars(select(Timer).where(
            Timer.case_id == held.case_id, Timer.name == "retention_end"))).one()
    assert timer.status == "discarded" and "legal hold" in (timer.outcome or "")
    r = await cw.get(f"{CASES}/{held.case_id}/identity", params={"purpose": "court"})
    assert r.status_code == 200, r.text

    view = await walk(gcast.supervisor, held.case_id,
                      ("release_legal_hold", {"note": "Proceedings ended"}))
    assert view["legal_hold"] is False and view["purged_at"] is not None
    r = await cw.get(f"{CASES}/{held.case_id}/identity", params={"purpose": "court"})
    assert r.status_code == 404, r.text
    history = (await cw.get(f"{CASES}/{held.case_id}/history")).json()
    assert history[-1]["data"]["outcome"]["purged"]["identity"] is True
    await chains_verify(world)


# -- 8: appeals ----------------------------------------------------------------------------
async def test_appeals_go_up_one_tier_at_a_time(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    await walk(gcast.caseworker, filing.case_id, ACK, triage(), SIGNPOST, close("other_mechanism"))
    uphold = {"reason_code": "resolved", "note": "The signposting was right."}

    r = await complainant_fire(world, filing, "appeal", note="Nobody listened to me.")
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["tier"]) == ("appealed", 2)
    r = await fire_grievance(gcast.caseworker, filing.case_id, "uphold", **uphold)
    assert r.status_code == 403, r.text
    r = await fire_grievance(cast.manager, filing.case_id, "uphold", **uphold)
    assert r.status_code == 403, r.text  # tier 2 is out of the scheme manager's reach
    assert (await walk(gcast.supervisor, filing.case_id, ("uphold", uphold)))["state"] == "closed"

    r = await complainant_fire(world, filing, "appeal", note="I still disagree.")
    assert (r.json()["state"], r.json()["tier"]) == ("appealed", 3), r.text
    r = await fire_grievance(gcast.supervisor, filing.case_id, "uphold", **uphold)
    assert guards_of(r) == ["reviewer_of_this_tier"]
    view = await walk(cast.manager, filing.case_id, ("uphold", uphold))
    assert (view["state"], view["tier"]) == ("closed", 3)

    r = await complainant_fire(world, filing, "appeal", note="Once more.")
    assert guards_of(r) == ["next_tier_exists"]
    assert "appeal" not in (await follow(world, filing))["may"]

    late = await file_grievance(world)
    await walk(gcast.caseworker, late.case_id, ACK, triage(), SIGNPOST, close("other_mechanism"))
    world.clock.advance(timedelta(days=31))
    r = await complainant_fire(world, late, "appeal", note="Too late?")
    assert guards_of(r) == ["appeal_window_open"]
    assert (await follow(world, late))["state"] == "closed"


# -- 9: roles ------------------------------------------------------------------------------
async def test_roles_outside_grievances_are_refused(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    for actor in (cast.recruiter, cast.auditor):
        assert (await actor.get(CASES)).status_code == 403
        assert (await actor.get("/api/v1/referrals")).status_code == 403
        assert (await actor.get(f"{CASES}/{filing.case_id}")).status_code == 403
    assert (await gcast.glaa.get(f"{CASES}/{filing.case_id}")).status_code == 403
    assert (await gcast.glaa.get(f"{CASES}/{filing.case_id}/history")).status_code == 403
    r = await fire_grievance(gcast.glaa, filing.case_id, "acknowledge")
    assert r.status_code == 403
    assert (await staff_view(gcast.supervisor, filing.case_id))["state"] == "received"


# -- a webhook authority ---------------------------------------------------------------------
async def test_a_webhook_authority_gets_a_signed_notice_without_case_content(
        world: World, gcast: GrievanceCast) -> None:
    """The notice is signed with the secret shown once at creation (sealed at rest in between)
    and carries no name, contact or narrative: the authority fetches the packet itself."""
    from tests.integration.test_outbox import WebhookReceiver

    async with WebhookReceiver(world.clock, fail_first=0) as receiver:
        r = await gcast.admin.post("/api/v1/authorities", {
            "name": "Labour Inspectorate (webhook)", "countries": ["QA"],
            "remits": ["labour_exploitation"], "channel": "webhook", "webhook_url": receiver.url})
        assert r.status_code == 201, r.text
        authority = r.json()
        receiver.secret = authority["webhook_secret"]
        assert receiver.secret and authority["channel"] == "webhook"
        listed = (await gcast.admin.get("/api/v1/authorities")).json()
        assert all(a["webhook_secret"] is None for a in listed)  # shown once

        filing = await file_grievance(world)
        view = await walk(gcast.caseworker, filing.case_id, ACK, triage(), INVESTIGATE,
                          refer(authority["id"]))
        [referral_id] = view["referral_case_ids"]
        await world.tick()

        [notice] = receiver.requests
        assert notice.signature_valid and notice.status == 200
        assert notice.headers["iris-topic"] == "referral.created"
        payload = notice.payload
        assert payload["referral_id"] == referral_id and payload["remit"] == "labour_exploitation"
        body = notice.body.decode()
        for secret in ("Sita", "sita.gurung", "9812345678", "passport"):
            assert secret not in body, secret
        r = await gcast.supervisor.get(f"/api/v1/referrals/{referral_id}")
        assert r.json()["delivered_at"] is not None  # the receipt: the receiver's 2xx


async def test_an_interim_response_makes_an_overdue_deadline_pending_again(
        world: World, gcast: GrievanceCast) -> None:
    """A deadline told and not met (``overdue``: a notice-only deadline once the ticker told
    it; set here directly, no grievance deadline being notice-only in a postponable state) is
    moved by a new date like a pending one, and pending again: told again then."""
    filing = await file_grievance(world)
    async with world.services.db.write() as session:
        await session.execute(update(Timer).where(
            Timer.case_id == filing.case_id, Timer.name == "acknowledge_due",
            Timer.kind == "deadline").values(status="overdue", outcome="deadline notice sent"))
    new_date = world.clock().date() + timedelta(days=6)
    await walk(gcast.caseworker, filing.case_id, ("send_interim_response", {
        "note": "We will answer by then.", "data": {"new_date": new_date.isoformat()}}))
    async with world.services.db.read() as session:
        [deadline] = (await session.scalars(select(Timer).where(
            Timer.case_id == filing.case_id, Timer.name == "acknowledge_due",
            Timer.kind == "deadline"))).all()
    assert (deadline.status, deadline.outcome, deadline.finished_at) == ("pending", None, None)
    assert when(deadline.due_at.isoformat()) == datetime.combine(new_date, time.max, UTC)
