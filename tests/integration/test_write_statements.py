"""What the hot write paths cost in SQL, counted with SQLAlchemy's ``before_cursor_execute`` on
the app's own engines (the pattern of ``test_return_statements.py``): an accreditation
``suspend``, a public grievance filing, and a timer firing its event (``deferral_lapse``).
These are the paths the ``transitions`` and ``grievances`` bench scenarios and
``bench/timers.py`` repeat. A change in a count is a change in the write path, to be measured
and explained in BENCHMARKS.md; a count that grows fails here. Each statement's plan is
checked too: none reads a whole table, so no count hides a cost that grows with the data."""

from __future__ import annotations

from tests.integration.conftest import (
    Cast,
    World,
    file_grievance,
    newcomer,
    statements,
    statements_with_values,
    unbounded_reads,
    walk_to,
)

#: statements (BEGIN and COMMIT apart) per dialect, as BENCHMARKS.md gives them.
#: ``suspend`` (26 on SQLite and 24 on PostgreSQL before issue #14): the account; the case,
#: locked, with its detail (one statement); the case's new state (flushed by the first query an
#: effect makes); what the roster entry is made from: the organisation, the entry and the scope
#: (one statement); the subscriptions to the entry; the case's revision and head hash; the
#: audit event; the timers left (one UPDATE) and started (one INSERT); the people to tell,
#: every role at once; their e-mails (one INSERT); the response's non-conformities; the roster
#: version, the change and the entry's update. The roster's countries are written only when
#: they change (not deleted and inserted each time): 15 (18 before the case and its detail,
#: and the entry's sources, were read together;
#: ``tests/integration/test_roster_projection_statements.py`` counts the projection's own)
SUSPEND = {"sqlite": 15, "postgresql": 15}
#: a public filing: the rate limit's count (one upsert that reads it back; the store's read
#: and write before, 8); the case; the grievance; the case's revision and head hash; the audit
#: event; the acknowledgement timer; the caseworkers
FILING = {"sqlite": 7, "postgresql": 7}
#: ``deferral_lapse`` fired by a ticker: the case and the timer, locked; the detail; the case's
#: state, revision and head hash; the audit event; the lapsed timers cancelled; the recruiter's
#: people, their organisation and their e-mail; the timer marked done
LAPSE = {"sqlite": 10, "postgresql": 10}




def _counted(world: World, seen: list[str], expected: dict[str, int]) -> None:
    queries = [s for s in seen if s.split(" ")[0] not in ("BEGIN", "COMMIT")]
    print("\n".join(queries))
    dialect = world.services.db.write_engine.dialect.name
    assert len(queries) <= expected[dialect], "\n".join(queries)
    assert len(queries) == expected[dialect], (
        "fewer statements than pinned: lower the count here and in BENCHMARKS.md\n"
        + "\n".join(queries))


async def test_a_suspension_costs_a_known_number_of_statements(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    revision = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
    with statements(world) as seen:
        r = await cast.manager.fire(case_id, "suspend", revision, reason_code="other",
                                    note="bench")
    assert r.status_code == 200, r.text
    _counted(world, seen, SUSPEND)
    # the roster version row, which every roster-changing transaction locks, is taken last:
    # after it only the entry and the change it numbers, then COMMIT (the lock lasts a few
    # round trips, not the transition; on PostgreSQL it had made concurrent transitions queue
    # on it). COMMIT is no statement the cursor runs: nothing follows the change here.
    verbs = [" ".join(s.replace('"', "").split(" ")[:3]) for s in seen]
    taken = verbs.index("UPDATE roster_meta SET")
    assert sorted(verbs[taken + 1:]) == ["INSERT INTO roster_change", "UPDATE roster_entry SET"], (
        verbs)


async def test_a_grievance_filing_costs_a_known_number_of_statements(world: World) -> None:
    await file_grievance(world)  # the first filing warms what the app caches
    with statements(world) as seen:
        await file_grievance(world)
    # file_grievance reads the case id back afterwards: one statement, not the filing's
    _counted(world, seen[:-1], FILING)


async def test_a_timer_firing_costs_a_known_number_of_statements(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    r = await cast.manager.fire(case_id, "defer", reason_code="incomplete_documents",
                                note="Send the sub-agent contracts")
    assert r.status_code == 200, r.text
    world.clock.advance(days=59)
    await world.tick()  # the reminders, out of the way
    world.clock.advance(days=2)
    sweeper = world.ticker.timers
    claimed = await sweeper.claim(10)
    assert len(claimed) == 1
    with statements(world) as seen:
        assert await sweeper.fire(*claimed[0]) == "fired"
    _counted(world, seen, LAPSE)


#: tables of one row (or a few) whatever the data: a read of all of them is no scan to fear
_SMALL = frozenset({"roster_meta"})


async def test_no_hot_path_statement_reads_a_whole_table(world: World, cast: Cast) -> None:
    """Each statement a suspension, a filing and a timer's firing run reads what it needs by
    an index: their cost follows the case, not the number of cases, accounts, timers or
    roster entries (a role's people read by matching every account's roles was one)."""
    case_id = await walk_to(cast, "accredited")
    revision = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
    await file_grievance(world)
    with statements_with_values(world) as seen:
        r = await cast.manager.fire(case_id, "suspend", revision, reason_code="other",
                                    note="bench")
        assert r.status_code == 200, r.text
        await file_grievance(world)
    deferred = await walk_to(await newcomer(world, cast, 0), "submitted")
    r = await cast.manager.fire(deferred, "defer", reason_code="incomplete_documents",
                                note="Send the sub-agent contracts")
    assert r.status_code == 200, r.text
    world.clock.advance(days=59)
    await world.tick()
    world.clock.advance(days=2)
    claimed = await world.ticker.timers.claim(10)
    with statements_with_values(world) as fired:
        assert await world.ticker.timers.fire(*claimed[0]) == "fired"
    assert await unbounded_reads(world, seen + fired, _SMALL) == []


async def test_a_read_of_a_whole_table_is_told(world: World, cast: Cast) -> None:
    """The check above finds what it looks for: the people of a role as they were once read
    (every account's roles matched), an index read end to end, and a table named small."""
    sqlite = world.services.db.write_engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "$1"
    matched = (f"SELECT id, name FROM app_user WHERE active AND roles LIKE {mark}"
               " ORDER BY id", ("%caseworker%",))
    walked = ("SELECT id FROM case_file ORDER BY id LIMIT 5", ())
    by_key = (f"SELECT id FROM case_file WHERE id = {mark}", (1,))
    found = await unbounded_reads(world, [matched, walked, by_key])
    assert [line.split("\n")[0] for line in found] == [matched[0], walked[0]], found
    assert await unbounded_reads(world, [matched], frozenset({"app_user"})) == []
