"""A grievance's complainant, a survivor of trafficking or forced labour who chooses to go home
and consents, is referred for return assistance from the grievance (issue #13, item 2): a
return enquiry opens in the same transaction, linked both ways, the read of the complainant's
identity recorded on the grievance, the consent to the referral kept with its witness sealed.
Grievance workflow version 2 brings the event; a case opened on version 1 moves on with
``iris workflows upgrade grievance --to 2``. SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from iris_engine.cases.audit import verify_chains
from iris_engine.disclosure.models import PersonalDataRead
from iris_engine.returns.models import ReturnCase, ReturnConsent
from iris_engine.returns.sealing import sealed_place
from iris_engine.store.models import Case, CaseEvent
from tests.conftest import REPO
from tests.integration.conftest import (
    Filing,
    GrievanceCast,
    World,
    assert_problem,
    file_grievance,
    fire_grievance,
)
from tests.integration.test_grievance_workflow import ACK, INVESTIGATE, findings, triage, walk
from tests.integration.test_return_intake import login, served_with
from tests.integration.test_workflow_upgrade_cli import iris
from tests.returns_support import PATH, consent, fire_return, return_cast

CASES = "/api/v1/grievance-cases"
COMPLAINANT = "Sita Gurung"
WITNESS = "Elena Marin, interpreter (Hope for Justice)"


def return_consent(**overrides: Any) -> dict[str, Any]:
    """The survivor's consent to the referral, as the caseworker recorded it."""
    data: dict[str, Any] = {"text_version": "RR-2026.1", "language": "ro",
                            "interpreter_used": True, "witness": WITNESS}
    data.update(overrides)
    return data


async def survivor_grievance(world: World, gcast: GrievanceCast, **overrides: Any) -> Filing:
    """A Romanian worker trafficked to the UK, who left their contact: acknowledged and
    triaged."""
    filing = await file_grievance(world, **{
        "corridor": {"origin": "RO", "destination": "GB"}, "language": "ro",
        "allegations": ["trafficking", "document_retention"], **overrides})
    await walk(gcast.caseworker, filing.case_id, ACK, triage("high"))
    return filing


async def refer_for_return(actor: Any, case_id: int, **data: Any) -> Any:
    return await fire_grievance(actor, case_id, "refer_for_return", data=return_consent(**data))


async def count(world: World, model: Any, *where: Any) -> int:
    async with world.services.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


def guards_of(r: Any) -> list[str]:
    assert r.status_code == 422, r.text
    assert_problem(r)
    return [g["guard"] for g in r.json()["extra"].get("guards", [])]


async def test_a_survivor_is_referred_for_return_linked_both_ways(
        world: World, gcast: GrievanceCast) -> None:
    rc = await return_cast(world)
    filing = await survivor_grievance(world, gcast)
    r = await refer_for_return(gcast.caseworker, filing.case_id)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["state"] == "triaged"  # the grievance goes on as it was
    (return_id,) = view["return_case_ids"]

    # the return side: an enquiry for the return officer, naming its source
    enquiry = (await rc.officer.get(f"{PATH}/{return_id}")).json()
    assert (enquiry["state"], enquiry["source_case_id"], enquiry["nationality"],
            enquiry["return_country"], enquiry["language"], enquiry["referrer_organisation_id"]
            ) == ("enquiry", filing.case_id, "RO", "RO", "ro", None)
    assert COMPLAINANT not in str(enquiry)
    history = (await gcast.supervisor.get(f"{CASES}/{filing.case_id}/history")).json()
    event = next(e for e in history if e["event"] == "refer_for_return")
    assert event["data"]["outcome"]["return_case_id"] == return_id
    assert event["data"]["witness"] == WITNESS  # opened for those who read the history

    async with world.services.db.read() as session:
        row = await session.get(ReturnCase, return_id)
        consents = list((await session.scalars(select(ReturnConsent).where(
            col(ReturnConsent.case_id) == return_id))).all())
        reads = list((await session.scalars(select(PersonalDataRead).where(
            col(PersonalDataRead.case_id) == filing.case_id))).all())
        events = list((await session.scalars(select(CaseEvent).where(col(CaseEvent.case_id).in_(
            (filing.case_id, return_id))))).all())
    assert row is not None and row.identity_sealed is not None
    vault = world.services.vault
    identity = vault.open(row.identity_sealed, place=sealed_place(return_id, "identity"))
    assert identity == {"name": COMPLAINANT, "email": "sita.gurung@mail.example",
                        "phone": "+977 9812345678"}
    # the read of the complainant's identity, on the grievance, by the caseworker, for this;
    # then the supervisor's read of the history, which opened the witness
    assert [(r.reader_user_id, r.reader_role, r.purpose, r.basis) for r in reads] == [
        (gcast.caseworker.user_id, "caseworker", "return referral", "survivor_consent"),
        (gcast.supervisor.user_id, "supervisor", "case history", "all")]
    assert reads[0].fields == ["name", "email", "phone", "other"]
    # the consent to the referral, kept apart from the consent to return assistance
    (given,) = consents
    assert (given.purpose, given.text_version, given.language, given.interpreter_used,
            given.withdrawn_at) == ("referral", "RR-2026.1", "ro", True, None)
    assert given.witness_sealed is not None and WITNESS not in given.witness_sealed
    assert vault.open(given.witness_sealed,
                      place=sealed_place(return_id, f"witness:{given.id}")) == WITNESS
    # nothing that identifies anyone in the clear data of either case's events
    for e in events:
        assert WITNESS not in str(e.data) and COMPLAINANT not in str(e.data)
    opening = next(e for e in events if e.case_id == return_id and e.event == "open")
    assert opening.data["source_case_id"] == filing.case_id
    assert opening.data["referral_consent"] == {"text_version": "RR-2026.1", "language": "ro",
                                                "interpreter_used": True, "witnessed": True}
    referred = next(e for e in events if e.event == "refer_for_return")
    assert referred.data["sealed"] == ["witness"] and "witness" not in referred.data

    # the return officer takes it from there: informed consent to return assistance first
    r = await fire_return(rc.officer, return_id, "record_consent", data=consent())
    assert r.status_code == 200 and r.json()["state"] == "consented", r.text
    async with world.services.db.read() as session:
        _, _, broken = await verify_chains(session)
    assert broken is None, broken


async def test_the_referral_stays_and_the_overrides_apply_from_later_stages(
        world: World, gcast: GrievanceCast) -> None:
    """From findings, by a supervisor: a Bulgarian national (not the corridor's origin), a
    child, in danger, no interpreter, no witness."""
    filing = await survivor_grievance(world, gcast, corridor={"origin": "NP", "destination": "GB"})
    await walk(gcast.caseworker, filing.case_id, INVESTIGATE, findings(True, ["1"]))
    data = return_consent(nationality="BG", age_group="child", in_danger=True,
                          interpreter_used=False, language="bg")
    del data["witness"]
    r = await fire_grievance(gcast.supervisor, filing.case_id, "refer_for_return", data=data)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "findings"
    (return_id,) = r.json()["return_case_ids"]
    async with world.services.db.read() as session:
        row = await session.get(ReturnCase, return_id)
        given = (await session.scalars(select(ReturnConsent).where(
            col(ReturnConsent.case_id) == return_id))).one()
    assert row is not None
    assert (row.nationality, row.language, row.age_group, row.in_danger) == (
        "BG", "bg", "child", True)
    assert (given.interpreter_used, given.witness_sealed) == (False, None)

    # once referred, not again while the return stands
    r = await refer_for_return(gcast.caseworker, filing.case_id, nationality="BG")
    assert guards_of(r) == ["return_referral_allowed"]
    assert f"return case {return_id}" in r.json()["detail"]


async def test_an_ineligible_nationality_refuses_the_transition_storing_nothing(
        world: World, gcast: GrievanceCast) -> None:
    filing = await survivor_grievance(world, gcast, corridor={"origin": "NP", "destination": "QA"})
    revision = (await gcast.caseworker.get(f"{CASES}/{filing.case_id}")).json()["revision"]
    r = await refer_for_return(gcast.caseworker, filing.case_id)
    assert r.status_code == 422, r.text
    assert_problem(r)
    (error,) = r.json()["errors"]
    assert error["pointer"] == "/data/nationality"
    for country in ("BG", "CZ", "HU", "RO", "NP"):
        assert country in error["message"]
    view = (await gcast.caseworker.get(f"{CASES}/{filing.case_id}")).json()
    assert (view["revision"], view["return_case_ids"]) == (revision, [])
    assert await count(world, Case, col(Case.workflow) == "return") == 0
    assert await count(world, ReturnConsent) == 0
    assert await count(world, PersonalDataRead,
                       col(PersonalDataRead.case_id) == filing.case_id) == 0


async def test_only_a_consenting_survivor_of_trafficking_or_forced_labour_is_referred(
        world: World, gcast: GrievanceCast) -> None:
    refusals = {
        "alleges neither": {"allegations": ["recruitment_fees"]},
        "not the survivor": {"complainant_role": "family_member"},
        "no identity is on file": {"contact": None},
        "did not agree to be contacted": {"consents": {"share_identity_with_recruiter": False,
                                                       "refer_to_authority": True,
                                                       "be_contacted": False}},
    }
    for words, overrides in refusals.items():
        filing = await survivor_grievance(world, gcast, **overrides)
        r = await refer_for_return(gcast.caseworker, filing.case_id)
        assert guards_of(r) == ["return_referral_allowed"], words
        assert words in r.json()["detail"], (words, r.json()["detail"])
    # forced labour, with no consent to refer to an authority, is enough
    filing = await survivor_grievance(world, gcast, allegations=["forced_labour"], consents={
        "share_identity_with_recruiter": False, "refer_to_authority": False,
        "be_contacted": True})
    r = await refer_for_return(gcast.caseworker, filing.case_id)
    assert r.status_code == 200, r.text
    assert await count(world, Case, col(Case.workflow) == "return") == 1


async def test_who_and_when(world: World, gcast: GrievanceCast) -> None:
    rc = await return_cast(world)
    filing = await file_grievance(world, corridor={"origin": "RO", "destination": "GB"},
                                  allegations=["trafficking"])
    await walk(gcast.caseworker, filing.case_id, ACK)
    r = await refer_for_return(gcast.caseworker, filing.case_id)
    assert r.status_code == 409, r.text  # acknowledged: not yet assessed
    assert_problem(r)
    await walk(gcast.caseworker, filing.case_id, triage())
    revision = (await gcast.caseworker.get(f"{CASES}/{filing.case_id}")).json()["revision"]
    for actor in (rc.officer, rc.referrer, gcast.admin):
        r = await actor.post(f"{CASES}/{filing.case_id}/transitions", {
            "event": "refer_for_return", "expected_revision": revision,
            "data": return_consent()})
        assert r.status_code in (403, 404), r.text
        assert_problem(r)
    bad = {"/data/text_version": {"text_version": "RR 2026/1"},
           "/data/nationality": {"nationality": "ro"},
           "/data/interpreter_used": {"interpreter_used": "yes"},
           "/data/witness": {"witness": "   "},
           "/data": {"passport": "051234567"}}
    for pointer, change in bad.items():
        r = await refer_for_return(gcast.caseworker, filing.case_id, **change)
        assert r.status_code == 422, r.text
        assert pointer in [e["pointer"] for e in r.json()["errors"]], (pointer, r.json())
    r = await fire_grievance(gcast.caseworker, filing.case_id, "refer_for_return",
                             data={"language": "ro", "interpreter_used": True})
    assert "/data" in [e["pointer"] for e in r.json()["errors"]], r.json()
    assert await count(world, Case, col(Case.workflow) == "return") == 0
    # the complainant's follow page does not tell whoever holds the code of a planned return
    r = await refer_for_return(gcast.caseworker, filing.case_id)
    assert r.status_code == 200, r.text
    followed = await world.client.get(f"/api/v1/grievances/{filing.reference}",
                                      headers=filing.headers)
    assert "refer_for_return" not in followed.text and "return" not in str(
        [u["event"] for u in followed.json()["updates"]])


RELEASED = REPO / "workflows"


class TestAGrievanceOnVersionOne:
    """Filed while version 1 was served: no referral for return until it is upgraded."""

    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        before = tmp_path / "release-before"
        shutil.copytree(RELEASED, before)
        shutil.rmtree(before / "grievance")
        shutil.copy(RELEASED / "grievance" / "grievance-v1.yaml", before / "grievance.yaml")
        return {"workflows_dir": before}

    async def test_moves_to_version_two_and_is_referred(
            self, world: World, gcast: GrievanceCast) -> None:
        filing = await survivor_grievance(world, gcast)
        view = (await gcast.caseworker.get(f"{CASES}/{filing.case_id}")).json()
        assert view["workflow_version"] == 1
        r = await refer_for_return(gcast.caseworker, filing.case_id)
        assert r.status_code == 422, r.text
        assert "not an event of grievance v1" in r.json()["detail"]

        moved = await iris(world, RELEASED, "workflows", "upgrade", "grievance", "--to", "2")
        assert moved.exit_code == 0, moved.output
        assert f"moved       case {filing.case_id} (triaged): v1 -> v2, event #" in moved.stdout
        verify = await iris(world, RELEASED, "audit", "verify")
        assert verify.exit_code == 0, verify.output

        async with served_with(world, RELEASED) as app:
            caseworker = await login(app, "case@scheme.example")
            r = await refer_for_return(caseworker, filing.case_id)
            assert r.status_code == 200, r.text
            assert r.json()["workflow_version"] == 2 and len(r.json()["return_case_ids"]) == 1


async def test_after_a_withdrawal_the_survivor_may_be_referred_again(
        world: World, gcast: GrievanceCast) -> None:
    rc = await return_cast(world)
    filing = await survivor_grievance(world, gcast)
    r = await refer_for_return(gcast.caseworker, filing.case_id)
    assert r.status_code == 200, r.text
    (first,) = r.json()["return_case_ids"]
    r = await fire_return(rc.officer, first, "withdraw", reason_code="survivor_withdrew",
                          note="She wants to wait until the trial is over.")
    assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text
    async with world.services.db.read() as session:
        (given,) = (await session.scalars(select(ReturnConsent).where(
            col(ReturnConsent.case_id) == first))).all()
    assert given.withdrawn_at is not None  # the referral consent ended with the rest

    r = await refer_for_return(gcast.caseworker, filing.case_id, text_version="RR-2026.2")
    assert r.status_code == 200, r.text
    ids = r.json()["return_case_ids"]
    assert ids[0] == first and len(ids) == 2
    second = (await rc.officer.get(f"{PATH}/{ids[1]}")).json()
    assert (second["state"], second["source_case_id"]) == ("enquiry", filing.case_id)
