"""The course catalogue over HTTP: training coordinators add and revise courses (each
revision the next version), coordinators and trainers read any version, the public reads the
active ones; CPD hours are derived, never taken from the client; hostile input is refused as
problem+json, and simultaneous revisions never end in a 500."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from iris_engine.training.courses import demo_course_documents
from tests.integration.catalogue_support import catalogue_world
from tests.integration.conftest import Actor, World, assert_problem

COURSES = "/api/v1/training/courses"


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in catalogue_world(database_url, tmp_path):
        yield w


def frontline() -> dict[str, Any]:
    [doc] = [d for d in demo_course_documents() if d["key"] == "trafficking-awareness-frontline"]
    return copy.deepcopy(doc)


@pytest.fixture
async def coordinator(world: World) -> Actor:
    return await world.staff("coordinator@training.example", "training_coordinator",
                             organisation="Training Provider", kind="scheme")


@pytest.fixture
async def trainer(world: World) -> Actor:
    return await world.staff("trainer@training.example", "trainer",
                             organisation="Training Provider", kind="scheme")


async def test_a_course_is_added_read_and_revised(coordinator: Actor, trainer: Actor) -> None:
    r = await coordinator.post(COURSES, frontline())
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["key"], first["version"], first["cpd_hours"]) == (
        "trafficking-awareness-frontline", 1, 3.0)
    assert first["created_by"] == coordinator.user_id
    assert first["topic_labels"][0] == "What human trafficking is"
    assert first["document"]["active"] is True and first["document"]["cpd_hours"] == 3.0

    revised = frontline() | {"title": "Trafficking awareness (2027)", "active_minutes": 195}
    del revised["cpd_hours"]
    del revised["key"]  # a revision may leave the key out
    r = await coordinator.post(f"{COURSES}/trafficking-awareness-frontline/versions", revised)
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["cpd_hours"]) == (2, 3.25)

    for actor in (coordinator, trainer):
        latest = (await actor.get(f"{COURSES}/trafficking-awareness-frontline")).json()
        assert (latest["version"], latest["title"]) == (2, "Trafficking awareness (2027)")
        r = await actor.get(f"{COURSES}/trafficking-awareness-frontline", params={"version": 1})
        assert r.status_code == 200 and r.json()["title"] == frontline()["title"]
        listed = (await actor.get(COURSES)).json()
        assert [(c["key"], c["version"]) for c in listed] == [("trafficking-awareness-frontline", 2)]
        r = await actor.get(f"{COURSES}/trafficking-awareness-frontline/versions")
        assert [v["version"] for v in r.json()] == [1, 2]

    r = await trainer.get(f"{COURSES}/trafficking-awareness-frontline", params={"version": 3})
    assert r.status_code == 404
    assert_problem(r)
    r = await trainer.post(f"{COURSES}/trafficking-awareness-frontline/versions", revised)
    assert r.status_code == 403
    assert_problem(r)


async def test_a_taken_key_and_a_changed_key_are_refused(coordinator: Actor) -> None:
    assert (await coordinator.post(COURSES, frontline())).status_code == 201
    r = await coordinator.post(COURSES, frontline())
    assert r.status_code == 409
    assert_problem(r)
    assert "/versions" in r.json()["detail"]
    r = await coordinator.post(f"{COURSES}/trafficking-awareness-frontline/versions",
                               frontline() | {"key": "another-key"})
    assert r.status_code == 422
    assert [e["pointer"] for e in r.json()["errors"]] == ["/key"]
    unkeyed = {k: v for k, v in frontline().items() if k != "key"}
    r = await coordinator.post(f"{COURSES}/no-such-course/versions", unkeyed)
    assert r.status_code == 404
    assert_problem(r)


async def test_cpd_hours_from_the_client_must_agree(coordinator: Actor) -> None:
    r = await coordinator.post(COURSES, frontline() | {"cpd_hours": 3.5})
    assert r.status_code == 422
    assert_problem(r)
    assert [e["pointer"] for e in r.json()["errors"]] == ["/cpd_hours"]
    assert "3" in r.json()["errors"][0]["message"]
    longer = {k: v for k, v in frontline().items() if k != "cpd_hours"} | {"active_minutes": 240}
    r = await coordinator.post(COURSES, longer)
    assert r.status_code == 422
    assert [e["pointer"] for e in r.json()["errors"]] == ["/active_minutes"]


@pytest.mark.parametrize("body, status", [
    ({"title": "A\u0000B"}, 422),
    ({"title": "x" * 201}, 422),
    ({"summary": "x" * 30000}, 422),
    ({"other_topics": [f"topic {i}" for i in range(5000)]}, 422),
    ({"duration_minutes": 10**30}, 422),
    ({"duration_minutes": "210"}, 422),
    ({"accreditation_prerequisite": "yes"}, 422),
    ({"pass_rules": {"attendance_threshold_percent": 80, "knowledge_check": None}}, 422),
    ({f"extra{i}": i for i in range(3000)}, 422),
])
async def test_hostile_documents_are_refused_as_problems(coordinator: Actor, body: dict[str, Any],
                                                         status: int) -> None:
    r = await coordinator.post(COURSES, frontline() | body)
    assert r.status_code == status, r.text
    assert_problem(r)
    assert 0 < len(r.json()["errors"]) <= 50


async def test_malformed_requests_are_problems(world: World, coordinator: Actor) -> None:
    deep = b'{"key": ' + b'{"a": ' * 2000 + b"{}" + b"}" * 2001
    for r in [
        await coordinator.client.post(COURSES, content=b"{" * 100000, headers={
            **coordinator.headers, "content-type": "application/json"}),
        await coordinator.client.post(COURSES, content=b"key=x", headers={
            **coordinator.headers, "content-type": "application/x-www-form-urlencoded"}),
        await coordinator.post(COURSES, [frontline()]),
        await coordinator.post(COURSES, frontline() | {"summary": "x" * 70_000}),
        await coordinator.post(f"{COURSES}/trafficking-awareness-frontline/versions",
                               frontline() | {"other_topics": ["y" * 1000] * 100}),
        await coordinator.client.post(COURSES, content=deep, headers={
            **coordinator.headers, "content-type": "application/json"}),
        await coordinator.get(f"{COURSES}/trafficking-awareness-frontline", params={"version": "0"}),
        await coordinator.get(f"{COURSES}/trafficking-awareness-frontline",
                              params={"version": str(2**40)}),
        await coordinator.get(f"{COURSES}/" + "k" * 60),
        await coordinator.get(f"{COURSES}/bad%00key"),
    ]:
        assert 400 <= r.status_code < 500, r.text
        assert_problem(r)
    # a body beyond any course's size is refused before it is read
    r = await coordinator.post(COURSES, frontline() | {"summary": "x" * 70_000})
    assert r.status_code == 413
    assert_problem(r)


async def test_the_public_list_shows_active_courses_only(world: World, coordinator: Actor) -> None:
    for doc in demo_course_documents():
        assert (await coordinator.post(COURSES, doc)).status_code == 201
    r = await world.client.get(f"{COURSES}/public")
    assert r.status_code == 200, r.text
    assert "public" in r.headers["cache-control"]
    courses = {c["key"]: c for c in r.json()}
    assert set(courses) == {"trafficking-awareness-frontline", "iris-ethical-recruitment-foundations"}
    frontline_public = courses["trafficking-awareness-frontline"]
    assert frontline_public["cpd_hours"] == 3.0
    assert "Police" in frontline_public["audiences"]
    assert "created_by" not in frontline_public and "document" not in frontline_public
    assert courses["iris-ethical-recruitment-foundations"]["accreditation_prerequisite"] is True

    retired = frontline() | {"active": False}
    r = await coordinator.post(f"{COURSES}/trafficking-awareness-frontline/versions", retired)
    assert r.status_code == 201, r.text
    keys = [c["key"] for c in (await world.client.get(f"{COURSES}/public")).json()]
    assert keys == ["iris-ethical-recruitment-foundations"]
    # staff still see it, as retired
    listed = {c["key"]: c for c in (await coordinator.get(COURSES)).json()}
    assert listed["trafficking-awareness-frontline"]["active"] is False


async def test_simultaneous_revisions_end_in_versions_or_a_conflict(world: World,
                                                                      coordinator: Actor) -> None:
    assert (await coordinator.post(COURSES, frontline())).status_code == 201
    path = f"{COURSES}/trafficking-awareness-frontline/versions"
    results = await asyncio.gather(*(coordinator.post(path, frontline() | {"title": f"Take {i}"})
                                     for i in range(4)))
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}, [r.text for r in results]
    for r in results:
        if r.status_code == 409:
            assert_problem(r)
    created = sorted(r.json()["version"] for r in results if r.status_code == 201)
    assert created == list(range(2, 2 + len(created))) and created
    versions = (await coordinator.get(f"{COURSES}/trafficking-awareness-frontline/versions")).json()
    assert [v["version"] for v in versions] == [1, *created]


async def test_simultaneous_additions_of_one_key_make_one_course(world: World,
                                                                 coordinator: Actor) -> None:
    results = await asyncio.gather(*(coordinator.post(COURSES, frontline()) for _ in range(3)))
    assert sorted(r.status_code for r in results) == [201, 409, 409], [r.text for r in results]
    for r in results:
        if r.status_code == 409:
            assert_problem(r)


async def test_the_schema_is_published(world: World) -> None:
    r = await world.client.get("/api/v1/training/course-schema")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/schema+json")
    schema = r.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "active_minutes" in schema["required"]


async def test_the_demo_courses_are_added_once(world: World, coordinator: Actor) -> None:
    from iris_engine.cases import Principal
    from iris_engine.training.courses import CourseCatalogue

    catalogue = CourseCatalogue(world.services.db, world.services.clock)
    who = Principal(coordinator.user_id, coordinator.organisation_id,
                    frozenset({"training_coordinator"}))
    added = await catalogue.add_demo_courses(who)
    assert sorted(c.key for c in added) == ["iris-ethical-recruitment-foundations",
                                            "trafficking-awareness-frontline"]
    assert await catalogue.add_demo_courses(who) == []
    assert {c.key: c.cpd_hours for c in await catalogue.public()} == {
        "iris-ethical-recruitment-foundations": 3.5, "trafficking-awareness-frontline": 3.0}
