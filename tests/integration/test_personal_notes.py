"""Personal notes are one engine mechanism, not a grievance's: a workflow that exists only in
the tests (tests/sample_domain) marks a transition ``personal_note`` and its note is sealed at
rest, mailed as a pointer, read in the history by the case's readers, checked by the audit
against the commitment its event hashes, re-sealed by key rotation and erased, with the chain
holding throughout. A transition's ``personal_data`` fields (here the answer's ``source``) go
the same way: sealed with the note, never in the event's clear data. On SQLite and
PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select, update

from iris_engine.app import create_app
from iris_engine.cases.audit import verify_chains
from iris_engine.cases.notes import note_place
from iris_engine.clock import ManualClock, utcnow
from iris_engine.domains import DOMAINS
from iris_engine.rotation import rotate
from iris_engine.services import build_services
from iris_engine.store.models import CaseEvent, OutboxMessage
from iris_engine.ticker import Ticker
from iris_engine.vault import Vault
from tests import sample_domain
from tests.conftest import REPO
from tests.integration import conftest
from tests.integration.conftest import Actor, World

INQUIRIES = "/api/v1/inquiries"
NOTE = "Ask Mr Rai at the Kathmandu branch, +977 1 4412345; he saw the receipts"


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """The shipped workflows and the test-only inquiry, whose answer is marked personal."""
    folder = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    inquiry = yaml.safe_load(sample_domain.WORKFLOW_FILE.read_text())
    for transition in inquiry["transitions"]:
        if transition["event"] == "answer":
            transition["personal_note"] = True
            transition["data"] = {"type": "object", "additionalProperties": False, "properties": {
                "channel": {"enum": ["phone", "visit"]}, "source": {"type": "string"}}}
            transition["personal_data"] = ["source"]
        if transition["event"] == "withdraw_question":  # a clear note, a personal field
            transition["data"] = {"type": "object", "additionalProperties": False,
                                  "properties": {"contact": {"type": "string"}}}
            transition["personal_data"] = ["contact"]
    (folder / "inquiry.yaml").write_text(yaml.safe_dump(inquiry, sort_keys=False))
    settings = conftest.test_settings(database_url, workflows_dir=folder)
    services = build_services(settings, clock=ManualClock(utcnow()),
                              domains=(*DOMAINS, sample_domain.DOMAIN))
    async with services.db.write_engine.begin() as conn:  # its table ships with no migration
        await conn.run_sync(sample_domain.SampleBase.metadata.create_all)
    ticker = Ticker(services, "test-ticker")
    app = create_app(settings, services=services)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
        yield World(services, client, settings, services.clock, ticker)  # type: ignore[arg-type]
    await ticker.stop()
    await services.db.dispose()


async def _answered(world: World) -> tuple[Actor, Actor, int]:
    """A recruiter's inquiry, answered by the scheme manager with a personal note."""
    asker = await world.recruiter("Asking Agency")
    manager = await world.staff("manager@scheme.example", "scheme_manager", organisation="Scheme",
                                kind="scheme")
    r = await asker.post(INQUIRIES, {"question": "Who at the branch can confirm the fees?"})
    case_id = r.json()["id"]
    offered = {t["event"]: t for t in (await manager.get(f"{INQUIRIES}/{case_id}/transitions")).json()}
    assert offered["answer"]["personal_note"] is True
    r = await manager.post(f"{INQUIRIES}/{case_id}/transitions",
                           {"event": "answer", "expected_revision": 1, "note": NOTE})
    assert r.status_code == 200, r.text
    return asker, manager, case_id


async def _events(world: World, case_id: int) -> list[CaseEvent]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_id).order_by(CaseEvent.seq))).all())  # type: ignore[arg-type]


async def _broken(world: World, vault: Vault | None = None) -> str | None:
    async with world.services.db.read() as session:
        _, _, broken = await verify_chains(session, vault=vault or world.services.vault)
    return None if broken is None else str(broken)


async def _tamper(world: World, event_id: int, **values: Any) -> None:
    async with world.services.db.write() as session:
        await session.execute(update(CaseEvent).where(
            CaseEvent.id == event_id).values(**values))  # type: ignore[arg-type]


async def test_a_personal_note_is_sealed_mailed_as_a_pointer_and_read_in_the_history(
        world: World) -> None:
    asker, manager, case_id = await _answered(world)

    _, answer = await _events(world, case_id)
    assert answer.note is None and answer.note_sealed and answer.note_commitment
    assert NOTE not in answer.note_sealed and len(answer.note_commitment) == 64
    async with world.services.db.read() as session:
        [mail] = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.case_id == case_id))).all()  # type: ignore[arg-type]
    assert mail.destination == "asking.agency@agency.example"
    assert "Rai" not in str(mail.payload) and "4412345" not in str(mail.payload)
    assert "A note was written" in mail.payload["text"]
    assert f"http://localhost:8000{INQUIRIES}/{case_id}/history" in mail.payload["text"]

    for reader in (asker, manager):
        r = await reader.get(f"{INQUIRIES}/{case_id}/history")
        assert r.status_code == 200, r.text
        opened = r.json()[-1]
        assert (opened["note"], opened["personal_note"], opened["note_erased"]) == (NOTE, True, False)
        assert opened["note_commitment"] == answer.note_commitment
    outsider = await world.recruiter("Other Agency")
    assert (await outsider.get(f"{INQUIRIES}/{case_id}/history")).status_code == 403
    spec = (await world.client.get("/api/v1/workflows/inquiry")).json()
    assert {t["event"]: t["personal_note"] for t in spec["transitions"]} == {
        "answer": True, "withdraw_question": False, "escalate": False}
    assert await _broken(world) is None


async def test_rotation_reseals_and_erasure_erases_without_touching_the_chain(
        world: World) -> None:
    asker, _, case_id = await _answered(world)
    [_, before] = await _events(world, case_id)

    # the second test key first: rotation moves the note to it, salt and all
    k2, k1 = conftest.TEST_DATA_KEYS.split(",")
    rotated = Vault(f"{k1},{k2}")
    moved = await rotate(world.services.db, rotated, world.services.domains)
    assert moved["case_event.note_sealed"] == 1
    [_, after] = await _events(world, case_id)
    assert rotated.key_id(after.note_sealed or "") == "k1" != rotated.key_id(before.note_sealed or "")
    assert (after.note_commitment, after.hash) == (before.note_commitment, before.hash)
    assert await _broken(world, Vault(k1)) is None  # opens without the old key
    assert (await asker.get(f"{INQUIRIES}/{case_id}/history")).json()[-1]["note"] == NOTE

    async with world.services.db.write() as session:
        await world.services.engine.lock(session, case_id)
        assert await world.services.engine.erase_personal_notes(session, [case_id]) == 1
    assert world.services.db.erasure_pending
    assert await world.services.db.reclaim() == ["case_event"]
    [_, erased] = await _events(world, case_id)
    assert erased.note_sealed is None and erased.note is None
    assert (erased.note_commitment, erased.hash) == (before.note_commitment, before.hash)
    opened = (await asker.get(f"{INQUIRIES}/{case_id}/history")).json()[-1]
    assert (opened["note"], opened["note_erased"]) == (None, True)
    assert await _broken(world) is None


async def test_tampering_with_a_personal_note_is_found(world: World) -> None:
    """Whoever holds the data key still cannot change a note unseen: the chain hashes its
    commitment, and the sealed value is bound to its event."""
    asker, manager, first = await _answered(world)
    # a second answered inquiry, to swap notes between
    second = (await asker.post(INQUIRIES, {"question": "And the medical?"})).json()["id"]
    r = await manager.post(f"{INQUIRIES}/{second}/transitions",
                           {"event": "answer", "expected_revision": 1, "note": "Another note"})
    assert r.status_code == 200, r.text
    [_, one], [_, two] = await _events(world, first), await _events(world, second)
    vault = world.services.vault

    await _tamper(world, one.id or 0, note_sealed=two.note_sealed)  # moved from another event
    assert "does not open" in (await _broken(world) or "")
    forged = vault.seal({"note": "Nothing to see", "salt": "00" * 32},
                        place=note_place(first, one.seq))
    await _tamper(world, one.id or 0, note_sealed=forged)  # re-sealed by a key holder
    assert "does not match its commitment" in (await _broken(world) or "")
    await _tamper(world, one.id or 0, note_sealed=one.note_sealed, note="Nothing to see")
    assert "altered" in (await _broken(world) or "")  # a clear note beside the commitment
    await _tamper(world, one.id or 0, note=None, note_commitment="0" * 64)
    assert "altered" in (await _broken(world) or "")
    await _tamper(world, one.id or 0, note_commitment=one.note_commitment)
    assert await _broken(world) is None


SOURCE = "Bishnu Tamang, former driver at the agency, lives above the Thamel pharmacy"


async def test_personal_data_fields_are_sealed_with_the_note_and_erased_with_it(
        world: World) -> None:
    asker = await world.recruiter("Asking Agency")
    manager = await world.staff("manager@scheme.example", "scheme_manager", organisation="Scheme",
                                kind="scheme")
    case_id = (await asker.post(INQUIRIES, {"question": "Who saw the receipts?"})).json()["id"]
    r = await manager.post(f"{INQUIRIES}/{case_id}/transitions", {
        "event": "answer", "expected_revision": 1, "note": NOTE,
        "data": {"channel": "visit", "source": SOURCE}})
    assert r.status_code == 200, r.text

    [_, answer] = await _events(world, case_id)
    assert answer.data == {"channel": "visit", "sealed": ["source"]}
    assert "Tamang" not in str(answer.data) and "Tamang" not in (answer.note_sealed or "")
    opened = (await manager.get(f"{INQUIRIES}/{case_id}/history")).json()[-1]
    assert opened["data"] == {"channel": "visit", "sealed": ["source"], "source": SOURCE}
    assert opened["note"] == NOTE
    assert await _broken(world) is None

    # a key holder who re-seals other data under the same salt is found: the commitment covers
    # note and fields together
    body = world.services.vault.open(answer.note_sealed or "", place=note_place(case_id, 2))
    forged = world.services.vault.seal({**body, "data": {"source": "nobody"}},
                                       place=note_place(case_id, 2))
    await _tamper(world, answer.id or 0, note_sealed=forged)
    assert "does not match its commitment" in (await _broken(world) or "")
    await _tamper(world, answer.id or 0, note_sealed=answer.note_sealed)

    async with world.services.db.write() as session:
        await world.services.engine.lock(session, case_id)
        assert await world.services.engine.erase_personal_notes(session, [case_id]) == 1
    gone = (await manager.get(f"{INQUIRIES}/{case_id}/history")).json()[-1]
    assert gone["data"] == {"channel": "visit", "sealed": ["source"]}
    assert (gone["note"], gone["note_erased"]) == (None, True)
    assert await _broken(world) is None


async def test_a_clear_note_beside_sealed_fields_stays_clear(world: World) -> None:
    """Fields are personal by the workflow's word, the note by its own: a withdrawal's note is
    not personal, so it stays in clear while the field beside it is sealed."""
    asker = await world.recruiter("Asking Agency")
    case_id = (await asker.post(INQUIRIES, {"question": "Fees?"})).json()["id"]
    r = await asker.post(f"{INQUIRIES}/{case_id}/transitions", {
        "event": "withdraw_question", "expected_revision": 1, "note": "Answered by phone",
        "data": {"contact": "Ram Gurung, +977 98 5551 2345"}})
    assert r.status_code == 200, r.text
    [_, withdrawn] = await _events(world, case_id)
    assert withdrawn.note == "Answered by phone" and withdrawn.note_sealed
    assert withdrawn.data == {"sealed": ["contact"]}
    opened = (await asker.get(f"{INQUIRIES}/{case_id}/history")).json()[-1]
    assert (opened["note"], opened["personal_note"]) == ("Answered by phone", False)
    assert opened["data"]["contact"] == "Ram Gurung, +977 98 5551 2345"
    assert await _broken(world) is None
