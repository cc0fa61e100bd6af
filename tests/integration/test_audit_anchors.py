"""Audit anchors: taken by the ticker every interval, kept in files outside the database,
published at an endpoint and to webhook subscribers, refused over a trail that lost what the
last one remembers; and verification loops over the read models the domains declare."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, make_url, select
from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.audit import AnchorSigner, AuditTrail, generate_signing_key, verify_trail
from iris_engine.audit import service as audit_service
from iris_engine.audit.anchors import Anchor
from iris_engine.audit.models import AuditAnchor
from iris_engine.audit.signing import signature_holds
from iris_engine.domain import Domain
from iris_engine.outbox import enqueue
from iris_engine.store.db import Database
from iris_engine.store.models import Case, CaseEvent
from iris_engine.workflow import HookRegistry, WorkflowSpec
from tests.integration.conftest import Cast, World, assert_problem, newcomer, walk_to
from tests.integration.test_audit_tampering import delete_case_whole
from tests.integration.test_outbox import WebhookReceiver

SIGNING_KEY, PUBLIC_KEY = generate_signing_key()
HOUR = 3600


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"anchor_signing_key": SIGNING_KEY, "anchor_interval_seconds": HOUR}


async def anchors_recorded(world: World) -> int:
    async with world.services.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditAnchor)) or 0)


async def test_the_anchor_endpoint_is_documented_with_the_one_error_shape(world: World) -> None:
    schema = (await world.client.get("/schema/openapi.json")).json()
    latest = schema["paths"]["/api/v1/audit/anchors/latest"]["get"]
    assert latest["operationId"] == "getLatestAuditAnchor"
    assert "security" not in latest  # public: no token
    assert list(latest["responses"]["404"]["content"]) == ["application/problem+json"]
    document = latest["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][document.rsplit("/", 1)[1]]["properties"]
    assert set(fields) == {"format", "seq", "taken_at", "cases", "events", "heads_digest",
                           "algorithm", "key_id", "signature"}  # no heads, nothing personal
    assert "/api/v1/audit/anchors/key" in schema["paths"]
    subscribe = schema["paths"]["/api/v1/audit/anchors/subscriptions"]["post"]
    assert list(subscribe["responses"]["422"]["content"]) == ["application/problem+json"]

    none_yet = await world.client.get("/api/v1/audit/anchors/latest")
    assert none_yet.status_code == 404
    assert_problem(none_yet)
    bad = await world.client.post("/api/v1/audit/anchors/subscriptions",
                                  json={"url": "ftp://anchors.example/in"})
    assert bad.status_code == 422
    assert_problem(bad)
    assert [e["pointer"] for e in bad.json()["errors"]] == ["/url"]



async def cases_in_trail(world: World) -> int:
    """Every case: the applications and the training cases that certified their recruiters'
    staff (accreditation's prerequisite)."""
    async with world.services.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)

async def test_the_ticker_anchors_every_interval_and_publishes_each(world: World,
                                                                    cast: Cast) -> None:
    await walk_to(cast, "accredited")
    await walk_to(await newcomer(world, cast, 0), "submitted")
    async with WebhookReceiver(world.clock, fail_first=0) as receiver:
        r = await world.client.post("/api/v1/audit/anchors/subscriptions",
                                    json={"url": receiver.url})
        assert r.status_code == 201, r.text
        sub = r.json()
        assert (sub["topic"], sub["lrn"], sub["status"]) == ("audit.anchor", None, "pending")
        receiver.secret = sub["secret"]
        # like every webhook, it hears of nothing before it has echoed its challenge
        challenged = await world.ticker.outbox.run_once()
        assert challenged.delivered == 1 and len(receiver.challenges) == 1
        assert receiver.challenges[0].payload["data"]["topic"] == "audit.anchor"

        report = await world.tick()
        assert report.anchor is not None and report.anchor.seq == 1
        assert report.anchor.cases == await cases_in_trail(world)
        assert report.outbox.delivered == 1
        [delivery] = receiver.requests
        assert delivery.signature_valid and delivery.headers["iris-topic"] == "audit.anchor"

        r = await world.client.get("/api/v1/audit/anchors/latest")
        assert r.status_code == 200 and r.headers["cache-control"] == "max-age=60, public"
        latest = r.json()
        assert delivery.payload["data"] == latest == report.anchor.document()
        key = (await world.client.get("/api/v1/audit/anchors/key")).json()
        assert key == {"algorithm": "Ed25519", "key_id": report.anchor.key_id,
                       "public_key": PUBLIC_KEY, "development": False}
        signed = json.dumps({k: v for k, v in latest.items() if k != "signature"},
                            sort_keys=True, separators=(",", ":")).encode()
        assert signature_holds(key["public_key"], signed, latest["signature"])

        # outside the database: the anchor's file (with the heads) and its log line
        [path] = world.settings.anchor_dir.glob("anchor-*.json")
        record = json.loads(path.read_text())
        assert record["heads"] == [list(h) for h in report.anchor.heads]
        log = (world.settings.anchor_dir / "anchors.jsonl").read_text().splitlines()
        assert [json.loads(line) for line in log] == [latest]

        world.clock.advance(seconds=HOUR - 1)
        assert (await world.tick()).anchor is None  # not due yet
        await walk_to(await newcomer(world, cast, 1), "submitted")
        world.clock.advance(seconds=1)
        second = (await world.tick()).anchor
        assert second is not None and (second.seq, second.cases) == (2, await cases_in_trail(world))
        assert second.cases > report.anchor.cases
        assert len(receiver.requests) == 2

        r = await world.client.post("/api/v1/subscriptions/cancel", json={"token": sub["token"]})
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        world.clock.advance(seconds=HOUR)
        assert (await world.tick()).anchor is not None
        assert len(receiver.requests) == 2  # no longer sent
    assert len(list(world.settings.anchor_dir.glob("anchor-*.json"))) == 3


async def test_the_ticker_refuses_to_anchor_over_a_deleted_case(
        world: World, cast: Cast, caplog: pytest.LogCaptureFixture) -> None:
    """Signing the trail as it is after a deletion would launder it: the next anchor would
    no longer remember the case. The ticker refuses, loudly, at every try."""
    await walk_to(cast, "accredited")
    gone = await walk_to(await newcomer(world, cast, 0), "submitted")
    first = (await world.tick()).anchor
    assert first is not None
    async with world.services.db.write() as session:
        await delete_case_whole(session, gone)
    world.clock.advance(seconds=HOUR)
    with caplog.at_level(logging.CRITICAL, logger="iris_engine.audit.service"):
        assert (await world.tick()).anchor is None
    assert await anchors_recorded(world) == 1
    [alarm] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert "audit trail tampered with" in alarm.getMessage()
    assert f"case {gone} (anchored at event #" in alarm.getMessage()
    latest = (await world.client.get("/api/v1/audit/anchors/latest")).json()
    assert latest["seq"] == 1  # the public sees the anchors stop

    caplog.clear()
    world.clock.advance(seconds=HOUR)
    with caplog.at_level(logging.CRITICAL, logger="iris_engine.audit.service"):
        assert (await world.tick()).anchor is None
    assert [r.levelno for r in caplog.records] == [logging.CRITICAL]

    # after the investigation, an operator may anchor anyway: the first file still shows it
    anchor, _ = await world.services.audit.take_anchor(force=True)
    assert (anchor.seq, anchor.cases) == (2, first.cases - 1) == (2, await cases_in_trail(world))
    assert len(list(world.settings.anchor_dir.glob("anchor-*.json"))) == 2


async def test_the_ticker_refuses_when_anchor_rows_were_removed(world: World,
                                                                cast: Cast) -> None:
    await walk_to(cast, "submitted")
    assert (await world.tick()).anchor is not None
    async with world.services.db.write() as session:
        await session.execute(AuditAnchor.__table__.delete())  # type: ignore[attr-defined]
    world.clock.advance(seconds=HOUR)
    assert (await world.tick()).anchor is None
    assert await anchors_recorded(world) == 0


# -- read models are the domains' to declare -------------------------------------------------
class ProbeReplay:
    """A read model of a domain the platform has never heard of."""

    name = "probe"

    def __init__(self) -> None:
        self.workflows = frozenset({"accreditation"})
        self.seen: list[tuple[int, list[str], str]] = []

    def replay(self, case: Case, events: Sequence[CaseEvent],
               specs: Sequence[WorkflowSpec]) -> None:
        self.seen.append((case.id or 0, [e.event for e in events], specs[-1].name))

    async def differences(self, session: AsyncSession) -> list[str]:
        return [f"saw {len(self.seen)} cases"]


async def test_verify_rebuilds_every_read_model_a_domain_declares(world: World,
                                                                  cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    probes: list[ProbeReplay] = []

    def make() -> ProbeReplay:
        probes.append(ProbeReplay())
        return probes[-1]

    probe = Domain(name="probe", hooks=HookRegistry(), read_models=(make,))
    async with world.services.db.snapshot() as session:
        report = await verify_trail(session, world.services.catalog,
                                    (*world.services.domains, probe))
    assert report.read_models == ["roster", "roster scope", "probe"]
    [replay] = probes
    assert replay.seen == [(case_id, ["open", "update_scope", "submit"], "accreditation")]
    assert [str(f) for f in report.findings] == ["read model probe: saw 1 cases"]


async def test_an_anchor_file_written_is_the_anchor_read(world: World, cast: Cast) -> None:
    from iris_engine.audit import read_anchor

    await walk_to(cast, "accredited")
    anchor, path = await world.services.audit.take_anchor()
    assert read_anchor(world.settings.anchor_dir) == anchor
    assert Anchor.from_record(json.loads(Path(path).read_text()), path).check_signature(
        [PUBLIC_KEY]) == PUBLIC_KEY


def other_process(world: World) -> tuple[Database, AuditTrail]:
    """A second serving process's audit trail, on a database connection of its own."""
    other_db = Database(world.settings)
    return other_db, AuditTrail(other_db, world.settings, world.clock, world.services.catalog,
                                world.services.domains, AnchorSigner(SIGNING_KEY),
                                world.services.vault)


class HeldHeads:
    """``current_heads`` that, once it has read, holds until ``go_on`` is set (a process
    caught half-way through taking an anchor), counting its reads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reading, self.go_on, self.reads = asyncio.Event(), asyncio.Event(), 0
        self._read = audit_service.current_heads
        monkeypatch.setattr(audit_service, "current_heads", self)

    async def __call__(self, session: AsyncSession) -> Any:
        self.reads += 1
        heads = await self._read(session)
        self.reading.set()
        await self.go_on.wait()
        return heads

    async def caught_reading(self, audit: AuditTrail) -> asyncio.Future[Anchor | None]:
        """``audit``'s periodic anchor, begun and caught reading the heads."""
        taking = asyncio.ensure_future(audit.anchor_if_due())
        await asyncio.wait_for(self.reading.wait(), 30)
        return taking


async def test_an_anchor_due_is_read_by_the_one_process_that_claims_it(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every serving process ticks. While one reads every case's head for the anchor, another
    that finds it due takes no second read: it answers at once and tries again later, when it
    finds the anchor taken; the claim is free again once the first is done."""
    await walk_to(cast, "submitted")
    heads = HeldHeads(monkeypatch)
    other_db, other = other_process(world)
    try:
        first = await heads.caught_reading(world.services.audit)
        assert await asyncio.wait_for(other.anchor_if_due(), 30) is None
        assert heads.reads == 1  # the other process read no head
        heads.go_on.set()
        anchor = await first
        assert anchor is not None and anchor.seq == 1

        world.clock.advance(minutes=11)  # past the other's next try, not the interval
        assert await other.anchor_if_due() is None  # the anchor is taken: not due yet
        assert heads.reads == 1
        world.clock.advance(seconds=HOUR)
        second = await other.anchor_if_due()  # the first freed its claim
        assert second is not None and second.seq == 2 and heads.reads == 2
    finally:
        heads.go_on.set()
        await other_db.dispose()
    assert await anchors_recorded(world) == 2


async def test_a_process_stopped_while_anchoring_frees_its_claim(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """A serving process shut down half-way through the anchor (its task cancelled) leaves no
    claim behind: another process takes the anchor at its next tick."""
    await walk_to(cast, "submitted")
    heads = HeldHeads(monkeypatch)
    other_db, other = other_process(world)
    try:
        first = await heads.caught_reading(world.services.audit)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        heads.go_on.set()
        anchor = await asyncio.wait_for(other.anchor_if_due(), 30)
    finally:
        heads.go_on.set()
        await other_db.dispose()
    assert anchor is not None and anchor.seq == 1
    assert await anchors_recorded(world) == 1


async def test_two_processes_due_at_once_take_one_anchor(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """Processes that take no claim (a version from before the claim, beside a new one during
    an upgrade): both read that anchor 1 is due, both sign it; one records it and writes its
    file, the other fails on that row and writes nothing, quietly."""

    @asynccontextmanager
    async def no_claim(_db: Database, _name: str) -> AsyncIterator[bool]:
        yield True

    monkeypatch.setattr(Database, "exclusive", no_claim)
    await walk_to(cast, "submitted")
    both_read = asyncio.Barrier(2)
    read_heads = audit_service.current_heads

    async def heads_when_both_have_read(session: AsyncSession) -> Any:
        heads = await read_heads(session)
        await both_read.wait()
        return heads

    monkeypatch.setattr(audit_service, "current_heads", heads_when_both_have_read)
    other_db, other = other_process(world)
    try:
        with caplog.at_level(logging.INFO, logger="iris_engine.audit.service"):
            taken = await asyncio.gather(world.services.audit.anchor_if_due(),
                                         other.anchor_if_due())
    finally:
        await other_db.dispose()
    assert sorted(a is None for a in taken) == [False, True]
    assert await anchors_recorded(world) == 1
    assert len(list(world.settings.anchor_dir.glob("anchor-*.json"))) == 1
    assert len((world.settings.anchor_dir / "anchors.jsonl").read_text().splitlines()) == 1
    assert [r.levelno for r in caplog.records if "another process" in r.getMessage()] == [
        logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_taking_an_anchor_leaves_the_event_loop_free(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """The serving process takes the anchor (a million cases: seconds of work, every interval):
    the heads are read ``HEADS_PER_STEP`` at a time with the event loop free between two steps,
    and compared with the last anchor's, counted and hashed in a thread, so the requests beside
    it are served meanwhile."""
    import itertools
    import threading

    from sqlalchemy.ext.asyncio import AsyncResult

    from iris_engine.audit import heads as audit_heads

    await walk_to(cast, "accredited")
    await world.services.audit.take_anchor()  # the next one compares with it
    now = world.clock()
    async with world.services.db.write() as session:
        session.add_all(Case(workflow="accreditation", workflow_version=1, state="draft",
                             created_at=now, updated_at=now) for _ in range(30))
    monkeypatch.setattr(audit_heads, "HEADS_PER_STEP", 4)
    built = 0  # heads handed to the anchor so far
    real_partitions = AsyncResult.partitions

    async def counted(self: AsyncResult[Any], size: int | None = None) -> Any:
        nonlocal built
        async for rows in real_partitions(self, size):
            built += len(rows)
            yield rows

    monkeypatch.setattr(AsyncResult, "partitions", counted)
    threads: set[str] = set()

    def noting_its_thread(real: Any) -> Any:
        def on_its_thread(*args: Any) -> Any:
            threads.add(threading.current_thread().name)
            return real(*args)
        return on_its_thread

    for module, name in ((audit_service, "heads_digest"), (audit_heads, "_compared")):
        monkeypatch.setattr(module, name, noting_its_thread(getattr(module, name)))

    seen: list[int] = []  # heads built so far, at each turn the loop gave another task
    taking = True

    async def beside() -> None:
        while taking:
            seen.append(built)
            await asyncio.sleep(0)

    other = asyncio.create_task(beside())
    anchor, _ = await world.services.audit.take_anchor()
    taking = False
    await other
    assert anchor.cases > 30 and seen[-1] == anchor.cases
    assert max(b - a for a, b in itertools.pairwise(seen)) <= 4, seen
    assert threads and threading.main_thread().name not in threads, threads


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL: no file
async def test_an_anchor_that_cannot_be_claimed_is_logged_and_the_tick_goes_on(
        world: World, cast: Cast, caplog: pytest.LogCaptureFixture) -> None:
    """SQLite's claim is a lock file beside the database: where it cannot be opened, the
    anchor is not taken (an error logged, tried again later) and the tick delivers its
    messages as usual."""
    database = Path(make_url(world.settings.database_url).database or "")
    database.with_name(f"{database.name}-audit-anchor.lock").mkdir()  # no file can be opened
    await walk_to(cast, "submitted")
    await world.tick()  # what the walk queued, delivered
    async with world.services.db.write() as session:
        enqueue(session, channel="webhook", destination="http://127.0.0.1:9/nobody",
                topic="probe", payload={"data": {}}, now=world.clock())
    with caplog.at_level(logging.ERROR, logger="iris_engine.audit.service"):
        report = await world.tick()
    assert report.anchor is None and await anchors_recorded(world) == 0
    said = [r.getMessage() for r in caplog.records if r.name == "iris_engine.audit.service"]
    assert len(said) == 1 and said[0].startswith("no audit anchor taken: it could not be claimed")
    assert report.outbox.claimed == 1  # the tick went on to the outbox
