"""Who holds a role is indexed (``user_role``, migration 0020), kept by the database whoever
writes an account, and the people a transition tells are read from that index and the others
(an organisation's people, the assignee), never by matching every account's ``roles``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from iris_engine.cases.access import Scope
from iris_engine.migrations import upgrade
from iris_engine.notifications import _readers, recipients
from iris_engine.store.models import Case
from tests.integration.conftest import Cast, World, run_sql, walk_to


async def _filed(world: World) -> dict[int, set[str]]:
    """user_role as it is: account id -> roles filed."""
    async with world.services.db.read() as session:
        rows = (await session.execute(text("SELECT user_id, role FROM user_role"))).all()
    filed: dict[int, set[str]] = {}
    for user_id, role in rows:
        filed.setdefault(user_id, set()).add(role)
    return filed


async def _held(world: World) -> dict[int, set[str]]:
    """What every account's ``roles`` says it holds (accounts holding none left out)."""
    async with world.services.db.read() as session:
        rows = (await session.execute(text("SELECT id, roles FROM app_user"))).all()
    return {user_id: set(roles.split()) for user_id, roles in rows if roles.split()}


async def _sql(world: World, sql: str, **values: Any) -> None:
    async with world.services.db.write() as session:
        await session.execute(text(sql), values)


async def test_every_account_s_roles_are_filed_whoever_writes_them(world: World,
                                                                   cast: Cast) -> None:
    # the cast's accounts were made by the app (registration, staff set-up)
    assert await _filed(world) == await _held(world) != {}

    now = datetime.now(UTC)
    await _sql(world, "INSERT INTO app_user (id, email, name, password_hash, organisation_id,"
               " roles, active, created_at, token_version) VALUES (9001, 'raw@x.example', 'Raw',"
               " 'x', :org, 'caseworker  scheme_manager caseworker', true, :now, 0)",
               org=cast.recruiter.organisation_id, now=now)
    assert (await _filed(world))[9001] == {"caseworker", "scheme_manager"}

    await _sql(world, "UPDATE app_user SET roles = 'auditor' WHERE id = 9001")
    assert (await _filed(world))[9001] == {"auditor"}
    await _sql(world, "UPDATE app_user SET name = 'Renamed', active = false WHERE id = 9001")
    assert (await _filed(world))[9001] == {"auditor"}  # no role changed: none refiled
    await _sql(world, "UPDATE app_user SET roles = '' WHERE id = 9001")
    assert 9001 not in await _filed(world)

    # the administrator's command changes roles through the app
    async with world.services.db.write() as session:
        await world.services.people.set_roles(session, "raw@x.example", ["supervisor", "auditor"])
    assert (await _filed(world))[9001] == {"auditor", "supervisor"}

    await _sql(world, "DELETE FROM app_user WHERE id = 9001")
    assert 9001 not in await _filed(world)
    assert await _filed(world) == await _held(world)


async def test_a_role_reaches_exactly_its_holders(world: World, cast: Cast) -> None:
    """The answer is what matching every account would answer: active accounts holding the
    role as a whole word (``return_supervisor`` holds no ``supervisor``), by id."""
    now = datetime.now(UTC)
    org = cast.recruiter.organisation_id
    for n, (roles, active) in enumerate([("supervisor", True), ("return_supervisor", False),
                                         ("return_supervisor", True),
                                         ("caseworker supervisor", True),
                                         ("supervisor", False), ("supervisors", True)]):
        await _sql(world, "INSERT INTO app_user (id, email, name, password_hash, organisation_id,"
                   " roles, active, created_at, token_version) VALUES (:id, :email, 'P', 'x',"
                   " :org, :roles, :active, :now, 0)", id=9100 + n, email=f"p{n}@x.example",
                   org=org, roles=roles, active=active, now=now)
    case_id = await walk_to(cast, "accredited")
    async with world.services.db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        access = world.services.engine.access
        every = {row.id: (set(row.roles.split()), row.active) for row in (await session.execute(
            text("SELECT id, roles, active FROM app_user"))).all()}
        for role in ("supervisor", "return_supervisor", "caseworker", "scheme_manager",
                     "recruiter", "nobody"):
            reached = await _reached(session, access, case, role)
            assert reached == sorted(i for i, (held, active) in every.items()
                                     if active and role in held), role


async def _reached(session: Any, access: Any, case: Case, role: str) -> list[int]:
    """The ids ``role`` reaches through its index alone (the scope every-holder), as
    ``recipients`` reads them."""
    statement = _readers(access, case, [(role, Scope.ALL)])
    return [row.id for row in (await session.execute(statement, {
        "organisation_id": case.organisation_id, "assignee_id": case.assignee_id})).all()]


async def test_a_suspension_tells_each_reached_person_once_with_every_role(
        world: World, cast: Cast) -> None:
    """Several roles reaching one person (an organisation's coordinator who is also a scheme
    manager) make one recipient with both roles, in the order of the first role."""
    case_id = await walk_to(cast, "accredited")
    async with world.services.db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        access = world.services.engine.access
        roles = ["scheme_manager", "recruiter", "organisation_coordinator"]
        before = await recipients(session, access, case, roles)
    people = {r.user_id: r.roles for r in before}
    assert people, "nobody reached"
    someone = next(i for i, held in people.items() if "recruiter" in held)
    await _sql(world, "UPDATE app_user SET roles = roles || ' scheme_manager' WHERE id = :id",
               id=someone)
    async with world.services.db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        after = await recipients(session, access, case, roles)
    assert [r.user_id for r in after].count(someone) == 1
    assert {r.user_id: r.roles for r in after}[someone] == people[someone] | {"scheme_manager"}
    # the roles by name: organisation_coordinator, recruiter, scheme_manager; each's people
    # by id, those reached before first
    order = [r.user_id for r in after]
    assert order == sorted(order, key=lambda i: (min(
        ("organisation_coordinator", "recruiter", "scheme_manager").index(role)
        for role in {r.user_id: r.roles for r in after}[i]), i))


async def test_the_people_a_role_reaches_are_read_by_index(world: World, cast: Cast) -> None:
    """No plan of the statements that find whom a filing or a suspension tells scans the
    accounts: on PostgreSQL with scans priced out (a plan that needs one still shows it)."""
    case_id = await walk_to(cast, "accredited")
    dialect = world.services.db.write_engine.dialect
    async with world.services.db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        access = world.services.engine.access
        for reach in ([("caseworker", Scope.ALL)],
                      [("recruiter", Scope.ORGANISATION), ("scheme_manager", Scope.ALL)],
                      [("auditor", Scope.ASSIGNED), ("scheme_manager", Scope.ALL)]):
            sql = str(_readers(access, case, reach).params(
                organisation_id=case.organisation_id, assignee_id=1).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True}))
            if dialect.name == "sqlite":
                plan = [row[-1] for row in (await session.execute(
                    text("EXPLAIN QUERY PLAN " + sql))).all()]
                print(reach, plan)
                assert not [step for step in plan if step.startswith("SCAN")
                            and step.split()[1] in ("app_user", "user_role")], (reach, plan)
            else:
                await session.execute(text("SET LOCAL enable_seqscan = off"))
                [[tree]] = (await session.execute(text("EXPLAIN (FORMAT JSON) " + sql))).all()
                print(reach, tree)
                assert not _scans(tree[0]["Plan"]), (reach, tree)


def _scans(node: dict[str, Any]) -> list[str]:
    """The plan's reads of an account table that no condition narrows (a sequential scan, or
    an index read from end to end)."""
    found = []
    if node.get("Relation Name") in ("app_user", "user_role") and (
            node["Node Type"] == "Seq Scan" or (node["Node Type"].startswith("Index")
                                                and "Index Cond" not in node)):
        found.append(f"{node['Node Type']} on {node['Relation Name']}")
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


def test_the_upgrade_files_the_accounts_already_there(empty_database: str) -> None:
    upgrade(empty_database, "0019")
    now = datetime.now(UTC)

    insert = ("INSERT INTO app_user (id, email, name, password_hash, organisation_id, roles,"
              " active, created_at, token_version) VALUES (:id, :email, 'P', 'x', 1, :roles,"
              " true, :now, 0)")
    asyncio.run(run_sql(empty_database,
        ("INSERT INTO organisation (id, kind, name, country, created_at)"
         " VALUES (1, 'scheme', 'Scheme', 'CH', :now)", {"now": now}),
        (insert, {"id": 1, "email": "a@x.example", "roles": "caseworker scheme_manager",
                  "now": now}),
        (insert, {"id": 2, "email": "b@x.example", "roles": "recruiter", "now": now}),
        (insert, {"id": 3, "email": "c@x.example", "roles": "", "now": now})))
    upgrade(empty_database)
    assert asyncio.run(run_sql(empty_database, (
        "SELECT user_id, role FROM user_role ORDER BY user_id, role", {}))) == [
        (1, "caseworker"), (1, "scheme_manager"), (2, "recruiter")]


def test_tables_made_from_the_models_file_roles_as_the_migrated_ones(empty_database: str) -> None:
    """``metadata.create_all`` (unit tests, tools) makes the triggers migration 0020 made: a
    database with ``user_role`` but without them would tell nobody."""
    from sqlmodel import SQLModel

    sqlite = empty_database.startswith("sqlite")
    triggers = ("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND"
                " tbl_name = 'app_user' ORDER BY name" if sqlite else
                "SELECT t.tgname, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t"
                " JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = 'app_user'::regclass"
                " AND NOT t.tgisinternal ORDER BY t.tgname")

    async def made_from_models() -> list[tuple[object, ...]]:
        engine = create_async_engine(empty_database)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(SQLModel.metadata.create_all)
                found = [tuple(row) for row in (await conn.execute(text(triggers))).all()]
                await conn.run_sync(SQLModel.metadata.drop_all)
                if not sqlite:
                    await conn.execute(text("DROP FUNCTION user_role_filed()"))
                return found
        finally:
            await engine.dispose()

    from_models = asyncio.run(made_from_models())
    upgrade(empty_database)
    assert from_models == asyncio.run(run_sql(empty_database, (triggers, {})))
    assert len(from_models) == (2 if sqlite else 1)
