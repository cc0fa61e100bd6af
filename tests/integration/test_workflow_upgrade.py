"""Moving live cases to a later version of their workflow (``iris_engine.cases.upgrade``), on
the test-only inquiry workflow (tests/sample_domain): its cases open on v1 in a deployment
that knows only v1, then a deployment that knows v1 (in a sub-folder) and a v2 moves them."""

from __future__ import annotations

import asyncio
import copy
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from httpx import ASGITransport, AsyncClient
from sqlalchemy import delete, select, text

from iris_engine.app import create_app
from iris_engine.cases import Principal, TransitionContext
from iris_engine.cases.upgrade import UpgradeReport, WorkflowUpgrade
from iris_engine.clock import ManualClock, utcnow
from iris_engine.domain import Domain
from iris_engine.domains import DOMAINS
from iris_engine.services import Services, build_services
from iris_engine.store.models import Case, CaseEvent, Timer
from iris_engine.ticker import Ticker
from iris_engine.workflow import HookRegistry, TransitionInput
from tests import sample_domain
from tests.conftest import REPO
from tests.integration import conftest
from tests.integration.conftest import Actor, World

V1: dict[str, Any] = yaml.safe_load(sample_domain.WORKFLOW_FILE.read_text())

# an anchor for v2's anchored timer, in a registry of its own (v1 needs none)
anchors = HookRegistry()


@anchors.anchor("inquiry_asked")
async def inquiry_asked(ctx: TransitionContext) -> datetime:
    return ctx.case.created_at


#: a test sets these to hold an upgrade inside its transaction (the case locked)
GATE: dict[str, asyncio.Event] = {}


@anchors.anchor("behind_a_gate")
async def behind_a_gate(ctx: TransitionContext) -> datetime:
    GATE["inside"].set()
    await GATE["open"].wait()
    return ctx.case.created_at + timedelta(days=20)


ANCHORS = Domain(name="inquiry-anchors", hooks=anchors)


def v2(**states: Any) -> dict[str, Any]:
    """v1 moved on: ``answer_due`` renamed ``reply_due`` (five days), a hold, and a review of
    escalated inquiries anchored 30 days after the question; ``states`` replaces states."""
    spec = copy.deepcopy(V1)
    spec["version"] = 2
    spec["states"]["on_hold"] = {"description": "Waiting on the recruiter"}
    spec["transitions"] += [
        {"event": "hold", "from": "asked", "to": "on_hold", "roles": ["scheme_manager"]},
        {"event": "resume", "from": "on_hold", "to": "asked", "roles": ["scheme_manager"]},
    ]
    spec["timers"] = {
        "reply_due": {"states": ["asked"], "after": "P5D", "fire": {"event": "escalate"}},
        "escalation_review": {"states": ["escalated"], "at": "inquiry_asked", "offset": "P30D",
                              "notify": ["scheme_manager"]},
    }
    spec["states"].update(states)
    return spec


def v2_without_escalated() -> dict[str, Any]:
    spec = v2()
    del spec["states"]["escalated"]
    spec["states"]["late"] = {"description": "Not answered in time"}
    for t in spec["transitions"]:
        if t["event"] == "escalate":
            t["to"] = "late"
        if t["event"] == "answer":
            t["from"] = ["asked", "late"]
    spec["timers"]["escalation_review"]["states"] = ["late"]
    return spec


def v2_escalated_closed(*, final: bool) -> dict[str, Any]:
    spec = v2(escalated={"description": "Not answered in time", "final": final})
    for t in spec["transitions"]:
        if t["event"] == "answer":
            t["from"] = ["asked"]
    del spec["timers"]["escalation_review"]
    return spec


@dataclass
class Deployment:
    """The next release over the same database: v1 in a sub-folder, v2 beside it."""

    services: Services
    client: AsyncClient
    ticker: Ticker

    @property
    def upgrade(self) -> WorkflowUpgrade:
        return WorkflowUpgrade(self.services.db, self.services.engine)

    async def run(self, **kw: Any) -> UpgradeReport:
        return await self.upgrade.run("inquiry", 2, **kw)


@dataclass
class Inquiries:
    world: World
    asker: Actor
    manager: Actor
    deploy: Callable[[dict[str, Any]], Awaitable[Deployment]]

    async def ask(self, question: str = "Who pays for the medical?") -> int:
        r = await self.asker.post("/api/v1/inquiries", {"question": question})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    async def escalated(self) -> int:
        """An inquiry left unanswered past its v1 deadline."""
        case_id = await self.ask("Is a skills test a related cost?")
        self.world.clock.advance(days=10, minutes=1)
        await self.world.tick()
        assert (await self.case(case_id)).state == "escalated"
        return case_id

    async def answered(self) -> int:
        case_id = await self.ask("And visas?")
        r = await self.manager.post(f"/api/v1/inquiries/{case_id}/transitions",
                                    {"event": "answer", "expected_revision": 1, "note": "Yes."})
        assert r.status_code == 200, r.text
        return case_id

    async def case(self, case_id: int) -> Case:
        async with self.world.services.db.read() as session:
            found = await session.get(Case, case_id)
            assert found is not None
            return found

    async def timers(self, case_id: int) -> dict[str, tuple[str, datetime]]:
        """Deadline name -> (status, due), the latest row of each name."""
        async with self.world.services.db.read() as session:
            rows = (await session.scalars(select(Timer).where(
                Timer.case_id == case_id, Timer.kind == "deadline").order_by(Timer.id))).all()
        return {t.name: (t.status, _utc(t.due_at)) for t in rows}

    async def events(self, case_id: int) -> list[CaseEvent]:
        async with self.world.services.db.read() as session:
            return list((await session.scalars(select(CaseEvent).where(
                CaseEvent.case_id == case_id).order_by(CaseEvent.seq))).all())


def _utc(moment: datetime) -> datetime:
    """A moment as naive UTC (SQLite hands back naive times, PostgreSQL aware ones)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@pytest.fixture
def v1_spec() -> dict[str, Any]:
    """The version the cases open on (a test parametrizes it to change it)."""
    return V1


@pytest.fixture
async def inquiries(database_url: str, tmp_path: Path,
                    v1_spec: dict[str, Any]) -> AsyncIterator[Inquiries]:
    folder = tmp_path / "release1"
    shutil.copytree(REPO / "workflows", folder)
    (folder / "inquiry.yaml").write_text(yaml.safe_dump(v1_spec, sort_keys=False))
    clock = ManualClock(utcnow())
    domains = (*DOMAINS, sample_domain.DOMAIN, ANCHORS)
    settings = conftest.test_settings(database_url, workflows_dir=folder)
    services = build_services(settings, clock=clock, domains=domains)
    async with services.db.write_engine.begin() as conn:  # its table ships with no migration
        await conn.run_sync(sample_domain.SampleBase.metadata.create_all)
    ticker = Ticker(services, "test-ticker")
    releases: list[Deployment] = []

    async def deploy(next_version: dict[str, Any]) -> Deployment:
        release = tmp_path / f"release{len(releases) + 2}"
        shutil.copytree(REPO / "workflows", release)
        (release / "inquiry").mkdir()
        (release / "inquiry" / "inquiry-v1.yaml").write_text(yaml.safe_dump(v1_spec,
                                                                            sort_keys=False))
        (release / "inquiry.yaml").write_text(yaml.safe_dump(next_version, sort_keys=False))
        new = build_services(conftest.test_settings(database_url, workflows_dir=release),
                             clock=clock, domains=domains)
        app = create_app(new.settings, services=new)
        client = AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver")
        releases.append(Deployment(new, client, Ticker(new, "test-ticker-2")))
        return releases[-1]

    app = create_app(settings, services=services)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
        world = conftest.World(services, client, settings, clock, ticker)
        yield Inquiries(
            world, await world.recruiter("Asking Agency"),
            await world.staff("manager@scheme.example", "scheme_manager", organisation="Scheme",
                              kind="scheme"),
            deploy)
    for release in releases:
        await release.client.aclose()
        await release.ticker.stop()
        await release.services.db.dispose()
    await ticker.stop()
    await services.db.dispose()


async def assert_trail_intact(deployment: Deployment) -> None:
    report = await deployment.services.audit.verify()
    assert report.intact, "\n".join(map(str, report.findings))


# -- moving -----------------------------------------------------------------------------------
async def test_a_dry_run_says_what_would_move_and_writes_nothing(inquiries: Inquiries) -> None:
    # (the escalated one first: the others' deadlines then still run)
    escalated, asked, answered = (await inquiries.escalated(), await inquiries.ask(),
                                  await inquiries.answered())
    before = {c: (await inquiries.case(c), await inquiries.timers(c))
              for c in (asked, escalated, answered)}
    release = await inquiries.deploy(v2())

    report = await release.run(dry_run=True)

    assert [(m.case_id, m.verdict, m.state) for m in report.moves] == [
        (escalated, "move", "escalated"), (asked, "move", "asked")]
    assert report.closed == 1  # the answered one stays on v1
    by_case = {m.case_id: m for m in report.moves}
    assert (by_case[asked].cancelled, by_case[asked].started.keys()) == (["answer_due"],
                                                                         {"reply_due"})
    assert by_case[escalated].started.keys() == {"escalation_review"}
    for case_id, (case, timers) in before.items():
        now = await inquiries.case(case_id)
        assert (now.workflow_version, now.revision, now.head_hash) == (
            1, case.revision, case.head_hash)
        assert await inquiries.timers(case_id) == timers


async def test_live_cases_move_with_their_timers_and_the_trail_verifies(
        inquiries: Inquiries) -> None:
    # (the escalated one first: the others' deadlines then still run)
    escalated, asked, answered = (await inquiries.escalated(), await inquiries.ask(),
                                  await inquiries.answered())
    escalated_opened = (await inquiries.case(escalated)).created_at
    release = await inquiries.deploy(v2())
    moved_at = inquiries.world.clock()

    report = await release.run()

    assert report.complete and [m.case_id for m in report.of("move")] == [escalated, asked]
    for case_id in (asked, escalated):
        case = await inquiries.case(case_id)
        last = (await inquiries.events(case_id))[-1]
        assert (case.workflow_version, case.revision) == (2, last.seq)
        assert (last.event, last.from_state, last.to_state, last.actor_role, last.actor_id) == (
            "upgrade", case.state, case.state, "system", None)
        assert (last.data["from_version"], last.data["to_version"]) == (1, 2)
    assert (await inquiries.case(answered)).workflow_version == 1
    # asked: v1's answer_due cancelled, v2's reply_due counted from the move
    timers = await inquiries.timers(asked)
    assert timers["answer_due"][0] == "cancelled"
    assert timers["reply_due"] == ("pending", _utc(moved_at + timedelta(days=5)))
    # escalated: the review v2 adds, from its anchor (the question), not from the move
    assert (await inquiries.timers(escalated))["escalation_review"] == (
        "pending", _utc(escalated_opened + timedelta(days=30)))
    await assert_trail_intact(release)

    # the moved case now runs on v2: its new deadline fires v2's escalation, v2's events fire
    inquiries.world.clock.advance(days=5, minutes=1)
    await release.ticker.tick(budget_seconds=float("inf"))
    assert (await inquiries.case(asked)).state == "escalated"
    r = await release.client.post("/api/v1/inquiries", json={"question": "Now?"},
                                  headers=inquiries.asker.headers)
    fresh = r.json()["id"]  # opened on v2 by the new release
    r = await release.client.post(f"/api/v1/inquiries/{fresh}/transitions",
                                  json={"event": "hold", "expected_revision": 1},
                                  headers=inquiries.manager.headers)
    assert r.status_code == 200, r.text
    await assert_trail_intact(release)


async def test_running_it_again_moves_nothing(inquiries: Inquiries) -> None:
    asked = await inquiries.ask()
    release = await inquiries.deploy(v2())
    assert len((await release.run()).of("move")) == 1
    case = await inquiries.case(asked)
    timers = await inquiries.timers(asked)

    again = await release.run()
    named = await release.run(case_ids=[asked])

    assert again.moves == [] and again.complete
    assert [(m.case_id, m.verdict) for m in named.moves] == [(asked, "current")] and named.complete
    after = await inquiries.case(asked)
    assert (after.revision, after.head_hash) == (case.revision, case.head_hash)
    assert await inquiries.timers(asked) == timers


NOTICE_ONLY = copy.deepcopy(V1)
NOTICE_ONLY["timers"]["answer_due"] = {"states": ["asked"], "after": "P10D",
                                       "notify": ["scheme_manager"]}


@pytest.mark.parametrize("v1_spec", [NOTICE_ONLY], ids=["notice-only"])
async def test_a_deadline_already_had_in_this_stay_is_not_given_again(
        inquiries: Inquiries) -> None:
    """v1's deadline only tells the manager, and the case stays; v2 keeps that deadline: told
    and not met, it still applies (overdue), and is kept as it is, not set (and sent) again."""
    case_id = await inquiries.ask()
    inquiries.world.clock.advance(days=10, minutes=1)
    tick = await inquiries.world.tick()
    assert tick.timers.told == 1 and (await inquiries.case(case_id)).state == "asked"
    release = await inquiries.deploy({**NOTICE_ONLY, "version": 2})

    report = await release.run()

    assert [(m.case_id, m.verdict, m.started, m.kept, m.cancelled) for m in report.moves] == [
        (case_id, "move", {}, ["answer_due"], [])]
    assert (await inquiries.timers(case_id))["answer_due"][0] == "overdue"


# -- refusing ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("next_version", "says"), [
    (v2_without_escalated(), "state 'escalated' does not exist in inquiry v2 (its states: "
                             "asked, answered, on_hold, late)"),
    (v2_escalated_closed(final=True), "'escalated' is final in v2: a case is closed by a "
                                      "decision, not by an upgrade"),
    (v2_escalated_closed(final=False), "no event of v2 leads out of 'escalated': the case "
                                       "would be stuck there"),
], ids=["state-gone", "state-final", "state-stuck"])
async def test_a_case_that_cannot_move_is_refused_and_left_whole(
        inquiries: Inquiries, next_version: dict[str, Any], says: str) -> None:
    escalated, asked = await inquiries.escalated(), await inquiries.ask()
    before = await inquiries.case(escalated), await inquiries.timers(escalated)
    release = await inquiries.deploy(next_version)

    for dry_run in (True, False):
        report = await release.run(dry_run=dry_run)
        assert not report.complete
        assert [(m.case_id, m.verdict, m.reason) for m in report.moves] == [
            (escalated, "refused", says), (asked, "move", "")]

    case = await inquiries.case(escalated)
    assert (case.workflow_version, case.revision, case.head_hash) == (
        1, before[0].revision, before[0].head_hash)
    assert await inquiries.timers(escalated) == before[1]
    assert (await inquiries.case(asked)).workflow_version == 2
    await assert_trail_intact(release)


async def test_a_case_whose_detail_does_not_load_is_refused(inquiries: Inquiries) -> None:
    case_id = await inquiries.ask()
    async with inquiries.world.services.db.write() as session:
        await session.execute(delete(sample_domain.Inquiry).where(
            sample_domain.Inquiry.case_id == case_id))  # type: ignore[arg-type]
    release = await inquiries.deploy(v2())

    report = await release.run(case_ids=[case_id, 999_999])

    assert [(m.case_id, m.verdict) for m in report.moves] == [(case_id, "refused"),
                                                             (999_999, "refused")]
    assert report.moves[0].reason.startswith("its detail does not load")
    assert report.moves[1].reason == "no case 999999"
    assert (await inquiries.case(case_id)).workflow_version == 1


async def test_an_unknown_target_version_is_refused_whole(inquiries: Inquiries) -> None:
    await inquiries.ask()
    release = await inquiries.deploy(v2())
    with pytest.raises(Exception, match="no workflow 'inquiry' version 3"):
        await release.upgrade.run("inquiry", 3)


# -- the audit trail --------------------------------------------------------------------------
async def test_a_version_changed_by_hand_is_caught(inquiries: Inquiries) -> None:
    case_id = await inquiries.ask()
    release = await inquiries.deploy(v2())
    async with release.services.db.write() as session:
        await session.execute(text("UPDATE case_file SET workflow_version = 2 WHERE id = :c"),
                              {"c": case_id})

    report = await release.services.audit.verify()

    assert [str(f) for f in report.findings] == [
        f"case {case_id}: the row says inquiry v2, but its events leave it on v1 (a version "
        "changes only by an 'upgrade' event)"]


async def test_an_upgrade_event_altered_is_caught(inquiries: Inquiries) -> None:
    case_id = await inquiries.ask()
    release = await inquiries.deploy(v2())
    await release.run()
    async with release.services.db.write() as session:
        row = (await session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.event == "upgrade"))).one()
        row.data = {**row.data, "to_version": 3}

    report = await release.services.audit.verify()

    assert any("content does not match its hash" in str(f) for f in report.findings)


# -- at the same time as a transition ---------------------------------------------------------
async def test_an_upgrade_and_a_transition_at_once_serialise_on_the_case(
        inquiries: Inquiries) -> None:
    release = await inquiries.deploy(v2())
    # cases opened on v1 by the first release, answered through the new one meanwhile
    cases = [await inquiries.ask(f"Question {n}?") for n in range(6)]
    for case_id in cases:
        answer = release.client.post(f"/api/v1/inquiries/{case_id}/transitions",
                                     json={"event": "answer", "expected_revision": 1,
                                           "note": "Answered."},
                                     headers=inquiries.manager.headers)
        r, report = await asyncio.gather(answer, release.run(case_ids=[case_id]))
        case = await inquiries.case(case_id)
        [move] = report.moves
        if move.verdict == "move":  # the upgrade locked the case first: the answer was stale
            assert r.status_code == 409, r.text
            assert (case.workflow_version, case.state) == (2, "asked")
            assert (await inquiries.timers(case_id))["reply_due"][0] == "pending"
        else:  # the answer came first: the case closed on v1, and a closed case stays
            assert r.status_code == 200, r.text
            assert move.verdict == "refused" and "closed" in move.reason
            assert (case.workflow_version, case.state) == (1, "answered")
            assert {s for s, _ in (await inquiries.timers(case_id)).values()} == {"cancelled"}
    await assert_trail_intact(release)


async def test_a_transition_holding_the_case_goes_first(inquiries: Inquiries) -> None:
    case_id = await inquiries.ask()
    release = await inquiries.deploy(v2())
    manager = inquiries.manager
    as_manager = Principal(manager.user_id, manager.organisation_id,
                           frozenset({"scheme_manager"}))
    services = inquiries.world.services
    async with services.db.write() as session:  # the answer, in its transaction: case locked
        await services.engine.fire(session, "inquiry", case_id, as_manager,
                                   TransitionInput("answer", 1, note="Answered."))
        upgrade = asyncio.create_task(release.run(case_ids=[case_id]))
        await asyncio.sleep(0.5)
        assert not upgrade.done()  # it waits for the case
    [move] = (await upgrade).moves

    assert (move.verdict, move.reason) == ("refused", "it is closed ('answered' is final in "
                                           "v1): a closed case stays on the version it closed on")
    assert (await inquiries.case(case_id)).workflow_version == 1
    await assert_trail_intact(release)


async def test_an_upgrade_holding_the_case_goes_first(inquiries: Inquiries) -> None:
    case_id = await inquiries.ask()
    gated = v2()
    gated["timers"]["reply_due"] = {"states": ["asked"], "at": "behind_a_gate",
                                    "notify": ["scheme_manager"]}
    release = await inquiries.deploy(gated)
    GATE.update(inside=asyncio.Event(), open=asyncio.Event())
    upgrade = asyncio.create_task(release.run(case_ids=[case_id]))
    await GATE["inside"].wait()  # the upgrade holds the case, in its transaction
    answer = asyncio.create_task(release.client.post(
        f"/api/v1/inquiries/{case_id}/transitions", headers=inquiries.manager.headers,
        json={"event": "answer", "expected_revision": 1, "note": "Answered."}))
    await asyncio.sleep(0.5)
    assert not answer.done()  # it waits for the case
    GATE["open"].set()
    [move] = (await upgrade).moves
    r = await answer

    assert (move.verdict, move.event_seq) == ("move", 2)
    assert r.status_code == 409, r.text  # the case moved on under it: reload and try again
    assert "is at revision 2, not 1" in r.json()["detail"]
    r = await release.client.post(
        f"/api/v1/inquiries/{case_id}/transitions", headers=inquiries.manager.headers,
        json={"event": "answer", "expected_revision": 2, "note": "Answered."})
    assert r.status_code == 200, r.text
    await assert_trail_intact(release)


async def test_a_deadline_the_detail_cannot_say_is_refused(inquiries: Inquiries) -> None:
    """v2's deadline depends on a detail value the case does not have: no half-set timers."""
    case_id = await inquiries.ask()
    by_field = v2()
    by_field["timers"]["reply_due"]["after"] = {"by": "withdrawn", "yes": "P1D"}
    release = await inquiries.deploy(by_field)

    [move] = (await release.run()).moves

    assert (move.verdict, move.reason) == (
        "refused", "timer 'reply_due' has no duration for withdrawn=False (known: yes)")
    case = await inquiries.case(case_id)
    assert (case.workflow_version, case.revision) == (1, 1)
    assert (await inquiries.timers(case_id))["answer_due"][0] == "pending"
