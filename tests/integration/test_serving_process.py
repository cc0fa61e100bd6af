"""A process that only serves (``uvicorn iris_engine.asgi:app``, ``iris serve``) moves what
start-up built out of the garbage collector's full passes once it has started; an app built for
a test or the CLI leaves the collector as it is."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from httpx import ASGITransport, AsyncClient

from iris_engine.app import create_app
from tests.integration.conftest import World


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:  # what a test froze is handed back, so the rest of the run collects it as usual
        gc.unfreeze()


async def _started_and_asked(world: World, *, serving: bool) -> int:
    """The number of objects frozen once the app has started and answered a request."""
    app = create_app(world.settings, services=world.services, serving=serving)
    async with app.lifespan():
        frozen = gc.get_freeze_count()
        async with AsyncClient(transport=ASGITransport(app=app),
                               base_url="http://testserver") as client:
            r = await client.get("/api/v1/roster")
            assert r.status_code == 200, r.text
    return frozen


async def test_a_serving_app_freezes_what_start_up_built(world: World, unfrozen: None) -> None:
    frozen = await _started_and_asked(world, serving=True)
    # the modules, the app and its schemas at the least; garbage was collected first
    assert frozen > 50_000
    assert gc.garbage == []


async def test_an_app_built_for_a_test_or_the_cli_freezes_nothing(world: World,
                                                                  unfrozen: None) -> None:
    assert await _started_and_asked(world, serving=False) == 0
