"""Following a complaint in a real browser: a worker who filed in Nepali signs in with the
reference and access code, reads the stage, writes to the caseworker and withdraws, on a phone
and on a desktop, with the mouse and with the keyboard alone; the pages pass axe-core in English
and Arabic, and the server's log never shows the reference, the code or the message."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from iris_engine.grievances.pages.track import EVENTS, STAGES
from iris_engine.web.i18n import load
from tests.browser.support import Site, assert_accessible, screenshot
from tests.integration.conftest import grievance_filing

NEPALI = load()["ne"]
ARABIC = load()["ar"]


def _file(site: Site, language: str = "ne") -> dict[str, str]:
    r = httpx.post(f"{site.base_url}/api/v1/grievances",
                   json=grievance_filing(language=language), timeout=30)
    assert r.status_code == 201, r.text
    body: dict[str, str] = r.json()
    return body


def _as_complainant(site: Site, filed: dict[str, str]) -> dict[str, Any]:
    r = httpx.get(f"{site.base_url}/api/v1/grievances/{filed['reference']}",
                  headers={"IRIS-Access-Code": filed["access_code"]}, timeout=30)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _sign_in(page: Any, filed: dict[str, str]) -> None:
    page.goto("/track")
    page.fill("#reference", filed["reference"])
    page.fill("#code", filed["access_code"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/track/case")


def test_a_worker_follows_in_nepali_replies_and_withdraws(
        site: Site, viewport: dict[str, int]) -> None:
    filed = _file(site)
    log_start = len(site.server.log_text())
    reply = "मेरो राहदानी अझै रोजगारदातासँग छ। कृपया सहयोग गर्नुहोस्।"
    with site.page(viewport, language="ne") as page:
        _sign_in(page, filed)
        assert page.locator("html").get_attribute("lang") == "ne"
        assert page.locator("dd.stage").inner_text() == NEPALI.gettext(STAGES["received"])
        assert NEPALI.gettext(EVENTS["open"]) in page.locator(".timeline").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

        page.fill("#message", reply)
        page.locator("form[action='/track/case/reply'] button").click()
        page.wait_for_url("**/track/case?notice=sent")
        assert reply in page.locator(".messages").inner_text()
        if viewport["width"] < 400:
            screenshot(page, "track-case")
        assert [m["body"] for m in _as_complainant(site, filed)["messages"]] == [reply]

        page.locator("a[href='/track/case/withdraw']").click()
        page.wait_for_url("**/track/case/withdraw")
        assert _as_complainant(site, filed)["state"] == "received"  # asking is not withdrawing
        page.locator("button.danger").click()
        page.wait_for_url("**/track/case?notice=withdrawn")
        assert page.locator("dd.stage").inner_text() == NEPALI.gettext(STAGES["withdrawn"])
        assert _as_complainant(site, filed)["state"] == "withdrawn"

        page.locator("form.sign-out button").click()
        page.wait_for_url("**/track?notice=signed_out")
        page.goto("/track/case")  # the cookie is gone: back to the form
        assert page.url.endswith("/track?notice=ended")
    logged = site.server.log_text(log_start)
    assert "POST /track" in logged  # the access log is written...
    for secret in (filed["reference"], filed["access_code"], reply):
        assert secret not in logged  # ...and says nothing of who or what


def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_keyboard_alone_signs_in_replies_and_withdraws(site: Site) -> None:
    filed = _file(site)
    with site.page() as page:
        page.goto("/track")
        _tab_to(page, "#reference")
        page.keyboard.type(filed["reference"])
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "code"
        page.keyboard.type(filed["access_code"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/track/case")
        _tab_to(page, "#message")
        page.keyboard.type("Typed without a mouse.")
        _tab_to(page, "form[action='/track/case/reply'] button")
        page.keyboard.press("Enter")
        page.wait_for_url("**/track/case?notice=sent")
        _tab_to(page, "a[href='/track/case/withdraw']")
        page.keyboard.press("Enter")
        page.wait_for_url("**/track/case/withdraw")
        _tab_to(page, "button.danger")
        page.keyboard.press("Enter")
        page.wait_for_url("**/track/case?notice=withdrawn")
    view = _as_complainant(site, filed)
    assert view["state"] == "withdrawn"
    assert [m["body"] for m in view["messages"]] == ["Typed without a mouse."]


def test_the_follow_pages_pass_axe_in_english_and_arabic(site: Site) -> None:
    filed = _file(site, language="ar")
    for language, catalog in (("en", None), ("ar", ARABIC)):
        with site.page(language=language) as page:
            page.goto("/track")
            assert_accessible(page)
            # a wrong code: the error summary, linked to the field
            page.fill("#reference", filed["reference"])
            page.fill("#code", "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ")
            page.locator("main form button[type=submit]").click()
            expect(page.locator(".error-summary a[href='#reference']")).to_have_count(1)
            assert_accessible(page)
            page.fill("#code", filed["access_code"])
            page.locator("main form button[type=submit]").click()
            page.wait_for_url("**/track/case")
            if catalog is not None:
                assert page.locator("html").get_attribute("dir") == "rtl"
                assert page.locator("dd.stage").inner_text() == catalog.gettext(STAGES["received"])
            assert_accessible(page)
            # an empty reply: the error at its field, the page still clean
            page.locator("form[action='/track/case/reply'] button").click()
            expect(page.locator("#message[aria-invalid=true]")).to_have_count(1)
            assert_accessible(page)
            page.goto("/track/case/withdraw")
            assert_accessible(page)
