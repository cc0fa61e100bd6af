"""Every way a transition is refused, and that a refusal changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.integration.conftest import (
    Cast,
    World,
    newcomer,
    state_scope,
    valid_self_assessment,
    walk_to,
)


async def _snapshot(actor, case_id):  # type: ignore[no-untyped-def]
    app = (await actor.get(f"/api/v1/applications/{case_id}")).json()
    history = (await actor.get(f"/api/v1/applications/{case_id}/history")).json()
    return app["state"], app["revision"], len(history)


async def test_wrong_state_is_409_and_changes_nothing(cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    before = await _snapshot(cast.manager, case_id)
    r = await cast.manager.fire(case_id, "accredit")
    assert r.status_code == 409
    body = r.json()
    assert body["type"].endswith("/event-not-allowed")
    assert body["extra"]["state"] == "submitted"
    assert await _snapshot(cast.manager, case_id) == before


async def test_stale_revision_is_409(cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    state, revision, n = await _snapshot(cast.manager, case_id)
    r = await cast.manager.fire(case_id, "accept_application", revision=revision - 1)
    assert r.status_code == 409 and r.json()["type"].endswith("/stale-revision")
    assert r.json()["extra"]["current_revision"] == revision
    assert await _snapshot(cast.manager, case_id) == (state, revision, n)


async def test_wrong_role_is_403(cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    before = await _snapshot(cast.manager, case_id)
    r = await cast.recruiter.fire(case_id, "accept_application")
    assert r.status_code == 403
    assert "scheme_manager" in r.json()["detail"]
    assert await _snapshot(cast.manager, case_id) == before


async def test_other_organisation_and_unassigned_auditor_are_403(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "audit_planned")
    rival = await world.recruiter("Rival Agency")
    for path in ("", "/history", "/transitions"):
        assert (await rival.get(f"/api/v1/applications/{case_id}{path}")).status_code == 403
    assert (await rival.fire(case_id, "submit", revision=1)).status_code == 403
    assert (await rival.get("/api/v1/applications")).json() == []
    other_auditor = await world.staff("other.auditor@audit.example", "auditor")
    r = await other_auditor.fire(case_id, "complete_audit", revision=5,
                                 data={"non_conformities": []})
    assert r.status_code == 403
    assert (await other_auditor.get("/api/v1/applications")).json() == []
    assigned = (await cast.auditor.get("/api/v1/applications")).json()
    assert [a["id"] for a in assigned] == [case_id]


async def test_invalid_documents_are_422_with_pointers(cast: Cast) -> None:
    doc = valid_self_assessment()
    doc["principles"]["1"]["fees_charged_to_workers"] = True
    del doc["principles"]["A"]["licences"][0]["issuer"]
    r = await cast.recruiter.post("/api/v1/applications", {"self_assessment": doc})
    case_id = r.json()["id"]
    await state_scope(cast.recruiter, case_id)
    before = await _snapshot(cast.recruiter, case_id)
    r = await cast.recruiter.fire(case_id, "submit")
    assert r.status_code == 422
    body = r.json()
    assert body["extra"]["guards"][0]["guard"] == "documents_valid"
    found = {(e["principle"], e["pointer"]) for e in body["errors"]}
    assert found == {("1", "/self_assessment/principles/1/fees_charged_to_workers"),
                     ("A", "/self_assessment/principles/A/licences/0")}
    assert all(e["message"] for e in body["errors"])
    assert await _snapshot(cast.recruiter, case_id) == before


async def test_expired_licence_fails_the_named_guard(cast: Cast) -> None:
    doc = valid_self_assessment()
    doc["principles"]["A"]["licences"][0]["valid_until"] = (
        date.today() - timedelta(days=1)).isoformat()
    case_id = (await cast.recruiter.post("/api/v1/applications",
                                         {"self_assessment": doc})).json()["id"]
    await state_scope(cast.recruiter, case_id)
    r = await cast.recruiter.fire(case_id, "submit")
    assert r.status_code == 422
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["licence_valid_today"]


async def test_decision_maker_who_audited_is_refused(world: World, cast: Cast) -> None:
    both = await world.staff("both@audit.example", "auditor", "scheme_manager",
                             organisation="Scheme", kind="scheme")
    case_id = await walk_to(cast, "audit_planned")
    r = await cast.manager.fire(case_id, "plan_audit", revision=None, data={})
    assert r.status_code == 409  # already planned
    # re-plan on a fresh case (another organisation's) with the dual-role user as auditor
    case_id = await walk_to(await newcomer(world, cast, 0), "accepted")
    r = await cast.manager.fire(case_id, "plan_audit", data={
        "auditor_id": both.user_id, "planned_on": date.today().isoformat()})
    assert r.status_code == 200
    assert (await both.fire(case_id, "complete_audit",
                            data={"non_conformities": []})).status_code == 200
    assert (await both.fire(case_id, "refer_for_decision")).status_code == 200
    r = await both.fire(case_id, "accredit")
    assert r.status_code == 422
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["decision_maker_did_not_audit"]
    assert (await cast.manager.fire(case_id, "accredit")).status_code == 200


async def test_open_major_non_conformity_blocks_accreditation_path(cast: Cast) -> None:
    case_id = await walk_to(cast, "audit_planned")
    r = await cast.auditor.fire(case_id, "complete_audit", data={"non_conformities": [
        {"severity": "major", "principle": "1", "criterion": "1.1", "description": "Fees"}]})
    assert r.status_code == 200
    r = await cast.auditor.fire(case_id, "refer_for_decision")
    assert r.status_code == 422


@pytest.mark.parametrize(("body", "pointer"), [
    ({}, "/reason_code"),
    ({"reason_code": "not_a_code", "note": "x"}, "/reason_code"),
    ({"reason_code": "suspension_limit", "note": "x"}, "/reason_code"),  # withdraw only
    ({"reason_code": "other"}, "/note"),
    ({"reason_code": "other", "note": "   "}, "/note"),
])
async def test_adverse_decision_needs_reason_code_and_note(cast: Cast, body: dict[str, str],
                                                           pointer: str) -> None:
    case_id = await walk_to(cast, "accredited")
    r = await cast.manager.fire(case_id, "suspend", **body)
    assert r.status_code == 422
    assert pointer in [e["pointer"] for e in r.json()["errors"]]


async def test_event_data_is_validated(cast: Cast) -> None:
    case_id = await walk_to(cast, "accepted")
    r = await cast.manager.fire(case_id, "plan_audit", data={"auditor_id": "seven",
                                                              "planned_on": "next week"})
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {"/data/auditor_id", "/data/planned_on"}
    r = await cast.manager.fire(case_id, "plan_audit", data={
        "auditor_id": cast.recruiter.user_id, "planned_on": date.today().isoformat()})
    assert r.status_code == 422
    assert r.json()["extra"]["guards"][0]["guard"] == "auditor_eligible"


async def test_unknown_event_and_unknown_case(cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    r = await cast.manager.fire(case_id, "teleport")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/event"
    r = await cast.manager.fire(999_999, "accredit", revision=1)
    assert r.status_code == 404


async def test_no_token_or_bad_token_is_401(world: World, cast: Cast) -> None:
    assert (await world.client.get("/api/v1/applications")).status_code == 401
    r = await world.client.get("/api/v1/applications",
                               headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await world.client.post("/api/v1/auth/token",
                                json={"email": "manager@scheme.example", "password": "wrong"})
    assert r.status_code == 401


async def test_malformed_bodies_are_problems(world: World, cast: Cast) -> None:
    r = await world.client.post("/api/v1/applications", content=b"{not json",
                                headers={**cast.recruiter.headers,
                                         "content-type": "application/json"})
    assert r.status_code in (400, 422)
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await cast.recruiter.post("/api/v1/applications", {"self_assessment": "text"})
    assert r.status_code in (400, 422)
    r = await cast.recruiter.post("/api/v1/applications/1/transitions", {"event": "submit"})
    assert r.status_code in (400, 422)
    assert any("expected_revision" in (e["pointer"] + e["message"]) for e in r.json()["errors"])


async def test_registration_rejects_bad_input(world: World) -> None:
    """(A taken address is not refused: see test_accounts, registration tells nothing.)"""
    r = await world.client.post("/api/v1/recruiters", json={
        "organisation": {"name": "", "country": "nepal"},
        "user": {"email": "nobody", "name": "x", "password": "short"}})
    assert r.status_code == 422
    # every problem at once, from the body's published schema
    assert {e["pointer"] for e in r.json()["errors"]} == {
        "/organisation/name", "/organisation/country", "/user/email", "/user/password"}
