"""Who reaches a return case, and what each is shown (issue #13, Done when: "a partner sees
only its cases and nothing beyond consent, a referrer only its referrals, every identity read
recorded").

A partner reaches a case only once it is shared with it and only while the survivor's consent
to that sharing stands: withdrawing that consent, or the survivor withdrawing from the return,
ends its reach at once, in lists, reads, acts, history and identity alike. A case out of a
return reader's reach answers as a case that does not exist. Every read of the survivor's
identity or account leaves a ``PersonalDataRead`` row (role, purpose, basis) and a refused read
leaves none. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from iris_engine.disclosure.models import PersonalDataRead
from tests.integration.conftest import Actor, World, assert_problem
from tests.returns_support import (
    ACCOUNT,
    PATH,
    SURVIVOR_NAME,
    SURVIVOR_PHONE,
    ReturnCast,
    consent,
    fire_return,
    monitoring_report_form,
    refer,
    return_cast,
    walk_return,
)

WITNESS = "Ana Popescu, interpreter (Hope for Justice)"


async def reads_of(world: World, case_id: int) -> list[PersonalDataRead]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(PersonalDataRead).where(
            PersonalDataRead.case_id == case_id).order_by(PersonalDataRead.id))).all())


async def listed(actor: Actor) -> list[int]:
    r = await actor.get(PATH)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()]


async def assert_out_of_reach(actor: Actor, case_id: int) -> None:
    """The case is not listed, and every endpoint answers as for a case that does not exist."""
    assert case_id not in await listed(actor)
    for path in ("", "/transitions", "/history", "/identity?purpose=reception",
                 "/account?purpose=reception"):
        r = await actor.get(f"{PATH}/{case_id}{path}")
        assert r.status_code == 404, (path, r.text)
        assert_problem(r)
    r = await actor.post(f"{PATH}/{case_id}/transitions",
                         {"event": "start_reintegration", "expected_revision": 0})
    assert r.status_code == 404, r.text
    assert_problem(r)


async def shared(cast: ReturnCast) -> int:
    case_id = await refer(cast)
    await walk_return(cast, case_id, "risk_assessment")
    return case_id


async def test_a_partner_reaches_a_case_only_once_shared_with_it(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "eligible")
    r = await fire_return(cast.officer, case_id, "record_consent",
                          data=consent("share_with_partner"))
    assert r.status_code == 200, r.text
    await assert_out_of_reach(cast.partner, case_id)  # consented, not yet shared

    r = await fire_return(cast.officer, case_id, "share_with_partner",
                          data={"partner_organisation_id": cast.partner_organisation_id})
    assert r.status_code == 200, r.text
    assert case_id in await listed(cast.partner)
    r = await cast.partner.get(f"{PATH}/{case_id}")
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["shown_as"] == "partner"
    assert (view["nationality"], view["language"], view["return_country"]) == ("RO", "ro", "RO")
    # not who referred, their NRM status, who holds the case or where it came from
    for hidden in ("referrer_organisation_id", "nrm_status", "assignee_id", "source_case_id",
                   "legal_hold", "escalations"):
        assert view[hidden] is None, hidden
    r = await cast.partner.get(f"{PATH}/{case_id}/transitions")
    assert r.status_code == 200, r.text
    assert "record_risk_assessment" in {t["event"] for t in r.json()}

    r = await cast.partner.get(f"{PATH}/{case_id}/identity", params={"purpose": "reception"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == SURVIVOR_NAME and r.json()["basis"] == "shared_with_partner"
    r = await cast.partner.get(f"{PATH}/{case_id}/account", params={"purpose": "reception"})
    assert r.status_code == 403, r.text  # the account is not the partner's to read
    assert_problem(r)
    assert [(x.reader_role, x.purpose, x.basis, x.fields) for x in await reads_of(world, case_id)
            ] == [("partner", "reception", "shared_with_partner", ["identity"])]

    await assert_out_of_reach(cast.partner_bg, case_id)  # another country's partner


async def test_withdrawing_consent_to_share_ends_the_partners_reach_at_once(world: World) -> None:
    cast = await return_cast(world)
    case_id = await shared(cast)
    r = await fire_return(cast.officer, case_id, "withdraw_consent",
                          data={"purpose": "share_with_partner"},
                          note="She no longer wants the partner to know.")
    assert r.status_code == 200, r.text
    await assert_out_of_reach(cast.partner, case_id)
    assert await reads_of(world, case_id) == []
    # recorded again, the sharing stands again
    r = await fire_return(cast.officer, case_id, "record_consent",
                          data=consent("share_with_partner"))
    assert r.status_code == 200, r.text
    assert case_id in await listed(cast.partner)


async def test_the_survivor_withdrawing_ends_the_partners_reach(world: World) -> None:
    cast = await return_cast(world)
    case_id = await shared(cast)
    r = await fire_return(cast.officer, case_id, "withdraw", reason_code="survivor_withdrew",
                          note="She decided to stay.")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "withdrawn"
    await assert_out_of_reach(cast.partner, case_id)


async def test_a_referrer_follows_its_referrals_only_and_never_reads_the_survivor_back(
        world: World) -> None:
    cast = await return_cast(world)
    case_id = await shared(cast)
    other = await world.staff("police@met.example", "referrer", organisation="Metropolitan Police",
                              kind="referrer")
    theirs = int((await other.post(PATH, {
        "nationality": "BG", "language": "bg", "survivor": {"name": "Ivan Petrov"}})).json()["id"])
    assert await listed(cast.referrer) == [case_id]
    assert await listed(other) == [theirs]
    await assert_out_of_reach(other, case_id)
    await assert_out_of_reach(cast.referrer, theirs)

    r = await cast.referrer.get(f"{PATH}/{case_id}")
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["shown_as"] == "referrer" and view["state"] == "risk_assessment"
    assert view["nrm_status"] == "referred" and view["reference"].startswith("RR-")
    for hidden in ("partner_organisation_id", "risk_outcome", "assignee_id",
                   "scheduled_departure_at", "scheduled_arrival_at", "legal_hold"):
        assert view[hidden] is None, hidden
    for path in ("identity", "account"):
        r = await cast.referrer.get(f"{PATH}/{case_id}/{path}", params={"purpose": "follow up"})
        assert r.status_code == 403, r.text
        assert_problem(r)
    assert await reads_of(world, case_id) == []


async def test_every_read_of_identity_and_account_is_recorded_and_a_refused_one_is_not(
        world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    # an enquiry nobody holds: in the officers' queue, but its survivor is read by the holder
    r = await cast.officer.get(f"{PATH}/{case_id}/identity", params={"purpose": "first meeting"})
    assert r.status_code == 403, r.text
    assert await reads_of(world, case_id) == []

    await walk_return(cast, case_id, "consented")  # the officer takes the case
    r = await cast.officer.get(f"{PATH}/{case_id}/identity", params={"purpose": "first meeting"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["phone"]) == (SURVIVOR_NAME, SURVIVOR_PHONE)
    r = await cast.officer.get(f"{PATH}/{case_id}/account", params={"purpose": "plan the return"})
    assert r.status_code == 200, r.text
    assert r.json()["account"] == ACCOUNT
    r = await cast.supervisor.get(f"{PATH}/{case_id}/account", params={"purpose": "approval"})
    assert r.status_code == 200, r.text
    second = await world.staff("officer2@returns.example", "return_officer",
                               organisation="Scheme", kind="scheme")
    await assert_out_of_reach(second, case_id)  # held by another officer
    r = await cast.officer.get(f"{PATH}/{case_id}/identity", params={"purpose": "x"})
    assert r.status_code == 422, r.text  # a purpose says why
    assert_problem(r)

    reads = await reads_of(world, case_id)
    assert [(x.reader_user_id, x.reader_role, x.purpose, x.basis, x.fields) for x in reads] == [
        (cast.officer.user_id, "return_officer", "first meeting", "queue", ["identity"]),
        (cast.officer.user_id, "return_officer", "plan the return", "queue", ["account"]),
        (cast.supervisor.user_id, "return_supervisor", "approval", "all", ["account"])]


def _events(r: Any) -> dict[str, list[dict[str, Any]]]:
    assert r.status_code == 200, r.text
    by: dict[str, list[dict[str, Any]]] = {}
    for e in r.json():
        by.setdefault(e["event"], []).append(e)
    return by


async def test_the_history_shows_each_reader_its_part(world: World) -> None:
    cast = await return_cast(world)
    case_id = await shared(cast)

    staff = _events(await cast.officer.get(f"{PATH}/{case_id}/history"))
    assert staff["record_consent"][0]["data"]["witness"] == WITNESS
    reads = await reads_of(world, case_id)
    assert [(x.reader_role, x.purpose, x.basis) for x in reads] == [
        ("return_officer", "case history", "queue")]
    assert len(reads[0].fields) == len(staff["record_consent"])  # each witness opened

    partner = _events(await cast.partner.get(f"{PATH}/{case_id}/history"))
    assert list(partner) == ["share_with_partner"]  # nothing from before the sharing
    r = await fire_return(cast.officer, case_id, "record_consent",
                          data=consent("share_with_services", services=["shelter"]))
    assert r.status_code == 200, r.text
    partner = _events(await cast.partner.get(f"{PATH}/{case_id}/history"))
    assert "witness" not in partner["record_consent"][0]["data"]
    assert partner["record_consent"][0]["data"]["services"] == ["shelter"]
    assert len(await reads_of(world, case_id)) == 1  # the partner opened nothing personal

    referrer = _events(await cast.referrer.get(f"{PATH}/{case_id}/history"))
    assert set(referrer) >= {"open", "record_consent", "share_with_partner"} or \
        set(referrer) >= {"record_consent", "share_with_partner"}
    for events in referrer.values():
        for e in events:
            assert e["note"] is None and e["data"] == {}, e
    assert len(await reads_of(world, case_id)) == 1


async def test_a_partner_reads_its_own_notes_and_forms_but_not_the_officers(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "reintegration")
    r = await fire_return(cast.partner, case_id, "file_monitoring_report",
                          data={"due": "first", "report": monitoring_report_form()},
                          note="Visited at home; her mother was present.")
    assert r.status_code == 200, r.text
    r = await fire_return(cast.officer, case_id, "record_consent",
                          data=consent("share_with_services", services=["shelter"]),
                          note="She fears her uncle may look for her at the shelter.")
    assert r.status_code == 200, r.text
    before = len(await reads_of(world, case_id))

    partner = _events(await cast.partner.get(f"{PATH}/{case_id}/history"))
    [report] = partner["file_monitoring_report"]
    assert report["note"] == "Visited at home; her mother was present."
    assert report["data"]["report"] == monitoring_report_form()
    [assessment] = partner["record_risk_assessment"]
    assert "assessment" in assessment["data"]  # the partner's own form
    theirs = partner["record_consent"][-1]
    assert theirs["note"] is None and theirs["personal_note"] is True
    assert "witness" not in theirs["data"]
    reads = (await reads_of(world, case_id))[before:]
    assert [(x.reader_role, x.purpose, x.basis) for x in reads] == [
        ("partner", "case history", "shared_with_partner")]
    assert len(reads[0].fields) == 2  # its assessment and its report

    officer = _events(await cast.officer.get(f"{PATH}/{case_id}/history"))
    assert officer["record_consent"][-1]["note"].startswith("She fears her uncle")
