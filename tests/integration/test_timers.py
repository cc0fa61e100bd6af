"""Deadlines that fire themselves: timers written and cancelled by transitions, fired by a
ticker through the normal pipeline, exactly once, on SQLite and PostgreSQL. Time moves by the
world's ManualClock; no test sleeps to wait for a deadline."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from iris_engine.accreditation.models import Accreditation
from iris_engine.cases.audit import verify_chains
from iris_engine.clock import utcnow
from iris_engine.roster.models import RosterChange, RosterEntry
from iris_engine.store.models import Case, CaseEvent, OutboxMessage, Timer
from iris_engine.ticker import Ticker
from tests.integration.conftest import Cast, World, licensed_for_years, newcomer, walk_to
from tests.integration.test_outbox import WebhookReceiver, subscribe_webhook


async def _timers(world: World, case_id: int) -> list[Timer]:
    async with world.services.db.read() as session:
        return list((await session.scalars(
            select(Timer).where(Timer.case_id == case_id).order_by(Timer.id))).all())


async def _case(world: World, case_id: int) -> Case:
    async with world.services.db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


async def _history(world: World, case_id: int) -> list[CaseEvent]:
    async with world.services.db.read() as session:
        return list((await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq))).all())


async def _chains_verify(world: World) -> None:
    async with world.services.db.read() as session:
        cases, events, broken = await verify_chains(session)
    assert broken is None, broken
    assert events > cases > 0


async def _defer(cast: Cast) -> int:
    case_id = await walk_to(cast, "submitted")
    r = await cast.manager.fire(case_id, "defer", reason_code="incomplete_documents",
                                note="Send the sub-agent contracts")
    assert r.status_code == 200, r.text
    return case_id


async def test_deferred_application_lapses_on_the_first_tick_after_60_days(
        world: World, cast: Cast) -> None:
    case_id = await _defer(cast)
    pending = [t for t in await _timers(world, case_id) if t.status == "pending"]
    assert sorted((t.name, t.kind) for t in pending) == [
        ("deferral_lapse", "deadline"), ("deferral_lapse", "reminder"),
        ("deferral_lapse", "reminder")]

    world.clock.advance(days=59)
    report = await world.tick()
    assert report.timers.fired == 0 and report.timers.told == 2  # reminders at 14 and 3 days
    assert (await _case(world, case_id)).state == "deferred"

    world.clock.advance(days=2)  # deferred 61 days ago
    report = await world.tick()
    assert report.timers.fired == 1

    case = await _case(world, case_id)
    assert case.state == "lapsed"
    last = (await _history(world, case_id))[-1]
    assert (last.event, last.actor_role, last.actor_id) == ("lapse", "system", None)
    assert last.reason_code == "deferral_lapsed"
    assert last.data["cause"]["timer"]["name"] == "deferral_lapse"
    assert [t.status for t in await _timers(world, case_id)] == ["cancelled", "done", "done", "done"]
    await _chains_verify(world)

    # the recruiter heard of the deferral (with its deadline), each reminder, and the lapse
    async with world.services.db.read() as session:
        mails = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.case_id == case_id, OutboxMessage.destination ==
            "everest.fair.recruitment@agency.example").order_by(OutboxMessage.id))).all()
    assert [m.topic for m in mails] == ["case.transition", "case.reminder", "case.reminder",
                                        "case.transition"]
    assert "Send the further information requested" in mails[0].payload["text"]
    assert "lapse" in mails[-1].payload["subject"]
    # nothing more is due: the next tick does nothing
    again = await world.tick()
    assert again.timers.claimed == 0


async def test_leaving_the_state_cancels_its_timers_in_the_same_transaction(
        world: World, cast: Cast) -> None:
    case_id = await _defer(cast)
    r = await cast.recruiter.fire(case_id, "resubmit")
    assert r.status_code == 200, r.text

    timers = await _timers(world, case_id)
    deferral = [t for t in timers if t.name == "deferral_lapse"]
    assert {t.status for t in deferral} == {"cancelled"}
    assert all("deferred to submitted" in (t.outcome or "") for t in deferral)
    review = [t for t in timers if t.name == "review_due" and t.status == "pending"]
    assert len(review) == 1  # a new review deadline started on resubmission

    world.clock.advance(days=61)
    report = await world.tick()
    assert report.timers.fired == 0
    assert (await _case(world, case_id)).state == "submitted"


async def test_a_refused_transition_leaves_no_timer_behind(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    r = await cast.manager.fire(case_id, "defer", reason_code="incomplete_documents")  # no note
    assert r.status_code == 422
    assert not [t for t in await _timers(world, case_id) if t.name == "deferral_lapse"]


async def test_expiry_takes_the_recruiter_off_the_active_roster_and_tells_subscribers(
        world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    await licensed_for_years(cast.recruiter, case_id)
    async with world.services.db.read() as session:
        detail = await session.get(Accreditation, case_id)
        assert detail is not None and detail.lrn and detail.valid_until
    lrn, valid_until = detail.lrn, detail.valid_until
    async with WebhookReceiver(world.clock, fail_first=0) as receiver:
        subscription_id = (await subscribe_webhook(world, lrn, receiver.url))["id"]

        # 31 days before the end: the 180- and 90-day renewal reminders go out, nothing expires
        start = world.clock()
        world.clock.set(start.replace(hour=0) + (valid_until - start.date()) - timedelta(days=30))
        report = await world.tick()
        assert report.timers.fired == 0
        assert (await _case(world, case_id)).state == "accredited"
        reminders = [t for t in await _timers(world, case_id)
                     if t.name == "certificate_expiry" and t.kind == "reminder"]
        assert sorted(t.status for t in reminders) == ["done", "done", "pending"]

        world.clock.advance(days=31)  # the day after valid_until
        await world.tick()

    assert (await _case(world, case_id)).state == "expired"
    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert entry["status"] == "expired"
    active = (await world.client.get("/api/v1/roster", params={"status": "accredited"})).json()
    assert lrn not in [e["lrn"] for e in active["items"]]
    changes = (await world.client.get("/api/v1/roster/changes")).json()["changes"]
    assert [(c["lrn"], c["status"], c["previous_status"]) for c in changes] == [
        (lrn, "accredited", None), (lrn, "expired", "accredited")]
    async with world.services.db.read() as session:
        sent = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.subscription_id == subscription_id,
            OutboxMessage.topic == "roster.status_changed"))).all()
    assert [(m.payload["data"]["status"], m.status) for m in sent] == [("expired", "delivered")]
    assert [r.payload["data"]["status"] for r in receiver.requests] == ["expired"]
    last = (await _history(world, case_id))[-1]
    assert (last.event, last.actor_role) == ("expire", "system")
    await _chains_verify(world)


async def test_a_timer_whose_case_moved_on_is_discarded_and_the_discard_recorded(
        world: World, cast: Cast) -> None:
    case_id = await _defer(cast)
    # a case moved by a path that did not cancel its timers (a manual repair, an old release)
    async with world.services.db.write() as session:
        await session.execute(update(Case).where(Case.id == case_id).values(state="submitted"))
    before = await _case(world, case_id)

    world.clock.advance(days=61)
    report = await world.tick()

    assert report.timers.fired == 0 and report.timers.discarded == 3
    after = await _case(world, case_id)
    assert (after.state, after.revision, after.head_hash) == (
        "submitted", before.revision, before.head_hash)
    deadline = next(t for t in await _timers(world, case_id)
                    if t.name == "deferral_lapse" and t.kind == "deadline")
    assert deadline.status == "discarded"
    assert "moved on to 'submitted'" in (deadline.outcome or "")
    assert deadline.claimed_by is None and deadline.finished_at == world.clock()


async def test_a_timer_whose_guard_now_refuses_is_discarded(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    await licensed_for_years(cast.recruiter, case_id)
    async with world.services.db.write() as session:  # a certificate extended after the fact
        detail = await session.get(Accreditation, case_id)
        assert detail is not None and detail.valid_until
        old_end = detail.valid_until
        detail.valid_until = old_end + timedelta(days=365)
    world.clock.advance(old_end - world.clock().date() + timedelta(days=2))
    revision = (await _case(world, case_id)).revision

    await world.tick()

    # nothing fired on the case (the training that certified its staff has deadlines of its own)
    assert ((await _case(world, case_id)).state, (await _case(world, case_id)).revision) == (
        "accredited", revision)
    expiry = next(t for t in await _timers(world, case_id)
                  if t.name == "certificate_expiry" and t.kind == "deadline")
    assert expiry.status == "discarded"
    assert "validity_ended" in (expiry.outcome or "")


async def test_a_ticker_killed_mid_batch_leaves_claims_that_are_retried_never_doubled(
        world: World, cast: Cast) -> None:
    ids = [await _defer(cast if i == 0 else await newcomer(world, cast, i)) for i in range(8)]
    world.clock.advance(days=58)
    await world.tick()  # the reminders, out of the way
    world.clock.advance(days=3)

    dying = Ticker(world.services, "dying-ticker")
    first = await dying.timers.sweep(max_fire=3)  # claims all 8, fires 3, then "dies"
    assert (first.claimed, first.fired) == (8, 3)

    survivor = Ticker(world.services, "survivor")
    try:
        assert (await survivor.tick()).timers.claimed == 0  # the dead ticker's claims still hold
        world.clock.advance(seconds=world.settings.claim_seconds + 1)
        second = await survivor.tick()
        assert (second.timers.claimed, second.timers.fired) == (5, 5)
        # the dying ticker wakes up and carries on with a row it had claimed: nothing happens
        leftover = next(t for t in await _timers(world, ids[-1])
                        if t.name == "deferral_lapse" and t.kind == "deadline")
        assert await dying.timers.fire(leftover.id or 0, ids[-1]) == "skipped"
    finally:
        await dying.stop()
        await survivor.stop()

    for case_id in ids:
        lapses = [e for e in await _history(world, case_id) if e.event == "lapse"]
        assert len(lapses) == 1
        assert (await _case(world, case_id)).state == "lapsed"
    await _chains_verify(world)


async def test_a_failing_effect_rolls_back_and_the_timer_is_retried(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = await _defer(cast)
    world.clock.advance(days=61)
    notifier = world.services.notifier
    original = notifier.on_transition
    calls = 0

    async def broken(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("mail template exploded")

    monkeypatch.setattr(notifier, "on_transition", broken)
    report = await world.tick()
    assert (report.timers.failed, calls) == (1, 1)
    assert (await _case(world, case_id)).state == "deferred"  # rolled back whole
    deadline = next(t for t in await _timers(world, case_id)
                    if t.name == "deferral_lapse" and t.kind == "deadline")
    assert deadline.status == "pending" and deadline.attempts == 1
    assert "mail template exploded" in (deadline.outcome or "")

    monkeypatch.setattr(notifier, "on_transition", original)
    assert (await world.tick()).timers.claimed == 0  # the claim holds until its lease ends
    world.clock.advance(seconds=world.settings.claim_seconds + 1)
    assert (await world.tick()).timers.fired == 1
    assert (await _case(world, case_id)).state == "lapsed"


async def test_suspension_limit_withdraws_and_the_roster_follows(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    r = await cast.manager.fire(case_id, "suspend", reason_code="audit_refused",
                                note="Refused the surveillance audit")
    assert r.status_code == 200, r.text
    world.clock.advance(days=200)
    await world.tick()
    case = await _case(world, case_id)
    assert case.state == "withdrawn"
    last = (await _history(world, case_id))[-1]
    # the six months are the limit: the withdrawal takes effect at once (no notice period)
    assert (last.event, last.reason_code, last.actor_role) == (
        "withdraw_at_suspension_limit", "suspension_limit", "system")
    async with world.services.db.read() as session:
        entry = (await session.scalars(select(RosterEntry).where(RosterEntry.case_id == case_id))).one()
        statuses = (await session.scalars(select(RosterChange.status).where(
            RosterChange.lrn == entry.lrn).order_by(RosterChange.seq))).all()
    assert entry.status == "withdrawn"
    assert list(statuses) == ["accredited", "suspended", "withdrawn"]
    # the expiry timer went with the withdrawal
    assert {t.status for t in await _timers(world, case_id) if t.name == "certificate_expiry"} == {
        "cancelled"}


# concurrent tickers are a PostgreSQL deployment (SQLite has one writer): that variant only
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_tickers_fire_5000_due_timers_exactly_once(world: World) -> None:
    n = 5000
    case_ids = await _seed_deferred_cases(world, n)
    world.clock.advance(days=61)

    from iris_engine.services import build_services

    second = build_services(world.settings, clock=world.clock)  # another instance: own pool
    a, b = Ticker(world.services, "ticker-a"), Ticker(second, "ticker-b")
    try:
        forever = float("inf")
        ra, rb = await asyncio.gather(a.tick(budget_seconds=forever), b.tick(budget_seconds=forever))
    finally:
        await a.stop()
        await b.stop()
        await second.db.dispose()

    assert ra.timers.fired + rb.timers.fired == n
    assert ra.timers.fired > 0 and rb.timers.fired > 0  # both did real work
    assert not set(ra.timers.outcomes) & set(rb.timers.outcomes)  # and never the same row
    assert ra.timers.failed == rb.timers.failed == 0
    async with world.services.db.read() as session:
        lapses = (await session.execute(
            select(CaseEvent.case_id, func.count()).where(CaseEvent.event == "lapse")
            .group_by(CaseEvent.case_id))).all()
        states = dict((await session.execute(
            select(Case.state, func.count()).where(Case.id.in_(case_ids)).group_by(Case.state))).all())
        done = await session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "done"))
    assert len(lapses) == n and {c for _, c in lapses} == {1}
    assert states == {"lapsed": n}
    assert done == n
    await _chains_verify(world)


async def _seed_deferred_cases(world: World, n: int, *,
                               due_in: timedelta = timedelta(days=60)) -> list[int]:
    """``n`` deferred applications with a valid one-event chain and a due lapse timer, in bulk."""
    from sqlalchemy import insert

    from iris_engine.cases.audit import GENESIS, chain_hash
    from iris_engine.store.models import Organisation

    now = world.clock()
    async with world.services.db.write() as session:
        org = Organisation(kind="recruiter", name="Bulk Recruiter", country="NP", created_at=now)
        session.add(org)
        await session.flush()
        ids = list((await session.scalars(insert(Case).returning(Case.id), [
            {"workflow": "accreditation", "workflow_version": 1, "state": "deferred", "revision": 1,
             "organisation_id": org.id, "head_hash": "", "created_at": now, "updated_at": now}
            for _ in range(n)])).all())
        events = []
        for case_id in ids:
            event = CaseEvent(case_id=case_id, seq=1, event="open", from_state=None,
                              to_state="deferred", actor_id=None, actor_role="system", data={},
                              created_at=now, prev_hash=GENESIS, hash="")
            event.hash = chain_hash(GENESIS, event)
            events.append(event)
        await session.execute(insert(CaseEvent), [
            {k: getattr(e, k) for k in ("case_id", "seq", "event", "from_state", "to_state",
                                        "actor_id", "actor_role", "data", "created_at",
                                        "prev_hash", "hash")} for e in events])
        await session.execute(text("UPDATE case_file SET head_hash = e.hash FROM case_event e "
                                   "WHERE e.case_id = case_file.id"))
        await session.execute(insert(Accreditation), [
            {"case_id": i, "code_of_conduct": "iris-standard/1.2"} for i in ids])
        due = now + due_in
        await session.execute(insert(Timer), [
            {"case_id": i, "name": "deferral_lapse", "kind": "deadline", "due_at": due,
             "deadline_at": due, "status": "pending", "attempts": 0, "created_at": now}
            for i in ids])
    return ids


async def _until_dead_transactions_end(world: World) -> None:
    """PostgreSQL ends a killed client's transaction (and lets go of its row locks) only once
    its backend notices the socket is gone; until then a tick skips the row it was firing.
    Wait for every other transaction on this test's own database to end."""
    if world.services.db.is_sqlite:
        return
    for _ in range(300):
        async with world.services.db.read() as session:
            others = await session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"))
        if not others:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the killed worker's transaction was still open after 30 s")


async def test_a_worker_process_killed_mid_batch_loses_nothing_and_doubles_nothing(
        world: World, database_url: str) -> None:
    """A real `iris worker` process, SIGKILLed while it works through its claimed batch."""
    import os
    import signal
    import subprocess
    import sys

    n = 300
    case_ids = await _seed_deferred_cases(world, n, due_in=timedelta(minutes=-1))
    env = {**os.environ, "IRIS_DATABASE_URL": database_url, "IRIS_TICK_SECONDS": "0.2",
           "IRIS_TICK_BATCH": str(n), "IRIS_CLAIM_SECONDS": "600",
           "IRIS_ANCHOR_DIR": str(world.settings.anchor_dir)}
    env = {k: v for k, v in env.items() if not k.startswith("IRIS_TEST_")}
    worker = subprocess.Popen([sys.executable, "-c", "from iris_engine.cli import main; main()",
                               "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        fired = 0
        for _ in range(600):  # wait (at most ~60 s) until it is part-way through its batch
            await asyncio.sleep(0.1)
            async with world.services.db.read() as session:
                fired = await session.scalar(select(func.count()).select_from(Timer).where(
                    Timer.status == "done")) or 0
            if fired >= 20 or worker.poll() is not None:
                break
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    assert 0 < fired < n, f"the worker had fired {fired} of {n} when killed"
    await _until_dead_transactions_end(world)

    async with world.services.db.read() as session:
        orphaned = await session.scalar(select(func.count()).select_from(Timer).where(
            Timer.status == "pending", Timer.claimed_by.is_not(None)))
    assert orphaned, "the killed worker left no claims to take over"

    assert (await world.tick()).timers.claimed == 0  # its claims hold until the lease ends
    world.clock.set(utcnow() + timedelta(seconds=601))  # the worker claimed on the real clock
    report = await world.tick()
    assert report.timers.fired == orphaned and report.timers.failed == 0

    async with world.services.db.read() as session:
        per_case = (await session.execute(
            select(CaseEvent.case_id, func.count()).where(CaseEvent.event == "lapse")
            .group_by(CaseEvent.case_id))).all()
        states = dict((await session.execute(
            select(Case.state, func.count()).where(Case.id.in_(case_ids)).group_by(Case.state))).all())
    assert len(per_case) == n and {c for _, c in per_case} == {1}
    assert states == {"lapsed": n}
    await _chains_verify(world)


async def test_the_case_shows_its_deadlines(world: World, cast: Cast) -> None:
    case_id = await _defer(cast)
    view = (await cast.recruiter.get(f"/api/v1/applications/{case_id}")).json()
    pending = [d for d in view["deadlines"] if d["status"] == "pending"]
    assert [(d["name"], d["fires"]) for d in pending] == [("deferral_lapse", "lapse")]
    assert pending[0]["description"] == "Send the further information requested"
    review = next(d for d in view["deadlines"] if d["name"] == "review_due")
    assert review["status"] == "cancelled" and review["fires"] is None
    listed = (await cast.recruiter.get("/api/v1/applications")).json()
    assert all(item["deadlines"] is None for item in listed)
