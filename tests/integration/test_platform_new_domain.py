"""The promise of the platform, kept: a workflow that exists only in the tests (a YAML file,
its hooks and its table: tests/sample_domain) gets the five case endpoints with their own
operation ids, access closed to every role its file does not list, an audit trail and a
deadline that fires by itself, with no shared module touched."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from iris_engine.app import create_app
from iris_engine.cases.audit import verify_chains
from iris_engine.clock import ManualClock, utcnow
from iris_engine.domains import DOMAINS
from iris_engine.services import build_services
from iris_engine.store.models import OutboxMessage
from iris_engine.ticker import Ticker
from tests import sample_domain
from tests.conftest import REPO
from tests.integration import conftest
from tests.integration.conftest import Actor, World, assert_problem


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    folder = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    shutil.copy(sample_domain.WORKFLOW_FILE, folder)
    settings = conftest.test_settings(database_url, workflows_dir=folder)
    clock = ManualClock(utcnow())
    services = build_services(settings, clock=clock, domains=(*DOMAINS, sample_domain.DOMAIN))
    async with services.db.write_engine.begin() as conn:  # its table ships with no migration
        await conn.run_sync(sample_domain.SampleBase.metadata.create_all)
    ticker = Ticker(services, "test-ticker")
    app = create_app(settings, services=services)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
        yield World(services, client, settings, clock, ticker)
    await ticker.stop()
    await services.db.dispose()


async def test_its_endpoints_are_generated_with_its_own_operation_ids(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    operations = {op["operationId"]: (path, method, op) for path, item in spec["paths"].items()
                  for method, op in item.items() if path.startswith("/api/v1/inquiries")}
    assert set(operations) == {"askInquiry", "listInquiries", "getInquiry",
                               "listInquiryTransitions", "fireInquiryTransition",
                               "getInquiryHistory"}
    _, _, fire = operations["fireInquiryTransition"]
    assert {"401", "403", "404", "409", "422"} <= set(fire["responses"])
    assert fire["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "InquiryView")


async def test_every_role_against_its_endpoints(world: World) -> None:
    asker = await world.recruiter("Asking Agency")
    actors: dict[str, Actor | None] = {
        "anonymous": None, "asker": asker, "other_recruiter": await world.recruiter("Other Agency"),
        "manager": await world.staff("manager@scheme.example", "scheme_manager",
                                     organisation="Scheme", kind="scheme"),
        # roles the inquiry file does not list: closed by default
        "caseworker": await world.staff("case@scheme.example", "caseworker", organisation="Scheme"),
        "admin": await world.staff("admin@scheme.example", "admin", organisation="Scheme"),
        "auditor": await world.staff("auditor@audit.example", "auditor"),
    }
    r = await asker.post("/api/v1/inquiries", {"question": "May a sub-agent charge for medicals?"})
    assert r.status_code == 201, r.text
    case = f"/api/v1/inquiries/{r.json()['id']}"
    answer = {"event": "answer", "expected_revision": 1, "note": "No: the employer pays."}
    everyone_else = {"caseworker": 403, "admin": 403, "auditor": 403, "anonymous": 401}
    rows = [
        ("GET", "/api/v1/inquiries", None,
         {"asker": 200, "other_recruiter": 200, "manager": 200, **everyone_else}),
        ("POST", "/api/v1/inquiries", {"question": "And visas?"},
         {"asker": 201, "other_recruiter": 201, "manager": 403, **everyone_else}),
        *[("GET", case + tail, None,
           {"asker": 200, "other_recruiter": 403, "manager": 200, **everyone_else})
          for tail in ("", "/transitions", "/history")],
        ("POST", case + "/transitions", answer,
         {"asker": 403, "other_recruiter": 403, "manager": 200, **everyone_else}),
    ]
    mismatches = []
    for method, path, body, expected in rows:
        for name, actor in actors.items():
            headers = actor.headers if actor else {}
            r = await world.client.request(method, path, json=body, headers=headers)
            if r.status_code != expected[name]:
                mismatches.append(f"{name} {method} {path}: {r.status_code}, not {expected[name]}")
            elif r.status_code >= 400:
                assert_problem(r)
    assert not mismatches, "\n".join(mismatches)
    # the lists are scoped: each recruiter sees its own inquiries, the manager all of them
    questions = {name: sorted(i["question"] for i in (await actors[name].get(  # type: ignore[union-attr]
        "/api/v1/inquiries")).json()) for name in ("asker", "other_recruiter", "manager")}
    assert questions == {
        "asker": ["And visas?", "May a sub-agent charge for medicals?"],
        "other_recruiter": ["And visas?"],
        "manager": ["And visas?", "And visas?", "May a sub-agent charge for medicals?"]}


async def test_its_deadline_fires_by_itself_and_the_audit_trail_holds(world: World) -> None:
    asker = await world.recruiter("Asking Agency")
    manager = await world.staff("manager@scheme.example", "scheme_manager", organisation="Scheme",
                                kind="scheme")
    r = await asker.post("/api/v1/inquiries", {"question": "Is a skills test a related cost?"})
    case_id = r.json()["id"]

    world.clock.advance(days=10, minutes=1)
    await world.tick()

    r = await manager.get(f"/api/v1/inquiries/{case_id}")
    assert (r.json()["state"], r.json()["revision"]) == ("escalated", 2)
    history = (await manager.get(f"/api/v1/inquiries/{case_id}/history")).json()
    assert [(e["event"], e["actor_role"]) for e in history] == [("open", "recruiter"),
                                                               ("escalate", "system")]
    async with world.services.db.read() as session:
        told = (await session.scalars(select(OutboxMessage.destination).where(
            OutboxMessage.case_id == case_id))).all()
        assert told == ["manager@scheme.example"]
        assert (await verify_chains(session))[2] is None
    r = await manager.post(f"/api/v1/inquiries/{case_id}/transitions",
                           {"event": "answer", "expected_revision": 2, "note": "Yes."})
    assert r.json()["state"] == "answered"
    assert r.json()["answered_at"] is not None
