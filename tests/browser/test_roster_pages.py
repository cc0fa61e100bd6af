"""The roster in a real browser: a job seeker searches for a recruiter, opens its page and
follows it, on a phone and on a desktop, with the keyboard alone, in English and Arabic."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.browser.support import Site, assert_accessible, screenshot


def _listed(site: Site) -> dict[str, Any]:
    """A recruiter the demo put on the roster."""
    items = httpx.get(f"{site.base_url}/api/v1/roster", params={"status": "accredited"},
                      timeout=10).json()["items"]
    assert items, "the demo listed no recruiter"
    return dict(items[-1])


def _fits(page: Any, viewport: dict[str, int]) -> None:
    # nothing overflows the screen sideways (a 360-pixel phone included)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_job_seeker_searches_opens_and_follows_a_recruiter(
        site: Site, viewport: dict[str, int]) -> None:
    recruiter = _listed(site)
    with site.page(viewport) as page:
        page.goto("/")
        page.get_by_role("link", name="Check a recruiter").first.click()
        page.wait_for_url("**/roster")
        assert page.locator("h1").inner_text() == "Check a recruiter"
        _fits(page, viewport)
        page.get_by_label("Name or certificate number").fill(recruiter["name"])
        page.get_by_label("Accredited: may recruit you now").check()
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r"/roster\?q="))
        assert "status=accredited" in page.url  # a search is a link to share
        results = page.locator(".roster-results h3").all_inner_texts()
        assert results == [recruiter["name"]]
        _fits(page, viewport)
        assert_accessible(page)
        if viewport["width"] > 400:
            screenshot(page, "roster-search")
        page.get_by_role("link", name=recruiter["name"]).click()
        page.wait_for_url(f"**/roster/{recruiter['lrn']}")
        assert page.locator("h1").inner_text() == recruiter["name"]
        assert page.locator(".status.accredited").inner_text() == "Accredited: may recruit you now"
        assert "Added to the list: Accredited" in page.locator(".roster-history").inner_text()
        _fits(page, viewport)
        assert_accessible(page)
        if viewport["width"] > 400:
            screenshot(page, "roster-entry")
        # a mistyped address is shown at its field, as typed
        page.get_by_label("Your e-mail address").fill("worker.example.com")
        page.get_by_role("button", name="Follow this recruiter").click()
        assert page.locator("#email-error").inner_text() == (
            "Enter an e-mail address like name@example.com")
        assert page.get_by_label("Your e-mail address").input_value() == "worker.example.com"
        assert_accessible(page)
        page.get_by_label("Your e-mail address").fill("worker@mail.example")
        page.get_by_role("button", name="Follow this recruiter").click()
        page.wait_for_url(f"**/roster/{recruiter['lrn']}/follow/sent")
        assert page.locator("h1").inner_text() == "Check your e-mail"
        assert "worker@mail.example" not in page.url


def _tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element ``selector`` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_keyboard_alone_searches_and_follows(site: Site) -> None:
    recruiter = _listed(site)
    with site.page(javascript=False) as page:
        page.goto("/roster")
        _tab_to(page, "#q")
        page.keyboard.type(recruiter["lrn"])  # the certificate number finds it too
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/roster\?q="))
        _tab_to(page, f'a[href="/roster/{recruiter["lrn"]}"]')
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/roster/{recruiter['lrn']}")
        _tab_to(page, "#email")
        page.keyboard.type("keyboard@mail.example")
        _tab_to(page, "form button")
        page.keyboard.press("Enter")
        page.wait_for_url("**/follow/sent")
        assert page.locator("h1").inner_text() == "Check your e-mail"


def test_arabic_pages_read_right_to_left_and_pass_axe(site: Site) -> None:
    recruiter = _listed(site)
    with site.page(language="ar") as page:
        for path in ("/roster", f"/roster?q={recruiter['name'].split()[0]}",
                     "/roster?status=nothing", f"/roster/{recruiter['lrn']}",
                     "/roster/subscriptions/confirm", "/roster/LRN99999999"):
            page.goto(path)
            assert page.locator("html").get_attribute("dir") == "rtl"
            assert page.locator("html").get_attribute("lang") == "ar"
            assert_accessible(page)
        page.goto(f"/roster/{recruiter['lrn']}")
        assert page.locator("h1").inner_text() == recruiter["name"]
        assert page.locator(".status.accredited").inner_text() == "معتمدة: يجوز لها توظيفك الآن"
        page.locator("#email").fill("x")
        page.locator("form button").click()
        assert page.locator("#email-error").inner_text() == (
            "اكتب عنوان بريد إلكتروني بهذا الشكل: name@example.com")
        assert_accessible(page)


def test_english_error_and_token_pages_pass_axe(site: Site) -> None:
    with site.page() as page:
        for path in ("/roster?q=zzzz-nobody", "/roster?country=ZZ",
                     "/roster/subscriptions/confirm", "/roster/subscriptions/cancel",
                     "/roster/LRN99999999"):
            page.goto(path)
            assert_accessible(page)
        page.goto("/roster/subscriptions/confirm")
        page.get_by_label("Code from the e-mail").fill("not-a-real-code")
        page.get_by_role("button", name="Confirm").click()
        assert "We do not know this code" in page.locator("#token-error").inner_text()
        assert page.get_by_label("Code from the e-mail").input_value() == ""  # never shown back
        assert_accessible(page)


def test_the_search_page_sends_no_cookie_and_a_strict_policy(site: Site) -> None:
    for path in ("/roster", "/roster?q=global&status=accredited", "/roster?status=nothing"):
        r = httpx.get(site.base_url + path, timeout=10)
        assert r.status_code in (200, 400) and "set-cookie" not in r.headers, path
        policy = r.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
