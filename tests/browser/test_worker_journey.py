"""The worker's whole journey in one browser: a complaint filed through the pages in Nepali,
the reference and access code copied from the receipt, and the complaint followed through the
follow pages with them, on a phone and on a desktop, on SQLite and PostgreSQL."""

from __future__ import annotations

from iris_engine.grievances.pages.track import STAGES
from tests.browser.support import Site
from tests.browser.test_complaint_pages import a_roster_entry, file_complaint
from tests.browser.test_track_pages import NEPALI


def test_a_worker_files_in_nepali_then_follows_with_the_code_from_the_receipt(
        site: Site, viewport: dict[str, int]) -> None:
    entry = a_roster_entry(site)
    with site.page(viewport, language="ne") as page:
        reference, code = file_complaint(page, entry)
        # what the worker wrote down from the receipt, typed back in with a space too many
        page.locator("main a[href='/track']").click()
        page.wait_for_url("**/track")
        assert page.locator("html").get_attribute("lang") == "ne"
        page.fill("#reference", f" {reference} ")
        page.fill("#code", code)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/track/case")
        assert reference in page.locator("main").inner_text()
        assert page.locator("dd.stage").inner_text() == NEPALI.gettext(STAGES["received"])
        assert code not in page.content()  # the code is never shown again
        assert code not in page.url and reference not in page.url
