"""What browser tests share: the site under test, pages that watch every request they make,
axe-core, screenshots for the README."""

from __future__ import annotations

import os
import re
import shutil
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.integration.test_fuzz_public_api import Server

__all__ = ["PHONE", "Site", "assert_accessible", "chromium_path", "screenshot"]

PHONE = {"width": 360, "height": 740}
#: the impacts axe-core may report that fail a test
BLOCKING = frozenset({"serious", "critical"})


def chromium_path() -> str | None:
    """Debian's chromium (or ``IRIS_CHROMIUM``), or None where there is none."""
    explicit = os.environ.get("IRIS_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@dataclass
class Site:
    server: Server
    browser: Any
    database: str
    #: every URL a page asked for that is not on the site (a test fails on any)
    foreign: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @contextmanager
    def page(self, viewport: dict[str, int] | None = None, *, language: str = "en",
             javascript: bool = True) -> Iterator[Any]:
        """A fresh browser context (no cookies) showing the site: its ``Accept-Language`` is
        ``language``; every request it makes to another origin is recorded and fails the test."""
        context = self.browser.new_context(
            viewport=viewport or {"width": 1280, "height": 800}, locale=language,
            extra_http_headers={"Accept-Language": language}, java_script_enabled=javascript,
            base_url=self.base_url)
        origin = urlsplit(self.base_url).netloc
        errors: list[str] = []
        page = context.new_page()
        if not javascript:
            _NO_SCRIPT[page] = self.browser

        def watch(request: Any) -> None:
            parts = urlsplit(request.url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != origin:
                self.foreign.append(request.url)

        page.on("request", watch)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            yield page
        finally:
            context.close()
        assert not self.foreign, f"the page asked another origin for {self.foreign}"
        # a CSP violation or a failed script shows in the console
        assert not [e for e in errors if not re.search(r"status of (4\d\d)", e)], errors


_AXE = None


def _axe_source() -> str:
    global _AXE
    if _AXE is None:
        import axe_playwright_python

        _AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    return _AXE


#: pages opened without JavaScript, and the browser to check them in (axe-core needs script)
_NO_SCRIPT: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def assert_accessible(page: Any) -> None:
    """axe-core on the page as it is now: no serious or critical violation (WCAG 2.x A/AA
    rules and best practices). The script is evaluated, not added as a tag, so the page's
    CSP (no script but the site's own) stays as served. A page opened without JavaScript
    (where axe's timers never fire) is checked as a copy of its HTML in a scripted page at
    the same address, its style sheets loaded from the site. A click that navigates returns
    once the new document is committed, not loaded: the check waits for it to load, so axe
    never reads a document still being replaced."""
    page.wait_for_load_state("load")
    browser = _NO_SCRIPT.get(page)
    if browser is not None:
        html, url = page.content(), page.url
        context = browser.new_context(viewport=page.viewport_size)
        try:
            copy = context.new_page()
            copy.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
            copy.goto(url)
            _axe(copy)
        finally:
            context.close()
        return
    _axe(page)


def _axe(page: Any) -> None:
    page.evaluate(_axe_source())
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                         "best-practice"]}})""")
    blocking = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
                for v in result["violations"] if v.get("impact") in BLOCKING]
    assert not blocking, f"axe-core on {page.url}: {blocking}"


def screenshot(page: Any, name: str) -> None:
    """Save the page for the README when IRIS_SCREENSHOTS_DIR is set (``docs/screenshots``);
    otherwise nothing is written."""
    folder = os.environ.get("IRIS_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
