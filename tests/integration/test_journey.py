"""The whole journey: registration, application, audit with findings, corrective action,
decision, the public roster, then suspension, reinstatement and withdrawal."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import func, select
from sqlmodel import col

from iris_engine.cases.audit import verify_chains
from iris_engine.store.models import Case, CaseEvent
from tests.integration.conftest import SCOPE, Cast, World, state_scope, valid_self_assessment


async def test_registration_to_roster_and_back(world: World, cast: Cast) -> None:
    recruiter, manager, auditor = cast.recruiter, cast.manager, cast.auditor
    r = await recruiter.post("/api/v1/applications", {})
    assert r.status_code == 201, r.text
    app = r.json()
    case_id = app["id"]
    assert (app["state"], app["revision"], app["lrn"]) == ("draft", 1, None)

    r = await recruiter.fire(case_id, "update_self_assessment",
                             data={"self_assessment": valid_self_assessment(("NP", "QA", "AE"))})
    assert r.status_code == 200, r.text
    events = [t["event"] for t in (await recruiter.get(
        f"/api/v1/applications/{case_id}/transitions")).json()]
    assert events == ["update_self_assessment", "submit", "update_scope"]
    # submit needs the scope: the refusal says what to send
    r = await recruiter.fire(case_id, "submit")
    assert r.status_code == 422
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["scope_stated"]
    assert '"event": "update_scope"' in r.json()["detail"]
    scope = {"corridors": [{"origin": "NP", "destination": "QA"},
                           {"origin": "NP", "destination": "AE"}], "sectors": ["construction"]}
    await state_scope(recruiter, case_id, scope)
    assert (await recruiter.fire(case_id, "submit")).json()["state"] == "submitted"

    # an applicant is never on the roster
    assert (await world.client.get("/api/v1/roster")).json()["items"] == []

    assert (await manager.fire(case_id, "accept_application")).status_code == 200
    r = await manager.fire(case_id, "plan_audit", data={"auditor_id": auditor.user_id,
                                                        "planned_on": date.today().isoformat()})
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == auditor.user_id
    r = await auditor.fire(case_id, "complete_audit", data={"non_conformities": [
        {"severity": "major", "principle": "2", "criterion": "2.1",
         "description": "Passports kept in the office safe without written requests"},
        {"severity": "minor", "principle": "1", "criterion": "1.3",
         "description": "Job adverts do not state 'no fees'"},
    ]})
    assert r.status_code == 200, r.text
    ncs = r.json()["non_conformities"]
    assert {n["severity"] for n in ncs} == {"major", "minor"}

    # findings are open: no referral for a decision yet
    r = await auditor.fire(case_id, "refer_for_decision")
    assert r.status_code == 422
    assert r.json()["extra"]["guards"][0]["guard"] == "no_open_non_conformity"

    assert (await auditor.fire(case_id, "request_corrective_action")).status_code == 200
    plans = [{"non_conformity_id": n["id"], "action": "Fixed", "evidence_ref": "cap.pdf"}
             for n in ncs]
    r = await recruiter.fire(case_id, "submit_corrective_action", data={"plans": plans[:1]})
    assert r.status_code == 422, "a plan must cover every open finding"
    r = await recruiter.fire(case_id, "submit_corrective_action", data={"plans": plans})
    assert r.status_code == 200, r.text
    r = await auditor.fire(case_id, "refuse_corrective_action",
                           reason_code="corrective_action_inadequate", note="No evidence")
    assert r.status_code == 200 and r.json()["state"] == "corrective_action"
    assert {n["status"] for n in r.json()["non_conformities"]} == {"open"}
    assert (await recruiter.fire(case_id, "submit_corrective_action",
                                 data={"plans": plans})).status_code == 200
    r = await auditor.fire(case_id, "accept_corrective_action")
    assert {n["status"] for n in r.json()["non_conformities"]} == {"closed"}
    assert (await auditor.fire(case_id, "refer_for_decision")).status_code == 200

    r = await manager.fire(case_id, "accredit")
    assert r.status_code == 200, r.text
    accredited = r.json()
    lrn = accredited["lrn"]
    assert lrn.startswith("LRN") and lrn[3:].isdigit()
    assert accredited["valid_until"] == date.today().replace(year=date.today().year + 3).isoformat() \
        or date.today().month == 2

    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert entry["status"] == "accredited" and entry["current"] is True
    assert entry["countries_of_operation"] == ["AE", "NP", "QA"]
    assert entry["name"] == "Everest Fair Recruitment"

    r = await manager.fire(case_id, "suspend", reason_code="substantiated_complaint",
                           note="Passport retention confirmed")
    assert r.status_code == 200
    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert (entry["status"], entry["current"]) == ("suspended", False)

    assert (await manager.fire(case_id, "reinstate", note="Passports returned")).status_code == 200
    assert (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]["status"] == "accredited"

    r = await recruiter.fire(case_id, "withdraw_voluntarily", reason_code="voluntary")
    assert r.status_code == 200, r.text
    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert entry["status"] == "withdrawn"

    history = (await recruiter.get(f"/api/v1/applications/{case_id}/history")).json()
    assert [h["seq"] for h in history] == list(range(1, len(history) + 1))
    assert history[0]["event"] == "open" and history[-1]["event"] == "withdraw_voluntarily"
    assert history[-1]["reason_code"] == "voluntary"
    accredit = next(h for h in history if h["event"] == "accredit")
    assert accredit["data"]["outcome"]["lrn"] == lrn
    assert all(h["prev_hash"] == p["hash"] for p, h in itertools.pairwise(history))

    async with world.services.db.read() as session:
        _cases, events, broken = await verify_chains(session)
        # and the training that certified one of its staff (a session, an enrolment)
        training = await session.scalar(select(func.count()).select_from(CaseEvent).join(
            Case, col(Case.id) == col(CaseEvent.case_id)).where(
            col(Case.workflow) != "accreditation"))
    assert broken is None and training and events == len(history) + training


async def test_rejected_application_never_reaches_the_roster(world: World, cast: Cast) -> None:
    r = await cast.recruiter.post("/api/v1/applications",
                                  {"self_assessment": valid_self_assessment()})
    case_id = r.json()["id"]
    await state_scope(cast.recruiter, case_id, SCOPE)
    assert (await cast.recruiter.fire(case_id, "submit")).status_code == 200
    r = await cast.manager.fire(case_id, "reject_application", reason_code="not_eligible",
                                note="Not a labour recruiter")
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert (await world.client.get("/api/v1/roster")).json()["items"] == []
    r = await cast.recruiter.fire(case_id, "submit")
    assert r.status_code == 409  # a rejected application is not resubmitted: appealed, or anew
