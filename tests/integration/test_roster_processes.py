"""The roster served by several processes on one database (``iris serve --workers N``, or N
instances behind a balancer): each keeps its own cache of pages, and none serves a roster older
than ``IRIS_ROSTER_CACHE_SECONDS`` once another process has changed it."""

from __future__ import annotations

from dataclasses import replace

from httpx import ASGITransport, AsyncClient

from iris_engine.app import create_app
from iris_engine.services import build_services
from tests.integration.conftest import Cast, World, newcomer, walk_to


class Seconds:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_another_process_sees_a_roster_change_within_its_cache_seconds(
        world: World, cast: Cast) -> None:
    first = await walk_to(cast, "accredited")
    assert first
    ttl = 30.0
    settings = replace(world.settings, roster_cache_seconds=ttl)
    other = build_services(settings, clock=world.clock)  # its own pool, its own caches
    seconds = Seconds()
    other.roster.monotonic = seconds
    try:
        async with AsyncClient(transport=ASGITransport(app=create_app(settings, services=other)),
                               base_url="http://testserver") as client:
            before = await client.get("/api/v1/roster")
            page_before = await client.get("/roster")
            entries = [e["lrn"] for e in before.json()["items"]]
            assert len(entries) == 1 and entries[0] in page_before.text

            # this process (the world's app) accredits a second recruiter
            second = await walk_to(await newcomer(world, cast, 0), "accredited")
            lrn = (await cast.manager.get(f"/api/v1/applications/{second}")).json()["lrn"]
            assert lrn in (await world.client.get("/api/v1/roster")).text  # its own: at once

            # the other process keeps what it has until its cache seconds run out ...
            seconds.now += ttl - 1
            assert (await client.get("/api/v1/roster")).json() == before.json()
            assert lrn not in (await client.get("/roster")).text
            # ... and then reads the roster's version, sees it moved, and drops every page
            seconds.now += 1
            after = await client.get("/api/v1/roster")
            assert lrn in [e["lrn"] for e in after.json()["items"]]
            assert after.json()["roster_version"] > before.json()["roster_version"]
            assert after.headers["etag"] != before.headers["etag"]
            assert lrn in (await client.get("/roster")).text
            assert (await client.get(f"/api/v1/roster/{lrn}")).status_code == 200
            # the two processes now answer the same document, with the same ETag
            here = await world.client.get("/api/v1/roster")
            assert here.content == after.content and here.headers["etag"] == after.headers["etag"]
    finally:
        await other.db.dispose()
