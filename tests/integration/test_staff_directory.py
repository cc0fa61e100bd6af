"""The staff directory (issue #11 item 7): scheme managers and admins list accounts by role and
organisation, each auditor with its current assignments, over HTTP and ``iris users list``; the
transitions that take an ``auditor_id`` say where to find one; nobody else lists accounts."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner, Result
from httpx import Response

from iris_engine.accreditation.hooks import AUDITORS_LISTED
from iris_engine.cli import main
from tests.integration.conftest import Actor, Cast, World, assert_problem, walk_to

USERS = "/api/v1/users"
#: what a scheme manager sees of an account: no password data, tokens or confirmation
ACCOUNT_FIELDS = {"id", "name", "email", "roles", "organisation_id", "organisation_name",
                  "organisation_kind", "status", "current_assignments"}


async def _list(actor: Actor, **params: Any) -> list[dict[str, Any]]:
    r = await actor.get(USERS, params=params)
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


def _ids(accounts: list[dict[str, Any]]) -> list[int]:
    return [a["id"] for a in accounts]


def _refused(r: Response, status: int, pointer: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert_problem(r)
    body: dict[str, Any] = r.json()
    if pointer is not None:
        assert pointer in [e["pointer"] for e in body["errors"]], body
    return body


async def _assignments(manager: Actor, auditor: Actor) -> list[dict[str, Any]]:
    [account] = [a for a in await _list(manager, role="auditor") if a["id"] == auditor.user_id]
    found: list[dict[str, Any]] = account["current_assignments"]
    return found


async def iris(world: World, *args: str) -> Result:
    """The command line against the world's database (in a thread: it runs its own loop)."""
    env = {"IRIS_DATABASE_URL": world.settings.database_url, "IRIS_PASSWORD_HASH_PROFILE": "test"}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


@pytest.mark.untrained  # the directory lists only the cast's accounts
async def test_filters_by_role_organisation_and_activity(world: World, cast: Cast) -> None:
    second = await world.staff("second@other-audit.example", "auditor",
                               organisation="Other Audit Body")
    gone = await world.staff("gone@audit.example", "auditor")
    admin = await world.staff("admin@scheme.example", "admin", organisation="Scheme")
    async with world.services.db.write() as session:
        await world.services.people.set_active(session, "gone@audit.example", False)
    # a registration whose address nobody confirmed yet may not log in either
    r = await world.client.post("/api/v1/recruiters", json={
        "organisation": {"name": "Pending Recruitment", "country": "NP"},
        "user": {"email": "pending@agency.example", "name": "Pending Owner",
                 "password": "lantern orchard river"}})
    assert r.status_code == 202, r.text

    auditors = await _list(cast.manager, role="auditor")
    assert _ids(auditors) == [cast.auditor.user_id, second.user_id]
    assert all(set(a) == ACCOUNT_FIELDS for a in auditors)
    first = auditors[0]
    assert (first["email"], first["roles"], first["organisation_id"], first["organisation_name"],
            first["organisation_kind"], first["status"], first["current_assignments"]) == (
        "auditor@audit.example", ["auditor"], cast.auditor.organisation_id, "Audit Body",
        "audit_body", "active", [])
    # one organisation's accounts, whatever their roles; an admin reads the same directory
    assert _ids(await _list(admin, organisation_id=cast.auditor.organisation_id)) == [
        cast.auditor.user_id]
    assert _ids(await _list(cast.manager, organisation_id=second.organisation_id,
                            role="auditor")) == [second.user_id]
    assert _ids(await _list(cast.manager, organisation_id=second.organisation_id,
                            role="scheme_manager")) == []
    assert _ids(await _list(cast.manager, role="scheme_manager")) == [cast.manager.user_id]
    assert _ids(await _list(cast.manager, role="recruiter")) == [cast.recruiter.user_id]
    # those who may not log in, apart
    inactive = await _list(cast.manager, active="false")
    assert [(a["email"], a["status"]) for a in inactive] == [
        ("gone@audit.example", "deactivated"), ("pending@agency.example", "unconfirmed")]
    assert gone.user_id not in _ids(await _list(cast.manager))
    everyone = await _list(cast.manager)
    assert set(_ids(everyone)) == {cast.recruiter.user_id, cast.manager.user_id,
                                   cast.auditor.user_id, second.user_id, admin.user_id}
    assert all("password" not in key and "hash" not in key and "token" not in key
               for a in everyone for key in a)
    # a role there is not, named, with the ones there are
    body = _refused(await cast.manager.get(USERS, params={"role": "inspector"}), 422,
                    "/query/role")
    assert "auditor" in body["errors"][0]["message"]


@pytest.mark.parametrize("who", ["recruiter", "auditor", "caseworker", "supervisor",
                                 "authority"])
async def test_no_one_else_lists_accounts(world: World, cast: Cast, who: str) -> None:
    actor = {"recruiter": cast.recruiter, "auditor": cast.auditor}.get(who) or await world.staff(
        f"{who}@scheme.example", who, organisation="Scheme")
    for params in ({}, {"role": "auditor"}, {"role": "inspector"},
                   {"organisation_id": str(cast.recruiter.organisation_id)}):
        body = _refused(await actor.get(USERS, params=params), 403)
        assert body["detail"] == "the staff directory is for scheme managers and administrators"
    _refused(await world.client.get(USERS), 401)


@pytest.mark.untrained  # the directory lists only the cast's accounts
async def test_paging_is_bounded_and_complete(world: World, cast: Cast) -> None:
    for i in range(5):
        await world.staff(f"auditor{i}@audit.example", "auditor")
    every = _ids(await _list(cast.manager, limit="200"))
    assert len(every) == 8 and every == sorted(every)
    pages, after = [], 0
    while page := _ids(await _list(cast.manager, limit="3", after=str(after))):
        assert len(page) <= 3
        pages += page
        after = page[-1]
    assert pages == every
    for params, pointer in [({"limit": "0"}, "/query/limit"), ({"limit": "201"}, "/query/limit"),
                            ({"after": "-1"}, "/query/after"),
                            ({"after": str(2**31)}, "/query/after"),
                            ({"organisation_id": "0"}, "/query/organisation_id"),
                            ({"active": "perhaps"}, "/query/active"),
                            ({"page": "2"}, "/query/page")]:
        _refused(await cast.manager.get(USERS, params=params), 422, pointer)
    _refused(await cast.manager.get(f"{USERS}?limit=1&limit=2"), 422, "/query/limit")


async def test_current_assignments_follow_the_case(world: World, cast: Cast) -> None:
    """Current: assigned to the auditor and in a state where the auditor still has a part,
    from the planned audit to the referral for decision (corrective action included: the
    auditor reviews its plan), and during a surveillance audit until it is complete."""
    second = await world.staff("second@other-audit.example", "auditor",
                               organisation="Other Audit Body")
    case_id = await walk_to(cast, "audit_planned")
    assert await _assignments(cast.manager, cast.auditor) == [{
        "case_id": case_id, "workflow": "accreditation", "state": "audit_planned",
        "organisation_id": cast.recruiter.organisation_id,
        "organisation_name": "Everest Fair Recruitment", "planned_on": date.today().isoformat()}]
    assert await _assignments(cast.manager, second) == []

    finding = {"severity": "minor", "principle": "1", "criterion": "1.2",
               "description": "Fees ledger incomplete"}
    steps: list[tuple[Actor, str, dict[str, Any], str | None]] = [
        (cast.auditor, "complete_audit", {"data": {"non_conformities": [finding]}}, "audited"),
        (cast.auditor, "request_corrective_action", {}, "corrective_action"),
        (cast.recruiter, "submit_corrective_action", {}, "corrective_action_review"),
        (cast.auditor, "accept_corrective_action", {}, "audited"),
        (cast.auditor, "refer_for_decision", {}, None),  # the auditor's part is done
        (cast.manager, "accredit", {}, None),
    ]
    for actor, event, body, current in steps:
        if event == "submit_corrective_action":
            r = await cast.manager.get(f"/api/v1/applications/{case_id}")
            [nc] = r.json()["non_conformities"]
            body = {"data": {"plans": [{"non_conformity_id": nc["id"], "action": "Itemised"}]}}
        r = await actor.fire(case_id, event, **body)
        assert r.status_code == 200, (event, r.text)
        found = await _assignments(cast.manager, cast.auditor)
        assert [a["state"] for a in found] == ([current] if current else []), event

    # a surveillance audit assigns the case anew, with its own planned date, until complete
    planned = (date.today() + timedelta(days=20)).isoformat()
    r = await cast.manager.fire(case_id, "start_surveillance",
                                data={"auditor_id": second.user_id, "planned_on": planned})
    assert r.status_code == 200, r.text
    assert [(a["case_id"], a["state"], a["planned_on"])
            for a in await _assignments(cast.manager, second)] == [
        (case_id, "surveillance", planned)]
    assert await _assignments(cast.manager, cast.auditor) == []
    # the command line shows the same, as JSON and as a table
    listed = await iris(world, "users", "list", "--role", "auditor", "--json")
    assert listed.exit_code == 0, listed.output
    by_id = {a["id"]: a for a in json.loads(listed.output)}
    assert [a["case_id"] for a in by_id[second.user_id]["current_assignments"]] == [case_id]
    table = await iris(world, "users", "list", "--role", "auditor")
    assert table.exit_code == 0, table.output
    [row] = [line for line in table.output.splitlines() if "second@other-audit" in line]
    assert row.split()[0] == str(second.user_id)
    assert f"case {case_id} (surveillance, {planned})" in row

    r = await second.fire(case_id, "complete_surveillance", data={"non_conformities": []})
    assert r.status_code == 200, r.text
    assert await _assignments(cast.manager, second) == []


async def test_an_auditor_sees_only_its_own_cases_as_assignments(world: World,
                                                                 cast: Cast) -> None:
    """Several cases at once, two auditors: each is shown its own, oldest first."""
    second = await world.staff("second@other-audit.example", "auditor",
                               organisation="Other Audit Body")
    first_case = await walk_to(cast, "audit_planned")
    other = Cast(await world.recruiter("Lotus Fair Recruitment"), cast.manager, second)
    second_case = await walk_to(other, "audit_planned")
    # one live case per organisation: a third recruiter for the third case
    third = Cast(await world.recruiter("Summit Fair Recruitment"), cast.manager, cast.auditor)
    third_case = await walk_to(third, "accepted")
    assert [a["case_id"] for a in await _assignments(cast.manager, cast.auditor)] == [first_case]
    assert [a["case_id"] for a in await _assignments(cast.manager, second)] == [second_case]
    r = await cast.manager.fire(third_case, "plan_audit", data={
        "auditor_id": cast.auditor.user_id, "planned_on": date.today().isoformat()})
    assert r.status_code == 200, r.text
    assert [a["case_id"] for a in await _assignments(cast.manager, cast.auditor)] == [
        first_case, third_case]


async def test_the_transitions_say_where_to_find_an_auditor_id(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accepted")
    r = await cast.manager.get(f"/api/v1/applications/{case_id}/transitions")
    assert r.status_code == 200, r.text
    [plan] = [t for t in r.json() if t["event"] == "plan_audit"]
    assert "GET /api/v1/users?role=auditor" in plan["data_schema"]["properties"]["auditor_id"][
        "description"]
    # the same in every transition that takes one
    spec = world.services.catalog.machine("accreditation").spec
    takes_auditor = [t for t in spec.transitions
                     if "auditor_id" in (t.data_schema or {}).get("properties", {})]
    assert {t.event for t in takes_auditor} >= {"plan_audit", "start_surveillance",
                                                "short_notice_audit"}
    for t in takes_auditor:
        assert "GET /api/v1/users?role=auditor" in t.data_schema["properties"]["auditor_id"][
            "description"], t.event

    # a wrong id is refused with the same pointer to the directory
    r = await cast.manager.fire(case_id, "plan_audit", data={
        "auditor_id": cast.manager.user_id, "planned_on": date.today().isoformat()})
    body = _refused(r, 422)
    assert body["type"].endswith("/guard-failed"), body
    assert AUDITORS_LISTED in body["detail"] + json.dumps(body.get("extra", {})), body
    assert "GET /api/v1/users?role=auditor" in AUDITORS_LISTED


async def test_an_unconfirmed_account_is_no_auditor_to_plan_with(world: World,
                                                                 cast: Cast) -> None:
    """Active means the same to the guard as to the directory: an account whose address was
    never confirmed (it cannot log in) is not offered, and not accepted."""
    r = await world.client.post("/api/v1/recruiters", json={
        "organisation": {"name": "Pending Audit Co", "country": "CH"},
        "user": {"email": "pending@audit.example", "name": "Pending Auditor",
                 "password": "lantern orchard river"}})
    assert r.status_code == 202, r.text
    async with world.services.db.write() as session:
        pending = await world.services.people.set_roles(session, "pending@audit.example",
                                                        ["auditor"])
    assert pending.id not in _ids(await _list(cast.manager, role="auditor"))
    case_id = await walk_to(cast, "accepted")
    r = await cast.manager.fire(case_id, "plan_audit", data={
        "auditor_id": pending.id, "planned_on": date.today().isoformat()})
    body = _refused(r, 422)
    assert f"user {pending.id} is not an active auditor" in json.dumps(body), body


@pytest.mark.untrained  # the directory lists only the cast's accounts
async def test_the_command_line_lists_and_filters(world: World, cast: Cast) -> None:
    async with world.services.db.write() as session:
        await world.services.people.set_active(session, "auditor@audit.example", False)
    listed = await iris(world, "users", "list")
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.output.splitlines()
    assert header.split()[:4] == ["id", "name", "e-mail", "roles"]
    assert sorted(int(row.split()[0]) for row in rows) == sorted(
        [cast.recruiter.user_id, cast.manager.user_id])
    inactive = await iris(world, "users", "list", "--inactive", "--json")
    assert inactive.exit_code == 0, inactive.output
    assert [(a["id"], a["status"]) for a in json.loads(inactive.output)] == [
        (cast.auditor.user_id, "deactivated")]
    by_org = await iris(world, "users", "list", "--organisation",
                        str(cast.manager.organisation_id), "--json")
    assert [a["id"] for a in json.loads(by_org.output)] == [cast.manager.user_id]
    none = await iris(world, "users", "list", "--role", "caseworker")
    assert (none.exit_code, none.output.strip()) == (0, "no accounts match")
    wrong = await iris(world, "users", "list", "--role", "inspector")
    assert wrong.exit_code == 1 and "inspector" in wrong.output and "supervisor" in wrong.output


async def test_the_demo_prints_each_accounts_id(database_url: str) -> None:
    """A newcomer reads the ids to plan an audit with off ``iris demo seed`` (and ``iris serve
    --demo``), with the roles; the log-in lines keep the shape scripts read."""
    from sqlalchemy import select

    from iris_engine.settings import Settings
    from iris_engine.store.db import Database
    from iris_engine.store.models import User
    from tests.integration.test_fuzz_public_api import _LOGIN

    env = {"IRIS_DATABASE_URL": database_url, "IRIS_PASSWORD_HASH_PROFILE": "test"}
    seeded = await asyncio.to_thread(CliRunner().invoke, main,
                                     ["demo", "seed", "--recruiters", "2"], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert "GET /api/v1/users?role=auditor" in seeded.output
    printed = {}
    for line in seeded.output.splitlines():
        parts = line.split()
        if len(parts) >= 4 and "@" in parts[1] and parts[3].isdigit():
            printed[parts[1]] = (parts[0], int(parts[3]))
    database = Database(Settings(database_url=database_url))
    try:
        async with database.read() as session:
            stored = {u.email: (u.roles, u.id) for u in (await session.scalars(select(User).where(
                User.email.in_(list(printed))))).all()}  # type: ignore[attr-defined]
    finally:
        await database.dispose()
    assert printed == stored and len(printed) >= 8
    assert {role for role, _id in printed.values()} >= {
        "scheme_manager", "auditor", "admin", "caseworker", "supervisor", "authority",
        "recruiter"}
    # the log-ins as scripts (and the fuzz tests) read them: role, e-mail, password
    logins = {email: role for role, email, _password in _LOGIN.findall(seeded.output)}
    assert logins == {email: role for email, (role, _id) in printed.items()}
