"""Tampering `iris audit verify` must catch, done the way someone with the database would:
a case's state set by hand, the roster's status set by hand, a chain's tail deleted with its
head rewound, a case deleted whole. Each goes through the real command line."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Table, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from iris_engine.audit import generate_signing_key
from iris_engine.cli import main
from iris_engine.store.models import Case
from tests.integration.conftest import TEST_DATA_KEYS, Cast, World, newcomer, walk_to

SIGNING_KEY, PUBLIC_KEY = generate_signing_key()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"anchor_signing_key": SIGNING_KEY}


async def iris(world: World, *args: str) -> Result:
    """The `iris` command line on the world's database and anchor folder (in a thread: it
    runs its own event loop)."""
    env = {"IRIS_DATABASE_URL": world.settings.database_url,
           "IRIS_ANCHOR_DIR": str(world.settings.anchor_dir),
           "IRIS_ANCHOR_SIGNING_KEY": SIGNING_KEY, "IRIS_DATA_KEYS": TEST_DATA_KEYS}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def verify(world: World, *args: str) -> Result:
    return await iris(world, "audit", "verify", *args)


async def assert_intact(world: World, *args: str) -> Result:
    result = await verify(world, *args)
    assert result.exit_code == 0, result.output
    assert "read models rebuilt from the events and equal: roster" in result.output
    return result


async def tamper(world: World, sql: str, **params: Any) -> None:
    async with world.services.db.write() as session:
        await session.execute(text(sql), params)


async def delete_case_whole(session: AsyncSession, case_id: int) -> None:
    """What someone with the database does to make a case vanish: delete it, and every row
    that hangs off it (its events, detail, timers, messages, roster entry and what hangs off
    that), following the foreign keys."""
    tables = SQLModel.metadata.sorted_tables

    async def purge(table: Table, where: Any) -> None:
        for other in tables:
            for fk in other.foreign_keys:
                if fk.column.table is table:
                    await purge(other, fk.parent.in_(select(fk.column).where(where)))
        await session.execute(delete(table).where(where))

    case_file = SQLModel.metadata.tables["case_file"]
    await purge(case_file, case_file.c.id == case_id)


async def last_events(world: World, case_id: int, n: int = 2) -> list[Any]:
    async with world.services.db.read() as session:
        rows = await session.execute(text(
            "SELECT seq, to_state, hash FROM case_event WHERE case_id = :c "
            "ORDER BY seq DESC LIMIT :n"), {"c": case_id, "n": n})
        return list(rows)


# -- the case row ---------------------------------------------------------------------------
async def test_a_case_state_changed_by_hand_is_caught(world: World, cast: Cast) -> None:
    """A suspension hidden by setting the case back to accredited."""
    case_id = await walk_to(cast, "accredited")
    r = await cast.manager.fire(case_id, "suspend", reason_code="audit_refused",
                                note="Refused the surveillance audit")
    assert r.status_code == 200, r.text
    await assert_intact(world)
    await tamper(world, "UPDATE case_file SET state = 'accredited' WHERE id = :c", c=case_id)
    result = await verify(world)
    assert result.exit_code == 1
    assert (f"BROKEN: case {case_id}: its state is 'accredited', but its last event "
            f"(#{r.json()['revision']} 'suspend') left it in 'suspended'") in result.stderr


@pytest.mark.parametrize(("sql", "says"), [
    ("UPDATE case_file SET revision = revision - 1 WHERE id = :c",
     "its revision is {r0}, but its last event is #{r}"),
    ("UPDATE case_file SET assignee_id = :manager WHERE id = :c",
     "it is assigned to user {manager}, but its events assign it to {auditor}"),
    ("UPDATE case_file SET workflow_version = 2 WHERE id = :c",  # opened on v3, the latest
     "the row says accreditation v2, but its events leave it on v3 (a version changes only "
     "by an 'upgrade' event)"),
    ("UPDATE case_file SET head_hash = :fake WHERE id = :c",
     "the case's head hash is not its last event's hash"),
], ids=["revision", "assignee", "workflow-version", "head"])
async def test_every_column_the_events_decide_is_replayed(world: World, cast: Cast, sql: str,
                                                          says: str) -> None:
    case_id = await walk_to(cast, "accredited")
    revision = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
    await assert_intact(world)
    values = {"c": case_id, "manager": cast.manager.user_id, "fake": "f" * 64}
    await tamper(world, sql, **{k: v for k, v in values.items() if f":{k}" in sql})
    result = await verify(world)
    assert result.exit_code == 1
    assert f"case {case_id}: " + says.format(r=revision, r0=revision - 1,
                                             manager=cast.manager.user_id,
                                             auditor=cast.auditor.user_id) in result.stderr


async def test_a_case_moved_to_another_workflow_is_caught(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    await tamper(world, "UPDATE case_file SET workflow = 'referral' WHERE id = :c", c=case_id)
    result = await verify(world)
    assert result.exit_code == 1
    # its events are replayed on the version they say they ran on: referral has no v3
    assert (f"case {case_id}: no workflow 'referral' version 3 exists to replay its event #1 "
            "on") in result.stderr


# -- the roster read model ------------------------------------------------------------------
async def _suspended(world: World, cast: Cast) -> tuple[int, str]:
    case_id = await walk_to(cast, "accredited")
    lrn = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"]
    r = await cast.manager.fire(case_id, "suspend", reason_code="substantiated_complaint",
                                note="Fees charged to workers")
    assert r.status_code == 200, r.text
    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert entry["status"] == "suspended"
    return case_id, lrn


async def test_a_roster_status_changed_by_hand_is_caught(world: World, cast: Cast) -> None:
    """The public sees a suspended recruiter as accredited: the case is left alone."""
    case_id, lrn = await _suspended(world, cast)
    await assert_intact(world)
    await tamper(world, "UPDATE roster_entry SET status = 'accredited' WHERE lrn = :l", l=lrn)
    await tamper(world, "UPDATE roster_meta SET version = version + 1")  # past the caches
    assert (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]["status"] == (
        "accredited")
    result = await verify(world)
    assert result.exit_code == 1
    assert (f"BROKEN: read model roster: entry {lrn} (case {case_id}): status is 'accredited', "
            "but the case's events make it 'suspended'") in result.stderr


async def test_a_change_dropped_from_the_feed_is_caught(world: World, cast: Cast) -> None:
    case_id, lrn = await _suspended(world, cast)
    await tamper(world, "DELETE FROM roster_change WHERE lrn = :l AND status = 'suspended'",
                 l=lrn)
    result = await verify(world)
    assert result.exit_code == 1
    assert f"({lrn} -> suspended, event #" in result.stderr
    assert f" of case {case_id}) is missing" in result.stderr


async def test_a_roster_entry_for_a_recruiter_never_accredited_is_caught(
        world: World, cast: Cast) -> None:
    from iris_engine.names import look_alike_digests
    from iris_engine.roster.models import RosterEntry

    case_id = await walk_to(cast, "decision")
    now = world.clock()
    look_alike = look_alike_digests("Everest Fair Recruitment")
    async with world.services.db.write() as session:
        session.add(RosterEntry(
            lrn="LRN00099999", case_id=case_id, name="Everest Fair Recruitment",
            name_key="everest fair recruitment", skeleton_digest=look_alike.exact,
            folded_skeleton_digest=look_alike.folded, country="NP", countries="NP",
            status="accredited", accredited_on=now.date(), valid_until=now.date(),
            status_since=now.date(), updated_at=now))
    result = await verify(world)
    assert result.exit_code == 1
    assert (f"entry LRN00099999 (case {case_id}, accredited) follows from no accreditation "
            "event") in result.stderr


# -- deletions, against an anchor -----------------------------------------------------------
async def anchor(world: World) -> None:
    result = await iris(world, "audit", "anchor")
    assert result.exit_code == 0, result.output
    assert "written to" in result.output


async def test_a_tail_deleted_with_its_head_rewound_is_caught_against_the_anchor(
        world: World, cast: Cast) -> None:
    """The audit found a major non-conformity and the case went to decision: the findings
    and the referral are deleted and the case rewound, so that every chain and row still
    agree. Only the anchor still remembers."""
    case_id = await walk_to(cast, "decision")
    await anchor(world)
    (last_seq, _, _), (seq, state, head) = await last_events(world, case_id)
    await tamper(world, "DELETE FROM case_event WHERE case_id = :c AND seq = :s",
                 c=case_id, s=last_seq)
    await tamper(world, "UPDATE case_file SET head_hash = :h, revision = :s, state = :st "
                 "WHERE id = :c", h=head, s=seq, st=state, c=case_id)
    alone = await assert_intact(world)  # what verify could see before anchors
    assert "no anchor checked" in alone.output
    result = await verify(world, "--anchor", str(world.settings.anchor_dir))
    assert result.exit_code == 1
    assert (f"BROKEN: anchor 1: case {case_id} ends at event #{seq}, but event #{last_seq} "
            "was anchored: events were removed") in result.stderr


async def test_a_tail_rewritten_after_the_anchor_is_caught(world: World, cast: Cast) -> None:
    """The cut tail is replaced by another, well chained: the anchored event is not there."""
    case_id = await walk_to(cast, "decision")
    await anchor(world)
    (last_seq, _, _), (seq, state, head) = await last_events(world, case_id)
    await tamper(world, "DELETE FROM case_event WHERE case_id = :c AND seq = :s",
                 c=case_id, s=last_seq)
    await tamper(world, "UPDATE case_file SET head_hash = :h, revision = :s, state = :st "
                 "WHERE id = :c", h=head, s=seq, st=state, c=case_id)
    world.clock.advance(minutes=5)
    r = await cast.auditor.fire(case_id, "refer_for_decision")
    assert r.status_code == 200, r.text
    r = await cast.manager.fire(case_id, "accredit")  # and the chain grows past the anchor
    assert r.status_code == 200, r.text
    await assert_intact(world)
    result = await verify(world, "--anchor", str(world.settings.anchor_dir))
    assert result.exit_code == 1
    assert (f"case {case_id}'s event #{last_seq} is not the one anchored: the chain was cut "
            "and rewritten") in result.stderr


@pytest.mark.parametrize("state", ["submitted", "accredited"])
async def test_a_case_deleted_whole_is_caught_against_the_anchor(world: World, cast: Cast,
                                                                 state: str) -> None:
    kept = await walk_to(cast, "accredited")
    gone = await walk_to(await newcomer(world, cast, 0), state)
    await anchor(world)
    async with world.services.db.write() as session:
        # the applications and the training cases that certified their recruiters' staff
        held = len((await session.scalars(select(Case.id))).all())
        await delete_case_whole(session, gone)
    await assert_intact(world)  # every chain, row and roster entry left agrees
    result = await verify(world, "--anchor", str(world.settings.anchor_dir))
    assert result.exit_code == 1
    assert f"BROKEN: anchor 1: the trail holds {held - 1} cases; anchor 1 (" in result.stderr
    assert f"held {held}" in result.stderr
    assert (f"BROKEN: anchor 1: case {gone} (anchored at event #") in result.stderr
    assert "no longer exists: it was deleted" in result.stderr
    assert f"case {kept}" not in result.stderr


async def test_an_intact_trail_holds_its_anchor(world: World, cast: Cast) -> None:
    await walk_to(cast, "accredited")
    grows = await walk_to(await newcomer(world, cast, 0), "decision")
    await anchor(world)
    # the trail grows after the anchor (a chain goes on, a case is opened): that is no loss
    r = await cast.manager.fire(grows, "accredit")
    assert r.status_code == 200, r.text
    await walk_to(await newcomer(world, cast, 1), "submitted")
    result = await assert_intact(world, "--anchor", str(world.settings.anchor_dir),
                                 "--public-key", PUBLIC_KEY)
    assert "anchor 1 (" in result.output and "holds: nothing it remembers was removed" in (
        result.output)


async def test_an_anchor_altered_to_hide_a_deletion_fails_its_signature(
        world: World, cast: Cast) -> None:
    """The deleted case is taken out of the anchor file too, its digest and counts made to
    match: without the signing key the signature no longer holds."""
    from iris_engine.audit.anchors import heads_digest

    await walk_to(cast, "accredited")
    gone = await walk_to(await newcomer(world, cast, 0), "submitted")
    await anchor(world)
    async with world.services.db.write() as session:
        await delete_case_whole(session, gone)
    [path] = world.settings.anchor_dir.glob("anchor-*.json")
    record = json.loads(path.read_text())
    record["heads"] = [h for h in record["heads"] if h[0] != gone]
    heads = [(c, s, h) for c, s, h in record["heads"]]
    record.update(cases=len(heads), events=sum(s for _, s, _ in heads),
                  heads_digest=heads_digest(heads))
    path.write_text(json.dumps(record))
    result = await verify(world, "--anchor", str(path))
    assert result.exit_code == 1
    assert "anchor 1 is not signed by a trusted key" in result.output
    assert "it was altered or forged" in result.output


async def test_an_anchor_signed_by_another_key_is_not_trusted(world: World, cast: Cast) -> None:
    await walk_to(cast, "submitted")
    await anchor(world)
    _, other_public = generate_signing_key()
    result = await verify(world, "--anchor", str(world.settings.anchor_dir),
                          "--public-key", other_public)
    assert result.exit_code == 1
    assert "is not signed by a trusted key" in result.output
