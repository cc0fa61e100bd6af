"""Browser tests: a real ``iris serve`` (demo data, SQLite or PostgreSQL) driven by Playwright
in Debian's chromium (STACK_NOTES.md: ``playwright install`` downloads a browser and fails
here; the package's binary is used instead).

Without chromium (``/usr/bin/chromium``, or ``IRIS_CHROMIUM``) these tests skip with that
reason; ``.ci/run`` installs it and fails the build if any browser test skipped.

Every page a test opens is watched: a request to any origin but the server's fails the test
(``Site.page``), and ``assert_accessible`` runs axe-core (bundled by the
``axe-playwright-python`` package) and fails on a serious or critical violation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import PHONE, Site, chromium_path
from tests.conftest import PG_ENV
from tests.databases import PostgresServer
from tests.integration.test_fuzz_public_api import start_server, stop_server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module's tests. Not for the session: while Playwright's sync API runs,
    its event loop is this thread's running loop, and an integration test that a pytest-xdist
    worker runs next (asyncio.run, Alembic) would fail beside it."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium not installed: apt-get install chromium, or set IRIS_CHROMIUM "
                    "(.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         browser: Any) -> Iterator[Site]:
    """The demo service, as a newcomer starts it, on each database."""
    tmp = tmp_path_factory.mktemp("site")
    if request.param == "sqlite":
        yield from _served(tmp, f"sqlite+aiosqlite:///{tmp / 'iris.db'}", browser, "sqlite")
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} (.ci/run does)")
    postgres = PostgresServer(base)
    # PostgresServer runs its statements with asyncio.run, which cannot run in this thread
    # while Playwright's sync API keeps an event loop in it: a thread of their own
    with ThreadPoolExecutor(1) as pool:
        name = pool.submit(postgres.create, "iris_web").result()
    try:
        yield from _served(tmp, postgres.url(name), browser, "postgres")
    finally:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(postgres.drop, name).result()


def _served(tmp: Path, url: str, browser: Any, database: str) -> Iterator[Site]:
    server = start_server(tmp, url)
    try:
        yield Site(server, browser, database)
    finally:
        stop_server(server)


@pytest.fixture(params=["phone", "desktop"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """A 360-pixel wide phone, and a desktop."""
    return PHONE if request.param == "phone" else {"width": 1280, "height": 800}

