"""Erasure that erases: what a purge removes is gone from the database files (SQLite: deleted
content zeroed, the log checkpointed and truncated; PostgreSQL: the touched tables vacuumed
after the batch), and personal notes stored in clear before notes were sealed are sealed by the
upgrade, their chains verified first and re-hashed after. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from iris_engine.cases.audit import GENESIS, chain_hash, verify_chains
from iris_engine.cases.clear_notes import seal_clear_notes
from iris_engine.cli import main
from iris_engine.clock import ManualClock, utcnow
from iris_engine.grievances.models import Grievance, GrievanceMessage
from iris_engine.grievances.schemas import GrievanceFiling
from iris_engine.grievances.service import GrievanceService
from iris_engine.services import Services, build_services
from iris_engine.store.models import Case, CaseEvent, ChainRewrite
from iris_engine.workflow import TransitionInput
from tests.integration import conftest
from tests.integration.conftest import (
    TEST_DATA_KEYS,
    Filing,
    GrievanceCast,
    World,
    file_grievance,
    fire_grievance,
    grievance_filing,
)

PUBLIC = "/api/v1/grievances"
#: long enough that SQLite spills it to overflow pages, which a purge frees
NARRATIVE = "The agent Gopal Thapa took 1,500 dollars and my passport at the Doha camp. " * 40


def _sqlite_bytes(world: World) -> bytes:
    """The database file and its write-ahead log, as a copy of the disk would hold them."""
    path = Path(world.settings.database_url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
                    if p.exists())


async def _act(world: World, filing: Filing, event: str, **body: Any) -> None:
    revision = (await world.client.get(f"{PUBLIC}/{filing.reference}",
                                       headers=filing.headers)).json()["revision"]
    r = await world.client.post(f"{PUBLIC}/{filing.reference}/transitions", headers=filing.headers,
                                json={"event": event, "expected_revision": revision, **body})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("by", ["retention", "release"])
async def test_a_purge_leaves_nothing_on_disk(world: World, gcast: GrievanceCast, by: str) -> None:
    """By the ticker when retention ends (reclaimed after the batch), or by a supervisor who
    releases a legal hold after that date (reclaimed once the answer is sent)."""
    f = await file_grievance(world, narrative=NARRATIVE)
    r = await world.client.post(f"{PUBLIC}/{f.reference}/messages", headers=f.headers,
                                json={"body": "My new number is +974 5512 3456"})
    assert r.status_code == 201, r.text
    await _act(world, f, "withdraw", note="I am hiding at my cousin's flat in Al Wakrah")
    r = await fire_grievance(gcast.caseworker, f.case_id, "close", reason_code="other")
    assert r.status_code == 200, r.text
    if by == "release":
        r = await fire_grievance(gcast.supervisor, f.case_id, "place_legal_hold", note="Court")
        assert r.status_code == 200, r.text
    async with world.services.db.read() as session:
        g = await session.get(Grievance, f.case_id)
        assert g is not None
        sealed = [g.narrative_sealed, g.identity_sealed,
                  *(await session.scalars(select(GrievanceMessage.body_sealed))).all(),
                  *(await session.scalars(select(CaseEvent.note_sealed).where(
                      CaseEvent.note_sealed.is_not(None)))).all()]  # type: ignore[union-attr]
        started = None if world.services.db.is_sqlite else await session.scalar(
            text("SELECT clock_timestamp()"))
    assert len(sealed) == 4 and all(sealed), sealed

    world.clock.advance(timedelta(days=world.settings.grievance_retention_days + 1))
    report = await world.tick()
    assert report.timers.fired == (by == "retention")
    if by == "release":
        r = await fire_grievance(gcast.supervisor, f.case_id, "release_legal_hold", note="Over")
        assert r.status_code == 200 and r.json()["purged_at"] is not None, r.text
    async with world.services.db.read() as session:
        g = await session.get(Grievance, f.case_id)
        assert g is not None and g.purged_at is not None and g.narrative_sealed is None

    if world.services.db.is_sqlite:
        raw = _sqlite_bytes(world)
        assert b"Gopal Thapa" not in raw and b"Al Wakrah" not in raw
        left = [value[:20] for value in sealed if value and value.encode() in raw]
        assert not left, f"purged values still on disk: {left}"
        assert not world.services.db.erasure_pending
        return
    async with world.services.db.read() as session:
        vacuumed = dict((await session.execute(text(
            "SELECT relname, last_vacuum FROM pg_stat_user_tables WHERE relname IN "
            "('case_event', 'grievance', 'grievance_message')"))).all())
    assert set(vacuumed) == {"case_event", "grievance", "grievance_message"}
    assert all(at is not None and at >= started for at in vacuumed.values()), (started, vacuumed)


# -- notes stored in clear by an earlier version -----------------------------------------------
async def _legacy(services: Services, case_id: int) -> str:
    """Put the case back as an earlier version stored it: personal notes in clear, hashed as
    text into the chain (which verifies). Answers the old head."""
    async with services.db.write() as session:
        case = await services.engine.lock(session, case_id)
        assert case is not None
        prev = GENESIS
        for event in await services.engine.history(session, case):
            if event.note_sealed is not None:
                event.note = services.engine.notes.read(event)
                event.note_sealed = event.note_commitment = None
            event.prev_hash, event.hash = prev, chain_hash(prev, event)
            prev = event.hash
        case.head_hash = prev
        return prev


async def _file(services: Services, withdraw_note: str) -> int:
    """A grievance filed, withdrawn with a note and held (through the services, no HTTP)."""
    grievances = services.get(GrievanceService)
    filed = await grievances.file(msgspec.convert(grievance_filing(), GrievanceFiling))
    case_id = await grievances._case_id_for_code(filed.reference, filed.access_code, "test")
    async with services.db.write() as session:
        await services.engine.fire(session, "grievance", case_id, _complainant(case_id),
                                   TransitionInput("withdraw", 1, note=withdraw_note))
    return case_id


def _complainant(case_id: int) -> Any:
    from iris_engine.cases import Principal

    return Principal(user_id=0, organisation_id=0, roles=frozenset({"complainant"}),
                     case_id=case_id)


async def _hold(world: World, gcast: GrievanceCast, case_id: int, note: str) -> None:
    r = await fire_grievance(gcast.supervisor, case_id, "place_legal_hold", note=note)
    assert r.status_code == 200, r.text


async def test_the_upgrade_seals_clear_notes_and_leaves_a_tampered_chain_alone(
        world: World, gcast: GrievanceCast) -> None:
    services = world.services
    kept = await _file(services, "The agent Bishnu lives above the shop in Thamel")
    await _hold(world, gcast, kept, "Court proceedings in Doha")  # not personal: stays clear
    tampered = await _file(services, "My sister Maya can vouch for me")
    old_head = await _legacy(services, kept)
    await _legacy(services, tampered)
    async with services.db.write() as session:  # someone edits a note in place
        event = (await session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == tampered, CaseEvent.event == "withdraw"))).one()  # type: ignore[arg-type]
        event.note = "My sister Maya cannot vouch for me"

    report = await seal_clear_notes(services.db, services.engine)
    assert (report.sealed, report.cases, report.broken) == (1, [kept], [tampered])

    async with services.db.read() as session:
        events = {e.event: e for e in (await session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == kept))).all()}  # type: ignore[arg-type]
        case = await session.get(Case, kept)
        [rewrite] = (await session.scalars(select(ChainRewrite))).all()
        _, _, broken = await verify_chains(session, vault=services.vault)
    withdraw = events["withdraw"]
    assert withdraw.note is None and withdraw.note_commitment and withdraw.note_sealed
    assert services.engine.notes.read(withdraw) == "The agent Bishnu lives above the shop in Thamel"
    assert events["place_legal_hold"].note == "Court proceedings in Doha"
    assert case is not None and (rewrite.case_id, rewrite.from_seq) == (kept, withdraw.seq)
    assert (rewrite.old_head_hash, rewrite.new_head_hash) == (old_head, case.head_hash)
    assert broken is not None and broken.case_id == tampered  # named, not laundered
    history = (await gcast.supervisor.get(f"/api/v1/grievance-cases/{kept}/history")).json()
    assert [e["note"] for e in history if e["event"] == "withdraw"] == [
        "The agent Bishnu lives above the shop in Thamel"]
    if services.db.is_sqlite:
        raw = _sqlite_bytes(world)
        assert b"above the shop" not in raw  # reclaimed
        assert b"cannot vouch" in raw  # left as found, for whoever investigates

    again = await seal_clear_notes(services.db, services.engine)
    assert (again.sealed, again.cases, again.broken) == (0, [], [tampered])


def test_iris_db_upgrade_and_keys_rotate_run_the_step(database_url: str) -> None:
    """`iris db upgrade` seals clear notes after migrating; `iris keys rotate` seals any an
    older instance wrote meanwhile (a rolling upgrade); a chain that does not verify exits 1."""
    settings = conftest.test_settings(database_url)
    env = {"IRIS_DATABASE_URL": database_url, "IRIS_DATA_KEYS": TEST_DATA_KEYS,
           "IRIS_WORKFLOWS_DIR": str(settings.workflows_dir)}

    def iris(*args: str) -> Any:
        return CliRunner(env=env).invoke(main, list(args))

    async def with_services(work: Any) -> Any:
        services = build_services(settings, clock=ManualClock(utcnow()))
        try:
            return await work(services)
        finally:
            await services.db.dispose()

    async def withdraw_note(services: Services) -> CaseEvent:
        async with services.db.read() as session:
            return (await session.scalars(select(CaseEvent).where(
                CaseEvent.event == "withdraw"))).one()  # type: ignore[arg-type]

    async def file_in_clear(services: Services) -> int:
        case_id = await _file(services, "Call my wife Sunita, not me")
        await _legacy(services, case_id)
        return case_id

    case_id = asyncio.run(with_services(file_in_clear))
    result = iris("db", "upgrade")
    assert result.exit_code == 0 and "sealed 1 personal notes" in result.output, result.output
    event = asyncio.run(with_services(withdraw_note))
    assert event.note is None and event.note_sealed and event.note_commitment
    assert iris("audit", "verify").exit_code == 0

    asyncio.run(with_services(lambda services: _legacy(services, case_id)))
    result = iris("keys", "rotate")
    assert result.exit_code == 0 and "sealed 1 personal notes" in result.output, result.output
    assert asyncio.run(with_services(withdraw_note)).note is None

    async def tamper(services: Services) -> None:
        await _legacy(services, case_id)
        async with services.db.write() as session:
            event = (await session.scalars(select(CaseEvent).where(
                CaseEvent.event == "withdraw"))).one()  # type: ignore[arg-type]
            event.note = "Call me"

    asyncio.run(with_services(tamper))
    result = iris("db", "upgrade")
    assert result.exit_code == 1 and f"cases {case_id} do not verify" in result.output, result.output
    assert asyncio.run(with_services(withdraw_note)).note == "Call me"
