"""The complaint pages in a real browser: a worker files a complaint in Nepali on a phone and
on a desktop, keeps the reference and access code from the end page, and they open the
complaint through the API; every step passes axe-core in English and Arabic; a step can be
done with the keyboard alone; the pages work without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.browser.support import Site, assert_accessible, screenshot


def devanagari(digits: str) -> str:
    """A number as a Nepali worker may type it (Devanagari digits)."""
    return "".join(chr(0x0966 + int(d)) if d.isdigit() else d for d in digits)


NARRATIVE = f"एजेन्टले मसँग {devanagari('1,50,000')} रुपैयाँ लियो र दोहामा मेरो राहदानी राख्यो।"
CONTINUE = "button[value=continue]"


def a_roster_entry(site: Site) -> dict[str, Any]:
    r = httpx.get(f"{site.base_url}/api/v1/roster", params={"status": "accredited", "limit": 1},
                  timeout=10)
    entry: dict[str, Any] = r.json()["items"][0]
    return entry


def fits(page: Any, width: int) -> None:
    """Nothing runs off the side of the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def file_complaint(page: Any, entry: dict[str, Any], *,
                   at_each_step: Callable[[str], None] = lambda step: None) -> tuple[str, str]:
    """Every step answered (the recruiter found by a search); the reference and the access
    code read from the end page."""
    page.goto("/complain")
    at_each_step("who")
    page.check("input[name=role][value=worker]")
    page.click(CONTINUE)
    page.wait_for_selector("#recruiter_name")
    at_each_step("recruiter")
    page.fill("#recruiter_name", entry["name"][:6])
    page.click("button[value=search]")
    page.check(f"input[name=recruiter_lrn][value={entry['lrn']}]")
    page.select_option("#origin", "NP")
    page.select_option("#destination", "QA")
    at_each_step("recruiter-found")
    page.click(CONTINUE)
    page.wait_for_selector("#narrative")
    at_each_step("what")
    page.fill("#narrative", NARRATIVE)
    page.check("input[name=happened][value=asked_to_pay]")
    page.check("input[name=happened][value=documents_taken]")
    page.click(CONTINUE)
    page.wait_for_selector("#fee_amount")
    at_each_step("fees")
    page.check("#paid")
    page.fill("#fee_amount", devanagari("150000"))
    page.select_option("#fee_currency", "NPR")
    page.check("#documents_kept")
    page.click(CONTINUE)
    page.wait_for_selector("#contact_email")
    at_each_step("contact")
    page.check("#contact_channel")  # messages on this website: no details needed
    page.check("#consent_refer")
    page.check("#in_danger-no")
    page.click(CONTINUE)
    page.wait_for_selector("#send-complaint")
    at_each_step("check")
    page.click("#send-complaint")
    page.wait_for_selector("#access-code")
    at_each_step("receipt")
    return page.inner_text("#reference"), page.inner_text("#access-code")


def test_a_worker_files_a_complaint_in_nepali(site: Site, viewport: dict[str, int]) -> None:
    entry = a_roster_entry(site)
    phone = viewport["width"] < 400
    with site.page(viewport, language="ne") as page:
        def look(step: str) -> None:
            assert page.locator("html").get_attribute("lang") == "ne"
            # the switcher would lose the answers: shown only before there are any
            assert page.locator("nav.languages").is_visible() == (step == "who")
            fits(page, viewport["width"])
            if phone and step == "what":
                screenshot(page, "complaint-step")

        reference, code = file_complaint(page, entry, at_each_step=look)
        assert page.locator("#print-receipt").is_visible()  # the script shows it
        # a switch of language would leave the page, and the codes are shown only here
        assert not page.locator("nav.languages").is_visible()
        assert page.locator("main a[href='/track']").count() == 1
        if phone:
            screenshot(page, "complaint-receipt")
    r = httpx.get(f"{site.base_url}/api/v1/grievances/{reference}",
                  headers={"IRIS-Access-Code": code}, timeout=10)
    assert r.status_code == 200 and r.json()["state"] == "received", r.text
    staff = httpx.get(f"{site.base_url}/api/v1/grievance-cases", params={"limit": 200},
                      headers={"Authorization": f"Bearer {site.server.tokens['supervisor']}"},
                      timeout=10).json()
    filed = [g for g in staff if g["reference"] == reference]
    assert filed and filed[0]["language"] == "ne" and filed[0]["recruiter_lrn"] == entry["lrn"]
    log = site.server.log_text()
    assert NARRATIVE not in log and code not in log


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_step_passes_axe(site: Site, language: str) -> None:
    entry = a_roster_entry(site)
    with site.page(language=language) as page:
        page.goto("/complain")
        page.click(CONTINUE)  # nothing chosen: the error summary and the field's error
        page.wait_for_selector(".error-summary")
        assert page.locator("#role-error").count() == 1
        assert_accessible(page)

        def check(step: str) -> None:
            assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
            assert_accessible(page)
            if language == "ar" and step == "check":
                screenshot(page, "complaint-check-arabic")

        file_complaint(page, entry, at_each_step=check)


def test_keyboard_alone_completes_a_step(site: Site) -> None:
    with site.page() as page:
        page.goto("/complain")

        def tab_to(script: str) -> None:
            for _ in range(40):
                page.keyboard.press("Tab")
                if page.evaluate(f"(() => {{ const e = document.activeElement; return {script}; }})()"):
                    return
            pytest.fail(f"Tab never reached {script}")

        tab_to("e.name === 'role'")
        page.keyboard.press("ArrowDown")  # the second choice of the group: checked as it moves
        assert page.evaluate("document.querySelector('input[name=role]:checked').value") == "job_seeker"
        tab_to("e.value === 'continue'")
        page.keyboard.press("Enter")
        page.wait_for_selector("#recruiter_name")
        # Enter in the name field searches the list (the step's first button)
        page.focus("#recruiter_name")
        page.keyboard.type("zzzz-nobody")
        page.keyboard.press("Enter")
        page.wait_for_selector("#recruiter_lrn-none")


def test_the_pages_work_without_javascript(site: Site) -> None:
    entry = a_roster_entry(site)
    with site.page(javascript=False) as page:
        def change_what_happened(step: str) -> None:
            if step != "check":
                return
            # "Change" posts the answers back to their step (a button's formaction)
            page.click("button[name=change][value=what]")
            page.wait_for_selector("#narrative")
            assert page.input_value("#narrative") == NARRATIVE
            page.fill("#narrative", NARRATIVE + " (changed)")
            page.click(CONTINUE)
            page.wait_for_selector("#send-complaint")  # straight back to the check page
            assert "(changed)" in page.inner_text(".narrative")

        reference, code = file_complaint(page, entry, at_each_step=change_what_happened)
        assert reference.startswith("GRV-") and len(code) > 10
        assert not page.locator("#print-receipt").is_visible()  # nothing that cannot work
