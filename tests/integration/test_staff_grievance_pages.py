"""A grievance's own pages in the workspace: the messages with the complainant, and reading
their account or identity with the purpose asked first. Every read goes through the service
(recorded with its purpose before anything is decrypted, refused to whoever the API refuses);
what is read appears only in the answer to the form's post. On SQLite and PostgreSQL."""

from __future__ import annotations

from tests.integration.conftest import GrievanceCast, World, file_grievance, fire_grievance
from tests.integration.staff_support import csrf_token, post_form, signed_in
from tests.integration.test_grievance_reads import reads_of
from tests.integration.test_return_raw_storage import raw_storage

NARRATIVE = "I paid 1500 dollars for the job and they kept my passport."


async def _email(actor: object) -> str:
    return str((await actor.get("/api/v1/me")).json()["email"])  # type: ignore[attr-defined]


async def test_the_caseworker_writes_and_reads_with_a_purpose(world: World,
                                                               gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    r = await fire_grievance(gcast.caseworker, filing.case_id, "acknowledge")  # takes the case
    assert r.status_code == 200, r.text
    await signed_in(world, await _email(gcast.caseworker))
    case = f"/staff/grievance/{filing.case_id}"
    page = await world.client.get(case)
    assert f'href="{case}/messages"' in page.text and f'href="{case}/personal"' in page.text
    assert NARRATIVE not in page.text and "Sita Gurung" not in page.text

    # a message to the complainant, then listed; an empty one refused at its field
    r = await post_form(world, f"{case}/messages", {"body": "  "})
    assert r.status_code == 422 and 'id="body-error">Write your message' in r.text
    r = await post_form(world, f"{case}/messages", {"body": "We have your complaint."})
    assert r.status_code == 303 and r.headers["location"] == f"{case}/messages?notice=sent"
    page = await world.client.get(r.headers["location"])
    assert "We have your complaint." in page.text and "Sent." in page.text
    view = await gcast.caseworker.get(f"/api/v1/grievance-cases/{filing.case_id}/messages")
    assert [m["body"] for m in view.json()] == ["We have your complaint."]

    # the purpose first: the form shows nothing personal, a missing purpose reads nothing
    form = await world.client.get(f"{case}/personal")
    assert form.status_code == 200 and NARRATIVE not in form.text
    before = len(await reads_of(world, filing.case_id))
    r = await post_form(world, f"{case}/personal", {"what": "narrative", "purpose": ""})
    assert r.status_code == 422 and 'id="purpose-error">Say why' in r.text
    assert NARRATIVE not in r.text and len(await reads_of(world, filing.case_id)) == before
    r = await post_form(world, f"{case}/personal", {"what": "narrative",
                                                    "purpose": "to plan the referral"})
    assert r.status_code == 200 and NARRATIVE in r.text
    r = await post_form(world, f"{case}/personal", {"what": "identity",
                                                    "purpose": "to call them back"})
    assert r.status_code == 200 and "Sita Gurung" in r.text and "sita.gurung@mail.example" in r.text
    reads = (await reads_of(world, filing.case_id))[before:]
    assert [x.purpose for x in reads] == ["to plan the referral", "to call them back"]
    assert all(x.reader_user_id == gcast.caseworker.user_id for x in reads)
    # what the page wrote and showed is nowhere on disk in clear: the message as the API's is
    # sealed, and the identity and account read from the sealed columns stay sealed
    raw = await raw_storage(world)
    for secret in ("We have your complaint.", NARRATIVE, "Sita Gurung", "sita.gurung@mail.example"):
        assert secret.encode() not in raw, secret


async def test_who_may_not_read_is_told_so_and_nothing_is_read(world: World,
                                                              gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    r = await fire_grievance(gcast.caseworker, filing.case_id, "acknowledge")
    assert r.status_code == 200, r.text
    case = f"/staff/grievance/{filing.case_id}"
    before = len(await reads_of(world, filing.case_id))
    # the supervisor reads the account, but not who filed it (the assigned caseworker only)
    await signed_in(world, await _email(gcast.supervisor))
    r = await post_form(world, f"{case}/personal", {"what": "identity", "purpose": "curious"})
    assert r.status_code == 403 and "only the caseworker assigned" in r.text
    assert "Sita Gurung" not in r.text
    # a caseworker the case is not assigned to, and an authority: no such page
    for actor in (gcast.other_caseworker, gcast.glaa):
        await signed_in(world, await _email(actor))
        mine = await world.client.get("/staff")
        for path in (f"{case}/messages", f"{case}/personal"):
            assert (await world.client.get(path)).status_code == 404, (actor, path)
            r = await world.client.post(path, data={
                "_csrf_token": csrf_token(mine), "what": "narrative", "purpose": "curious",
                "body": "hello"})
            assert r.status_code == 404, (actor, path, r.text[:300])
    assert len(await reads_of(world, filing.case_id)) == before
    view = await gcast.caseworker.get(f"/api/v1/grievance-cases/{filing.case_id}/messages")
    assert view.json() == []
    # the pages are the grievance workflow's: another workflow's case has none
    assert (await world.client.get("/staff/referral/1/messages")).status_code == 404
