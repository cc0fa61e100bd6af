"""What one return transition costs in SQL, counted with SQLAlchemy's ``before_cursor_execute``
on the app's own engines: ``record_nrm_status`` on an eligible case, the transition the
``returns`` bench scenario repeats (BENCHMARKS.md quotes these counts). A change in the count
is a change in the write path, to be measured and explained there."""

from __future__ import annotations

from tests.integration.conftest import World, statements_with_values, unbounded_reads
from tests.returns_support import fire_return, refer, return_cast, walk_return

#: statements per ``record_nrm_status`` (BEGIN and COMMIT apart), as BENCHMARKS.md gives them:
#: the account; the case, read to answer an out-of-reach case as not found
#: (``ReturnCaseService.reach``) and again, locked, by the engine with its detail (one
#: statement, two before issue #14's); the detail's update; the case's revision and head
#: hash; the audit event
STATEMENTS = {"sqlite": 6, "postgresql": 6}




async def test_a_return_transition_costs_a_known_number_of_statements(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "eligible")
    revision = (await cast.officer.get(f"/api/v1/returns/{case_id}")).json()["revision"]
    with statements_with_values(world) as ran:
        r = await fire_return(cast.officer, case_id, "record_nrm_status",
                              expected_revision=revision,
                              data={"status": "positive_reasonable_grounds",
                                    "decided_on": "2026-11-20"})
    assert r.status_code == 200, r.text
    seen = [" ".join(sql.split()) for sql, _ in ran]
    queries = [s for s in seen if s.split(" ")[0] not in ("BEGIN", "COMMIT")]
    print("\n".join(queries))
    dialect = world.services.db.write_engine.dialect.name
    assert len(queries) == STATEMENTS[dialect], "\n".join(queries)
    assert await unbounded_reads(world, ran) == []  # each read narrowed by an index
