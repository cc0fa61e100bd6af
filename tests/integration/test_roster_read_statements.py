"""What a roster read that is not kept costs in SQL (issue #14), through the real app on each
database, counted statement by statement (``before_cursor_execute``): an entry by its LRN is
one statement, outside any transaction (the entry with its corridors and sectors); a search
page reads its entries' scopes in one statement, however many entries it shows. The roster
version's own read (every request here: the tests keep nothing for a second) is left out."""

from __future__ import annotations

from tests.integration.conftest import SCOPE, Cast, World, newcomer, statements, walk_to


def _work(seen: list[str]) -> list[str]:
    """The statements that read the answer: not the version's, not the transaction's own."""
    return [s for s in seen
            if "roster_meta" not in s and s.split(" ")[0] not in ("BEGIN", "COMMIT", "ROLLBACK")]


async def test_an_entry_is_one_statement_and_a_page_reads_every_scope_in_one(
        world: World, cast: Cast) -> None:
    lrns = []
    for who in (cast, await newcomer(world, cast, 0), await newcomer(world, cast, 1)):
        case_id = await walk_to(who, "accredited")
        lrns.append((await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"])
    corridors = [{"origin": c["origin"], "destination": c["destination"]}
                 for c in SCOPE["corridors"]]

    with statements(world) as seen:
        r = await world.client.get(f"/api/v1/roster/{lrns[0]}")
    assert r.status_code == 200, r.text
    entry = r.json()["entry"]
    assert (entry["lrn"], entry["corridors"], entry["sectors"]) == (
        lrns[0], corridors, sorted(SCOPE["sectors"]))
    work = _work(seen)
    assert len(work) == 1, work
    assert "FROM roster_entry WHERE roster_entry.lrn =" in work[0]
    assert "roster_corridor" in work[0] and "roster_sector" in work[0]

    with statements(world) as seen:  # kept now: nothing but the version
        assert (await world.client.get(f"/api/v1/roster/{lrns[0]}")).content == r.content
    assert _work(seen) == []

    with statements(world) as seen:
        r = await world.client.get("/api/v1/roster", params={"limit": 2})
    assert r.status_code == 200, r.text
    page = r.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert all((item["corridors"], item["sectors"]) == (corridors, sorted(SCOPE["sectors"]))
               for item in page["items"])
    scope_reads = [s for s in _work(seen) if "roster_corridor" in s or "roster_sector" in s]
    assert len(scope_reads) == 1, scope_reads


async def test_an_unknown_entry_is_a_404_after_one_statement(world: World) -> None:
    with statements(world) as seen:
        r = await world.client.get("/api/v1/roster/IRIS999999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert len(_work(seen)) == 1


async def test_a_rare_fragment_asks_the_name_index_once(world: World, cast: Cast) -> None:
    """A fragment few names hold is looked up once in the name index (the probe that counts
    the names also names them); the page reads those rows by key. A fragment no name holds
    reads no page at all. On PostgreSQL a walk of the sort index comes before the probe."""
    await walk_to(cast, "accredited")  # "Everest Fair Recruitment"
    sqlite = world.services.db.is_sqlite
    with statements(world) as seen:
        r = await world.client.get("/api/v1/roster", params={"q": "everest fair"})
    assert r.status_code == 200, r.text
    assert [i["name"] for i in r.json()["items"]] == ["Everest Fair Recruitment"]
    work = [s for s in _work(seen) if "roster_corridor" not in s and "SET LOCAL" not in s]
    # PostgreSQL walks the sort index first (its probe reads every name a common fragment has)
    walk = [] if sqlite else ["walked"]
    assert len(work) == len(walk) + 2, work  # (the walk,) the probe, the page
    *walked, probe, page = work
    assert all(w in s for w, s in zip(walk, walked, strict=True))
    if sqlite:
        assert "MATCH" in probe and "MATCH" not in page and "json_each" in page
    else:
        assert "LIKE" in probe and "count(" in probe and "ANY(" in page.upper()
    with statements(world) as seen:
        r = await world.client.get("/api/v1/roster", params={"q": "no such name at all"})
    assert r.status_code == 200 and r.json()["items"] == []
    work = [s for s in _work(seen) if "SET LOCAL" not in s]
    assert len(work) == len(walk) + 1, work  # (the walk,) the probe, and no page


def test_the_entry_statement_is_compiled_once_and_run_as_compiled() -> None:
    """Nothing of the built-once statements is rendered again on each run: SQLAlchemy
    re-renders a statement whose literals it binds at execution (``literal_execute``), as
    ``aggregate_strings`` does with a separator given as a Python string."""
    from sqlalchemy.dialects import postgresql, sqlite

    from iris_engine.roster.service import _ENTRY, _SCOPES

    for dialect in (sqlite.dialect(), postgresql.asyncpg.dialect()):  # type: ignore[attr-defined]
        for statement in (_ENTRY, *_SCOPES.values()):
            compiled = statement.compile(dialect=dialect)
            assert not compiled.literal_execute_params, (dialect.name, compiled.string)
