"""Informed consent per purpose (issue #13, item 3): return assistance first, then sharing with
the origin partner or with named services, each with the consent text's version, its language,
whether an interpreter was used and who witnessed it (sealed in the row and in the event, never
in the clear data); a consent is withdrawn only while it stands, and what it covered ends.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from iris_engine.returns.consent import consented_services, live_consents
from iris_engine.returns.models import ReturnConsent
from iris_engine.returns.sealing import sealed_place
from iris_engine.store.models import CaseEvent
from tests.integration.conftest import World, assert_problem
from tests.returns_support import (
    PATH,
    ReturnCast,
    consent,
    fire_return,
    refer,
    return_cast,
    walk_return,
)

WITNESS = "Ana Popescu, interpreter (Hope for Justice)"


@pytest.fixture
async def rc(world: World) -> ReturnCast:
    return await return_cast(world)


async def consents_of(world: World, case_id: int) -> list[ReturnConsent]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(ReturnConsent).where(
            col(ReturnConsent.case_id) == case_id).order_by(col(ReturnConsent.id)))).all())


def refused(r: Any, *, guard: str | None = None, pointer: str | None = None) -> str:
    assert r.status_code == 422, r.text
    assert_problem(r)
    body = r.json()
    if guard is not None:
        assert [g["guard"] for g in body["extra"]["guards"]] == [guard], body
    if pointer is not None:
        assert pointer in [e["pointer"] for e in body.get("errors", [])], body
    return str(body["detail"])


async def consented(rc: ReturnCast) -> int:
    case_id = await refer(rc)
    r = await fire_return(rc.officer, case_id, "record_consent", data=consent())
    assert r.status_code == 200 and r.json()["state"] == "consented", r.text
    return case_id


async def test_each_consent_is_kept_with_its_terms_and_the_witness_sealed(
        world: World, rc: ReturnCast) -> None:
    case_id = await refer(rc)
    r = await fire_return(rc.officer, case_id, "record_consent", data=consent())
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["assignee_id"]) == ("consented", rc.officer.user_id)
    for data in (consent("share_with_partner", interpreter_used=False, language="en"),
                 consent("share_with_services", services=["shelter", "medical_care"],
                         text_version="RS-2026.2")):
        r = await fire_return(rc.officer, case_id, "record_consent", data=data)
        assert r.status_code == 200 and r.json()["state"] == "consented", r.text

    rows = await consents_of(world, case_id)
    assert [(c.purpose, c.services, c.text_version, c.language, c.interpreter_used,
             c.recorded_by_user_id, c.withdrawn_at) for c in rows] == [
        ("return_assistance", [], "RA-2026.1", "ro", True, rc.officer.user_id, None),
        ("share_with_partner", [], "RA-2026.1", "en", False, rc.officer.user_id, None),
        ("share_with_services", ["shelter", "medical_care"], "RS-2026.2", "ro", True,
         rc.officer.user_id, None)]
    vault = world.services.vault
    for row in rows:
        assert row.witness_sealed is not None and WITNESS not in row.witness_sealed
        assert vault.open(row.witness_sealed,
                          place=sealed_place(case_id, f"witness:{row.id}")) == WITNESS
    async with world.services.db.read() as session:
        events = list((await session.scalars(select(CaseEvent).where(
            col(CaseEvent.case_id) == case_id, col(CaseEvent.event) == "record_consent")
            .order_by(col(CaseEvent.seq)))).all())
        assert await consented_services(session, case_id) == {"shelter", "medical_care"}
    assert [e.data["outcome"]["consent_id"] for e in events] == [row.id for row in rows]
    for e in events:
        assert "witness" not in e.data and e.data["sealed"] == ["witness"]
        assert WITNESS not in str(e.data)
    history = (await rc.officer.get(f"{PATH}/{case_id}/history")).json()
    assert [e["data"]["witness"] for e in history if e["event"] == "record_consent"] == [
        WITNESS] * 3

    # a consent with no witness is a consent; re-confirming return assistance is a new row
    data = consent()
    del data["witness"]
    r = await fire_return(rc.officer, case_id, "record_consent", data=data)
    assert r.status_code == 200, r.text
    async with world.services.db.read() as session:
        standing = await live_consents(session, case_id, "return_assistance")
    assert len(standing) == 2 and standing[-1].witness_sealed is None


async def test_the_first_consent_is_to_return_assistance(world: World, rc: ReturnCast) -> None:
    case_id = await refer(rc)
    for purpose in ("share_with_partner", "share_with_services"):
        r = await fire_return(rc.officer, case_id, "record_consent",
                              data=consent(purpose, services=["shelter"])
                              if purpose == "share_with_services" else consent(purpose))
        refused(r, guard="consent_to_return", pointer="/data/purpose")
    assert await consents_of(world, case_id) == []
    assert (await rc.officer.get(f"{PATH}/{case_id}")).json()["state"] == "enquiry"


async def test_sharing_with_services_names_them_and_nothing_else_does(
        world: World, rc: ReturnCast) -> None:
    case_id = await consented(rc)
    r = await fire_return(rc.officer, case_id, "record_consent",
                          data=consent("share_with_services"))
    refused(r, guard="consent_complete", pointer="/data/services")
    r = await fire_return(rc.officer, case_id, "record_consent",
                          data=consent("share_with_services", services=[]))
    refused(r, guard="consent_complete", pointer="/data/services")
    r = await fire_return(rc.officer, case_id, "record_consent",
                          data=consent("share_with_partner", services=["shelter"]))
    refused(r, guard="consent_complete", pointer="/data/services")
    r = await fire_return(rc.officer, case_id, "record_consent",
                          data=consent("share_with_services", services=["spa"]))
    refused(r, pointer="/data/services/0")
    assert len(await consents_of(world, case_id)) == 1


async def test_a_consent_is_withdrawn_only_while_it_stands(world: World, rc: ReturnCast) -> None:
    case_id = await consented(rc)
    r = await fire_return(rc.officer, case_id, "withdraw_consent", note="Changed her mind.",
                          data={"purpose": "share_with_partner"})
    assert "no consent to share_with_partner stands" in refused(
        r, guard="consent_stands", pointer="/data/purpose")
    r = await fire_return(rc.officer, case_id, "withdraw_consent",
                          note="To return itself: that is withdraw.",
                          data={"purpose": "return_assistance"})
    refused(r, pointer="/data/purpose")
    r = await fire_return(rc.officer, case_id, "withdraw_consent",
                          data={"purpose": "share_with_services"})
    refused(r, pointer="/note")

    r = await fire_return(rc.officer, case_id, "record_consent", data=consent(
        "share_with_services", services=["shelter", "medical_care", "legal"]))
    assert r.status_code == 200, r.text
    r = await fire_return(rc.officer, case_id, "record_consent",
                          data=consent("share_with_partner"))
    assert r.status_code == 200, r.text

    # only services a standing consent covers, and only for services
    r = await fire_return(rc.officer, case_id, "withdraw_consent", note="No family contact.",
                          data={"purpose": "share_with_services", "services": ["family"]})
    assert "no standing consent covers family" in refused(
        r, guard="consent_stands", pointer="/data/services")
    r = await fire_return(rc.officer, case_id, "withdraw_consent", note="Not the shelter.",
                          data={"purpose": "share_with_partner", "services": ["shelter"]})
    refused(r, guard="consent_stands", pointer="/data/services")

    # the named services only: the rest of the consent stands
    r = await fire_return(rc.officer, case_id, "withdraw_consent", note="No lawyer, please.",
                          data={"purpose": "share_with_services", "services": ["legal"]})
    assert r.status_code == 200 and r.json()["state"] == "consented", r.text
    async with world.services.db.read() as session:
        assert await consented_services(session, case_id) == {"shelter", "medical_care"}
    r = await fire_return(rc.officer, case_id, "withdraw_consent", note="None at all.",
                          data={"purpose": "share_with_services"})
    assert r.status_code == 200, r.text
    r = await fire_return(rc.officer, case_id, "withdraw_consent", note="Not the partner either.",
                          data={"purpose": "share_with_partner"})
    assert r.status_code == 200, r.text
    history = (await rc.officer.get(f"{PATH}/{case_id}/history")).json()
    withdrawn = [e["data"]["outcome"]["consents_withdrawn"] for e in history
                 if e["event"] == "withdraw_consent"]
    rows = {c.purpose: c for c in await consents_of(world, case_id)}
    assert withdrawn == [[], [rows["share_with_services"].id], [rows["share_with_partner"].id]]
    assert rows["share_with_services"].withdrawn_at is not None
    assert rows["share_with_partner"].withdrawn_at is not None
    assert rows["return_assistance"].withdrawn_at is None
    async with world.services.db.read() as session:
        assert await consented_services(session, case_id) == set()

    r = await fire_return(rc.officer, case_id, "withdraw_consent", note="Again.",
                          data={"purpose": "share_with_services"})
    refused(r, guard="consent_stands")


BAD_TERMS: list[tuple[dict[str, Any], str]] = [
    ({"text_version": "RA 2026/1"}, "/data/text_version"),
    ({"text_version": "R" * 41}, "/data/text_version"),
    ({"language": "Romanian"}, "/data/language"),
    ({"interpreter_used": "no"}, "/data/interpreter_used"),
    ({"witness": "W" * 201}, "/data/witness"),
    ({"witness": ""}, "/data/witness"),
    ({"witness": "Ana\x00"}, "/data/witness"),
    ({"purpose": "marketing"}, "/data/purpose"),
    ({"signature": "Ana"}, "/data"),
]


@pytest.mark.parametrize(("change", "pointer"), BAD_TERMS, ids=[p for _, p in BAD_TERMS])
async def test_bad_terms_are_refused_and_nothing_is_kept(
        world: World, rc: ReturnCast, change: dict[str, Any], pointer: str) -> None:
    case_id = await refer(rc)
    r = await fire_return(rc.officer, case_id, "record_consent", data=consent(**change))
    refused(r, pointer=pointer)
    assert await consents_of(world, case_id) == []


async def test_only_the_return_officer_records_or_withdraws_consent(
        world: World, rc: ReturnCast) -> None:
    case_id = await consented(rc)
    for actor in (rc.referrer, rc.supervisor):
        for event, body in (("record_consent", {"data": consent("share_with_partner")}),
                            ("withdraw_consent", {"note": "x",
                                                  "data": {"purpose": "share_with_partner"}})):
            r = await fire_return(actor, case_id, event, **body)
            assert r.status_code == 403, r.text
            assert_problem(r)
    assert len(await consents_of(world, case_id)) == 1


async def test_the_partner_reaches_a_case_only_while_the_consent_to_share_stands(
        world: World, rc: ReturnCast) -> None:
    case_id = await refer(rc)
    await walk_return(rc, case_id, "eligible")
    share = {"data": {"partner_organisation_id": rc.partner_organisation_id}}
    r = await fire_return(rc.officer, case_id, "share_with_partner", **share)
    assert "record_consent, purpose share_with_partner" in refused(r, guard="partner_consented")
    await walk_return_from_eligible(rc, case_id)
    assert case_id in {c["id"] for c in (await rc.partner.get(PATH)).json()}

    r = await fire_return(rc.officer, case_id, "withdraw_consent", data={
        "purpose": "share_with_partner"}, note="She does not want the partner to know yet.")
    assert r.status_code == 200 and r.json()["state"] == "risk_assessment", r.text
    assert case_id not in {c["id"] for c in (await rc.partner.get(PATH)).json()}
    r = await rc.partner.get(f"{PATH}/{case_id}")
    assert r.status_code in (403, 404), r.text
    r = await fire_return(rc.partner, case_id, "record_risk_assessment", expected_revision=1,
                          data={"assessment": {}, "outcome": "proceed"})
    assert r.status_code in (403, 404), r.text

    # consenting again opens it again, to the same partner
    r = await fire_return(rc.officer, case_id, "record_consent",
                          data=consent("share_with_partner"))
    assert r.status_code == 200, r.text
    assert (await rc.partner.get(f"{PATH}/{case_id}")).status_code == 200


async def walk_return_from_eligible(rc: ReturnCast, case_id: int) -> None:
    """Consent to share with the partner, then share: the case in risk assessment."""
    r = await fire_return(rc.officer, case_id, "record_consent",
                          data=consent("share_with_partner"))
    assert r.status_code == 200, r.text
    r = await fire_return(rc.officer, case_id, "share_with_partner",
                          data={"partner_organisation_id": rc.partner_organisation_id})
    assert r.status_code == 200 and r.json()["state"] == "risk_assessment", r.text


async def test_travel_waits_for_consent_to_return_confirmed_again_within_the_window(
        world: World, rc: ReturnCast) -> None:
    """Re-confirmation is a second consent to return assistance, within
    ``consent_reconfirmation_window`` (7 days) of booking and of departure."""
    case_id = await refer(rc)
    await walk_return(rc, case_id, "fit_to_travel")
    now = world.clock()
    journey = {"data": {"departure_at": (now + timedelta(days=2)).isoformat(),
                        "arrival_at": (now + timedelta(days=2, hours=5)).isoformat()}}
    r = await fire_return(rc.officer, case_id, "book_travel", **journey)
    assert "re-confirmed before travel" in refused(r, guard="consent_reconfirmed")
    r = await fire_return(rc.officer, case_id, "record_consent", data=consent())
    assert r.status_code == 200, r.text
    world.clock.advance(timedelta(days=8))
    now = world.clock()
    journey = {"data": {"departure_at": (now + timedelta(days=2)).isoformat(),
                        "arrival_at": (now + timedelta(days=2, hours=5)).isoformat()}}
    r = await fire_return(rc.officer, case_id, "book_travel", **journey)
    assert "more than 7 days ago" in refused(r, guard="consent_reconfirmed")
    r = await fire_return(rc.officer, case_id, "record_consent", data=consent())
    assert r.status_code == 200, r.text
    r = await fire_return(rc.officer, case_id, "book_travel", **journey)
    assert r.status_code == 200 and r.json()["state"] == "travel_booked", r.text
