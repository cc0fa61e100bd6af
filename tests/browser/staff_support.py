"""Working the staff workspace in a browser: signing in and out, the generated forms filled
from a document, a transition fired from a case page, e-mails read where the service left them
(the outbox), the command line run against the site's database."""

from __future__ import annotations

import asyncio
import subprocess
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from iris_engine.store.models import OutboxMessage
from tests.browser.support import Site, assert_accessible
from tests.integration.test_fuzz_public_api import _iris, _server_env

__all__ = ["api", "email_to", "fill_document", "fire", "iris", "sign_in", "sign_out"]


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/staff/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/staff")
    assert_accessible(page)


def sign_out(page: Any) -> None:
    page.locator("form.sign-out button").click()
    page.wait_for_url("**/staff/sign-in?notice=signed_out")


def fire(page: Any, event: str, fields: dict[str, Any] | None = None, *,
         reason: str | None = None, note: str | None = None) -> None:
    """Fill a transition's form on the case page shown, press its button, and check the case
    moved (the page says it was done)."""
    section = page.locator(f"section[aria-labelledby='{event}--title']")
    assert section.count() == 1, f"{event} is not offered on {page.url}"
    if reason:
        section.locator("select[name=reason_code]").select_option(reason)
    if note:
        section.locator("textarea[name=note]").fill(note)
    for key, value in (fields or {}).items():
        _fill(page, key, value, scope=section)
    with page.expect_navigation():  # the answer, a redirect or the form again, has loaded
        section.locator("button:not(.secondary)").click()
    assert "notice=fired" in page.url, page.locator("main").inner_text()[:3000]
    assert_accessible(page)


def fill_document(page: Any, document: dict[str, Any], prefix: str) -> None:
    """Type ``document`` into a form generated from its schema (named ``prefix.<path>``),
    asking for more rows where a list holds more items than the form shows."""
    for name, value in document.items():
        _fill(page, f"{prefix}.{name}", value, scope=page)


def _fill(page: Any, key: str, value: Any, *, scope: Any) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _fill(page, f"{key}.{name}", inner, scope=scope)
        return
    if isinstance(value, list) and value and isinstance(value[0], dict):
        for i, item in enumerate(value):
            if scope.locator(f"[name^='{key}.{i}.']").count() == 0:
                with page.expect_navigation():  # the form comes back with one row more
                    scope.locator(f"button[name=add_row][value='{key}']").click()
            _fill(page, f"{key}.{i}", item, scope=scope)
        return
    field = scope.locator(f"[name='{key}']")
    if isinstance(value, list):
        if value and field.first.get_attribute("type") == "checkbox":
            for v in value:
                scope.locator(f"input[name='{key}'][value='{v}']").check()
        elif value:
            field.fill("\n".join(str(v) for v in value))
        return
    kind = field.first.get_attribute("type")
    if kind == "radio":
        scope.locator(f"input[name='{key}'][value='{'yes' if value else 'no'}']").check()
    elif kind == "checkbox":
        if value:
            field.check()
    elif field.first.evaluate("e => e.tagName") == "SELECT":
        field.select_option(str(value))
    else:
        field.fill(str(value))


def _in_thread(run: Any) -> Any:
    """An asyncio call beside Playwright's sync API (which keeps an event loop in this thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def email_to(site: Site, address: str, topic: str) -> str:
    """The text of the last e-mail of ``topic`` the service queued for ``address``."""
    async def read() -> str:
        engine = create_async_engine(site.server.database_url)
        try:
            async with engine.connect() as connection:
                payload = (await connection.execute(
                    select(OutboxMessage.payload).where(
                        OutboxMessage.destination == address, OutboxMessage.topic == topic)
                    .order_by(OutboxMessage.id.desc()).limit(1))).scalar_one()
        finally:
            await engine.dispose()
        return str(payload["text"])
    return str(_in_thread(read))


def iris(site: Site, *args: str) -> str:
    """The command line, on the site's database."""
    done = subprocess.run(_iris(*args), env=_server_env(site.server.database_url),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def api(site: Site, as_role: str, path: str, **params: Any) -> Any:
    """A GET of the API as the demo user of ``as_role``."""
    r = httpx.get(f"{site.base_url}{path}", params=params, timeout=30,
                  headers={"Authorization": f"Bearer {site.server.tokens[as_role]}"})
    assert r.status_code == 200, r.text
    return r.json()
