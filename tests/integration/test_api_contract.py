"""One error shape everywhere, documented as such; reference endpoints; migrations."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from iris_engine.migrations import include_name
from tests.integration.conftest import Cast, World, assert_problem


async def test_every_error_has_the_one_shape(world: World, cast: Cast) -> None:
    c = world.client
    responses = [
        await c.get("/api/v1/applications"),  # 401
        await cast.recruiter.get("/api/v1/applications/424242"),  # 404
        await c.get("/api/v1/roster/LRN99999999"),  # 404
        await c.get("/api/v1/roster", params={"limit": "many"}),  # 400/422
        await c.get("/api/v1/workflows/nope"),  # 404
        await c.get("/api/v1/codes-of-conduct/nope/1/schemas/x.json"),  # 404
        await c.post("/api/v1/auth/token", json={"email": "x"}),  # 400/422
        await cast.manager.post("/api/v1/applications", {}),  # 403: not a recruiter
        await c.get("/no/such/path"),  # 404 from the router
        await c.delete("/api/v1/roster"),  # 405
    ]
    assert [r.status_code for r in responses] == [401, 404, 404, 422, 404, 404, 422, 403, 404, 405]
    for r in responses:
        assert_problem(r)


async def test_openapi_documents_problem_json_for_errors(world: World) -> None:
    schema = (await world.client.get("/schema/openapi.json")).json()
    assert "Problem" in schema["components"]["schemas"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            for status, resp in op.get("responses", {}).items():
                if status.startswith(("4", "5")):
                    assert list(resp.get("content", {})) == ["application/problem+json"], (
                        f"{method.upper()} {path} {status}")


async def test_reference_endpoints(world: World) -> None:
    c = world.client
    assert (await c.get("/health")).json() == {"status": "ok"}
    codes = (await c.get("/api/v1/codes-of-conduct")).json()
    assert [p["id"] for p in codes[0]["principles"]] == ["A", "B", "1", "2", "3", "4", "5"]
    for p in codes[0]["principles"]:
        r = await c.get(f"/api/v1/codes-of-conduct/iris-standard/1.2/schemas/{p['schema']}")
        assert r.status_code == 200 and r.json()["$id"].endswith(p["schema"])
    r = await c.post("/api/v1/codes-of-conduct/iris-standard/1.2/validate", json={"code": "x"})
    assert r.json()["valid"] is False and r.json()["errors"]
    diagram = await c.get("/api/v1/workflows/accreditation/diagram")
    assert diagram.status_code == 200 and "stateDiagram" in diagram.text
    spec = (await c.get("/api/v1/workflows/accreditation")).json()
    assert spec["initial"] == "draft" and len(spec["transitions"]) > 10


async def test_migrations_match_the_models(world: World) -> None:
    def diff(connection: Any) -> list[Any]:
        return compare_metadata(MigrationContext.configure(
            connection, opts={"include_name": include_name}), SQLModel.metadata)

    async with world.services.db.write_engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
