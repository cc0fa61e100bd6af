"""Every role against every endpoint of the course catalogue and the training statistics (the
role matrix of tests/integration/test_role_matrix.py, for these routes): who gets what, each
refusal as problem+json, and every operation of these routes has a row."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from iris_engine.training.courses import demo_course_documents
from tests.integration.catalogue_support import catalogue_world
from tests.integration.conftest import World, assert_problem

#: every caller, anonymous first; the training coordinator before the others, so that where
#: it creates something the others meet the same request after it
ACTORS = ("anonymous", "coordinator", "trainer", "org_coordinator", "recruiter", "manager",
          "admin")
KEY = "trafficking-awareness-frontline"
#: the paths these rows cover (a new operation under them needs a row)
PREFIXES = ("/api/v1/training/courses", "/api/v1/training/course-schema",
            "/api/v1/training/statistics")

Row = tuple[str, str, Any, dict[str, int]]


def expect(ok: str, ok_status: int = 200, *, anonymous: int = 401) -> dict[str, int]:
    allowed = set(ok.split())
    assert allowed <= set(ACTORS), allowed - set(ACTORS)
    table = {a: ok_status if a in allowed else 403 for a in ACTORS}
    table["anonymous"] = anonymous if "anonymous" not in allowed else ok_status
    return table


def _document(**changes: Any) -> dict[str, Any]:
    [doc] = [d for d in demo_course_documents() if d["key"] == KEY]
    return copy.deepcopy(doc) | changes


def catalogue_rows(key: str = KEY) -> list[Row]:
    """Who gets what from each endpoint (the course ``key`` exists at version 1)."""
    readers = expect("coordinator trainer")
    course = f"/api/v1/training/courses/{key}"
    return [
        ("GET", "/api/v1/training/courses", None, readers),
        ("GET", course, None, readers),
        ("GET", f"{course}?version=1", None, readers),
        ("GET", f"{course}/versions", None, readers),
        # anyone, signed in or not: the courses offered now
        ("GET", "/api/v1/training/courses/public", None, expect(" ".join(ACTORS))),
        ("GET", "/api/v1/training/course-schema", None, expect(" ".join(ACTORS))),
        # training coordinators write; the role is checked before the body
        ("POST", "/api/v1/training/courses", _document(key="another-course"),
         expect("coordinator", 201)),
        ("POST", f"{course}/versions", _document(title="Revised"), expect("coordinator", 201)),
        # statistics: training coordinators (all), an organisation's coordinator (its own)
        ("GET", "/api/v1/training/statistics", None, expect("coordinator org_coordinator")),
    ]


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in catalogue_world(database_url, tmp_path):
        yield w


async def test_every_role_against_every_catalogue_endpoint(world: World) -> None:
    provider = {"organisation": "Training Provider", "kind": "scheme"}
    actors = {
        "coordinator": await world.staff("coordinator@training.example", "training_coordinator",
                                         **provider),
        "trainer": await world.staff("trainer@training.example", "trainer", **provider),
        "org_coordinator": await world.staff("training@police.example", "organisation_coordinator",
                                             organisation="County Police", kind="authority"),
        "recruiter": await world.recruiter("Everest Fair Recruitment", certified=False),
        "manager": await world.staff("manager@scheme.example", "scheme_manager",
                                     organisation="Scheme", kind="scheme"),
        "admin": await world.staff("admin@scheme.example", "admin", organisation="Scheme"),
    }
    r = await actors["coordinator"].post("/api/v1/training/courses", _document())
    assert r.status_code == 201, r.text
    mismatches = []
    for method, path, body, table in catalogue_rows():
        for actor in ACTORS:
            headers = actors[actor].headers if actor in actors else {}
            r = await world.client.request(method, path, json=body, headers=headers)
            where = f"{actor:>16} {method} {path}"
            if r.status_code != table[actor]:
                mismatches.append(f"{where}: got {r.status_code}, expected {table[actor]}: "
                                  f"{r.text[:160]}")
            elif r.status_code >= 400:
                try:
                    assert_problem(r)
                except (AssertionError, ValueError, KeyError) as e:
                    mismatches.append(f"{where}: {r.status_code} is not problem+json: {e}")
    assert not mismatches, "\n" + "\n".join(mismatches)


async def test_every_catalogue_operation_has_a_row(world: World) -> None:
    spec = (await world.client.get("/schema/openapi.json")).json()
    operations: dict[tuple[str, re.Pattern[str]], str] = {}
    for path, item in spec["paths"].items():
        if not path.startswith(PREFIXES):
            continue
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                operations[(method.upper(), pattern)] = op["operationId"]
    assert len(operations) == 8, operations
    covered = set()
    for method, path, _body, _table in catalogue_rows():
        path = path.split("?")[0]
        # the most specific path: a static one (public) before a course key
        matches = [(p.pattern.count("[^/]+"), op) for (m, p), op in operations.items()
                   if m == method and p.match(path)]
        covered.add(min(matches)[1])
    assert set(operations.values()) - covered == set()
