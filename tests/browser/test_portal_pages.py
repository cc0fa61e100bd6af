"""The information portal in a real browser: what a worker reads first, in their language."""

from __future__ import annotations

from itertools import pairwise

import httpx

from tests.browser.support import Site, assert_accessible, screenshot


def test_a_worker_reads_the_portal_on_a_phone_and_switches_to_nepali(
        site: Site, viewport: dict[str, int]) -> None:
    with site.page(viewport) as page:
        page.goto("/")
        assert page.locator("h1").inner_text() == "Fair recruitment: know your rights"
        assert page.locator("html").get_attribute("lang") == "en"
        # nothing overflows a 360-pixel screen sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert_accessible(page)
        if viewport["width"] > 400:
            screenshot(page, "portal-desktop")
        page.get_by_role("link", name="नेपाली").click()
        page.wait_for_url("**/")
        assert page.locator("html").get_attribute("lang") == "ne"
        heading = page.locator("h1").inner_text()
        assert heading != "Fair recruitment: know your rights" and heading.strip()
        assert_accessible(page)
        # the choice is kept: another page opens in Nepali too
        page.goto("/help")
        assert page.locator("html").get_attribute("lang") == "ne"


def test_arabic_reads_right_to_left_and_passes_axe(site: Site) -> None:
    with site.page(language="ar") as page:
        page.goto("/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("html").get_attribute("lang") == "ar"
        assert_accessible(page)
        screenshot(page, "portal-arabic")
        page.goto("/help")
        assert_accessible(page)


def test_helplines_by_country_without_javascript(site: Site) -> None:
    with site.page(javascript=False) as page:
        page.goto("/help")
        assert "not real" in page.locator(".notice").inner_text()  # the demonstration list
        page.select_option("#country", "QA")
        with page.expect_navigation():  # without JavaScript the form loads a new page
            page.get_by_role("button", name="Show helplines").click()
        names = page.locator(".card h3").all_inner_texts()
        assert names[0].endswith("Qatar") and any("worker support line" in n for n in names)
        assert_accessible(page)


def _reading_order_breaks(boxes: list[dict[str, float]], *, rtl: bool) -> list[int]:
    """Where a box does not follow the one before it in reading order: on the same line it
    sits further left in right-to-left text (right in left-to-right), or it moved up a line."""
    breaks = []
    for index, (before, box) in enumerate(pairwise(boxes), start=1):
        same_line = abs(box["y"] - before["y"]) < box["height"] / 2
        ahead = box["x"] < before["x"] if rtl else box["x"] > before["x"]
        if (same_line and not ahead) or box["y"] < before["y"] - box["height"] / 2:
            breaks.append(index)
    return breaks


def test_a_helplines_languages_read_in_their_order_in_arabic_and_english(
        site: Site, viewport: dict[str, int]) -> None:
    # Latin, Devanagari and Bengali names joined by ASCII commas form one left-to-right run that
    # the bidi algorithm lays out backwards on an Arabic page, unless each name is isolated
    for language, rtl in (("ar", True), ("en", False)):
        with site.page(viewport, language=language) as page:
            page.goto("/help")
            names = page.locator(".card").first.locator("bdi")
            codes = [names.nth(i).get_attribute("lang") for i in range(names.count())]
            assert codes == ["en", "ar", "ne", "hi", "bn", "fil"]  # the demonstration line's
            assert names.nth(2).inner_text() == "नेपाली"
            boxes = [names.nth(i).bounding_box() for i in range(names.count())]
            assert _reading_order_breaks(boxes, rtl=rtl) == [], (language, boxes)
            assert_accessible(page)
            if rtl and viewport["width"] > 400:
                screenshot(page, "help-arabic")


def test_the_footer_leads_to_the_certificate_check_in_the_readers_language(site: Site) -> None:
    for language in ("ne", "ar"):
        with site.page(language=language) as page:
            page.goto("/help")
            link = page.locator("footer a[href='/certificates']")
            label = link.inner_text()
            assert label.strip() and label != "Check a training certificate"
            link.click()
            page.wait_for_url("**/certificates")
            # the same words on the link and on the page it opens
            assert page.locator("h1").inner_text() == label


def test_keyboard_alone_reaches_every_link_of_the_header(site: Site) -> None:
    with site.page() as page:
        page.goto("/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        reached: list[str] = []
        page.goto("/")
        for _ in range(14):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        assert {"Check a recruiter", "Make a complaint", "Follow your complaint", "Get help",
                "العربية", "नेपाली"} <= set(reached)


def test_public_pages_send_no_cookie_and_a_strict_policy(site: Site) -> None:
    for path in ("/", "/help", "/help?country=QA"):
        r = httpx.get(site.base_url + path, timeout=10)
        assert r.status_code == 200 and "set-cookie" not in r.headers, path
        policy = r.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert r.headers["cache-control"] == "no-store"


def test_a_language_switch_never_leaves_the_site(site: Site) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        r = httpx.get(f"{site.base_url}/language/ne", params={"next": target}, timeout=10)
        assert r.status_code == 303 and r.headers["location"] == "/", target
    r = httpx.get(f"{site.base_url}/language/xx", params={"next": "/help"}, timeout=10)
    assert r.status_code == 303 and "set-cookie" not in r.headers




def test_a_certificate_is_checked_from_its_form_in_arabic(site: Site) -> None:
    with site.page(language="ar") as page:
        page.goto("/certificates")
        assert_accessible(page)
        page.fill("#number", "iris-tc-0000000000")
        page.keyboard.press("Enter")
        page.wait_for_url("**/certificates/IRIS-TC-*")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator(".status").count() == 1
        assert_accessible(page)
