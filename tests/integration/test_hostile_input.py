"""Input PostgreSQL cannot store, or that broke the server, is refused at the edge with a 4xx
problem+json pointing at the value, the same on SQLite and PostgreSQL (issue #10, item 2), and
the contract the fuzzer holds us to (item 12): strict booleans, 415 for bodies that are not
JSON, a repeated single-valued parameter refused, OPTIONS listing every method."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import select
from sqlmodel import col

from iris_engine import bounds
from iris_engine.store.models import User
from tests.integration.conftest import (
    Cast,
    World,
    assert_problem,
    file_grievance,
    grievance_filing,
    walk_to,
)

NUL = "\x00"


def _refused(r: Response, pointer: str, status: int = 422) -> None:
    assert r.status_code == status, r.text
    assert_problem(r)
    pointers = [e["pointer"] for e in r.json().get("errors", [])]
    assert pointer in pointers, (pointer, r.json())


def _registration(org: str = "Kathmandu Fair Jobs", person: str = "Asha Rai",
                  email: str = "asha@kathmandu.example") -> dict[str, Any]:
    return {"organisation": {"name": org, "country": "NP"},
            "user": {"email": email, "name": person, "password": "a long enough password"}}


async def test_nul_anywhere_is_refused_with_a_pointer(world: World, cast: Cast) -> None:
    filing = await file_grievance(world)
    case_id = await walk_to(cast, "submitted")
    client, manager = world.client, cast.manager
    revision = (await manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]

    _refused(await client.get("/api/v1/roster", params={"q": f"ever{NUL}est"}), "/query/q")
    _refused(await client.get("/api/v1/roster", params={"lrn": f"LRN{NUL}"}), "/query/lrn")
    _refused(await client.get("/api/v1/roster/LRN%000001"), "/path/lrn")
    _refused(await client.get("/api/v1/grievances/GRV-%00", headers=filing.headers),
             "/path/reference")
    _refused(await client.get(f"/api/v1/grievances/{filing.reference}",
                              headers={"IRIS-Access-Code": f"{filing.access_code}{NUL}"}),
             "/header/iris-access-code")
    _refused(await client.post("/api/v1/auth/token",
                               json={"email": f"manager@scheme.example{NUL}", "password": "x"}),
             "/email")
    _refused(await client.post("/api/v1/recruiters", json=_registration(org=f"Lotus{NUL}")),
             "/organisation/name")
    _refused(await client.post("/api/v1/recruiters", json=_registration(person=f"Asha{NUL}")),
             "/user/name")
    _refused(await manager.get("/api/v1/applications", params={"state": f"submitted{NUL}"}),
             "/query/state")
    body = {"event": "accept_application", "expected_revision": revision}
    _refused(await manager.post(f"/api/v1/applications/{case_id}/transitions",
                                {**body, "note": f"fine{NUL}"}), "/note")
    _refused(await manager.post(f"/api/v1/applications/{case_id}/transitions",
                                {**body, "data": {"why": [f"a{NUL}"]}}), "/data/why/0")
    _refused(await manager.post(f"/api/v1/applications/{case_id}/transitions",
                                {**body, "data": {f"k{NUL}": 1}}), f"/data/k{NUL}")
    _refused(await client.post(f"/api/v1/grievances/{filing.reference}/messages",
                               json={"body": f"hello{NUL}"}, headers=filing.headers), "/body")
    _refused(await cast.recruiter.post("/api/v1/applications",
                                       {"self_assessment": {"principles": {"A": f"x{NUL}"}}}),
             "/self_assessment/principles/A")
    _refused(await client.post("/api/v1/codes-of-conduct/iris-standard/1.2/validate",
                               json={"principles": {"A": {"name": f"x{NUL}"}}}),
             "/principles/A/name")
    # nothing of it was written: the case is where it was
    assert (await manager.get(f"/api/v1/applications/{case_id}")).json()["revision"] == revision


@pytest.mark.parametrize(("where", "bound"), [
    ("/organisation/name", bounds.ORGANISATION_NAME),
    ("/user/name", bounds.PERSON_NAME),
    ("/user/email", bounds.EMAIL),
])
async def test_registration_strings_fit_their_columns(world: World, where: str, bound: int) -> None:
    def body(length: int) -> dict[str, Any]:
        value = {"/organisation/name": "O" * length, "/user/name": "P" * length,
                 "/user/email": "e" * (length - len("@agency.example")) + "@agency.example"}[where]
        org, person, email = ("Kathmandu Fair Jobs", "Asha Rai", f"{length}@agency.example")
        if where == "/organisation/name":
            org = value
        elif where == "/user/name":
            person = value
        else:
            email = value
        return _registration(org, person, email)

    _refused(await world.client.post("/api/v1/recruiters", json=body(bound + 1)), where)
    # exactly at the bound: stored on both databases (the column holds it); registration
    # answers alike whether or not it stored an account, so look in the database
    sent = body(bound)
    r = await world.client.post("/api/v1/recruiters", json=sent)
    assert r.status_code == 202, r.text
    async with world.services.db.read() as session:
        stored = (await session.scalars(select(User).where(
            col(User.email) == sent["user"]["email"]))).one()
    assert (stored.name, len(stored.email)) == (sent["user"]["name"],
                                                len(sent["user"]["email"]))


async def test_grievance_language_and_log_in_strings_are_bounded(world: World) -> None:
    long_tag = "ne" + "-abcdefgh" * 4  # matches the BCP 47 pattern, longer than the column
    assert len(long_tag) > bounds.LANGUAGE_TAG
    _refused(await world.client.post("/api/v1/grievances", json=grievance_filing(language=long_tag)),
             "/language")
    _refused(await world.client.post("/api/v1/auth/token", json={
        "email": "x" * (bounds.EMAIL + 1), "password": "whatever"}), "/email")
    r = await world.client.post("/api/v1/auth/token", json={
        "email": "x" * bounds.EMAIL, "password": "whatever"})
    assert r.status_code == 401, r.text


@pytest.mark.parametrize("after", [-(2**31) - 1, -(2**63), 2**31, 2**63])
async def test_list_cursor_beyond_the_integer_column_is_refused(cast: Cast, after: int) -> None:
    _refused(await cast.manager.get("/api/v1/applications", params={"after": str(after)}),
             "/query/after")


async def test_list_limit_bounds_are_refused_not_clamped(cast: Cast) -> None:
    for limit in ("0", "201", "-1"):
        _refused(await cast.manager.get("/api/v1/applications", params={"limit": limit}),
                 "/query/limit")
    r = await cast.manager.get("/api/v1/applications", params={"limit": "200"})
    assert r.status_code == 200, r.text


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_deeply_nested_json_is_a_client_error_on_every_body(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    targets = [
        (world.client, "/api/v1/grievances", {}),  # public
        (world.client, "/api/v1/codes-of-conduct/iris-standard/1.2/validate", {}),  # public
        (world.client, "/api/v1/auth/token", {}),  # public
        (world.client, f"/api/v1/applications/{case_id}/transitions", cast.manager.headers),
    ]
    for client, path, headers in targets:
        for depth in (1000, 100_000):
            r = await client.post(path, content=_nested(depth).encode(),
                                  headers={**headers, "Content-Type": "application/json"})
            _refused(r, "/", status=400)
        # deep enough to harm, shallow enough to decode: refused where it gets too deep
        doc = json.dumps({"data": json.loads(_nested(bounds.MAX_DEPTH + 5))})
        r = await client.post(path, content=doc.encode(),
                              headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 422, (path, r.text)
        assert_problem(r)
        assert r.json()["errors"][0]["pointer"].startswith("/data/0/0/0"), r.json()


async def test_bodies_that_are_not_json_are_refused_with_415(world: World, cast: Cast) -> None:
    body = json.dumps(grievance_filing()).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        r = await world.client.post("/api/v1/grievances", content=body,
                                    headers={"Content-Type": content_type})
        _refused(r, "/header/content-type", status=415)
    r = await world.client.post("/api/v1/grievances", content=body,
                                headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text
    document = (await world.client.get("/schema/openapi.json")).json()
    assert "415" in document["paths"]["/api/v1/grievances"]["post"]["responses"]


async def test_booleans_and_integers_are_strict(world: World, cast: Cast) -> None:
    for value in ("true", 1, "1", None):
        _refused(await world.client.post("/api/v1/grievances",
                                         json=grievance_filing(documents_retained=value)),
                 "/documents_retained")
    case_id = await walk_to(cast, "submitted")
    _refused(await cast.manager.post(f"/api/v1/applications/{case_id}/transitions",
                                     {"event": "accept_application", "expected_revision": "1"}),
             "/expected_revision")


async def test_a_single_valued_parameter_given_twice_is_refused(world: World, cast: Cast) -> None:
    _refused(await cast.manager.get("/api/v1/applications?limit=1&limit=2"), "/query/limit")
    _refused(await world.client.get("/api/v1/roster?limit=1&limit=2"), "/query/limit")
    # a parameter the operation does not take is refused, not ignored
    _refused(await world.client.get("/api/v1/roster?stauts=accredited"), "/query/stauts")
    # a list parameter may repeat
    r = await world.client.get("/api/v1/roster?status=accredited&status=suspended")
    assert r.status_code == 200, r.text
    document = (await world.client.get("/schema/openapi.json")).json()
    limit = next(p for p in document["paths"]["/api/v1/roster"]["get"]["parameters"]
                 if p["name"] == "limit")
    assert "once" in limit["description"] and limit["schema"]["minimum"] == 1


async def test_options_lists_every_method_of_a_shared_path(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    for path, methods in (("/api/v1/applications", {"GET", "POST", "OPTIONS"}),
                          (f"/api/v1/applications/{case_id}/transitions", {"GET", "POST", "OPTIONS"}),
                          ("/api/v1/roster", {"GET", "OPTIONS"})):
        r = await world.client.options(path)
        assert r.status_code == 204, r.text
        assert {m.strip() for m in r.headers["allow"].split(",")} == methods, (path, r.headers)
