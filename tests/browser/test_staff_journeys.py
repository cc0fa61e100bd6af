"""The staff workspace in a browser, end to end, on SQLite and PostgreSQL (a real ``iris
serve`` with the demo data, Debian's chromium), axe-core on every page a journey passes:

- one application from registration to the public roster by four people: a recruiter
  registers, confirms its address from the e-mail's link, fills in the self-assessment a
  principle at a time (rows added where a list is longer than the form) and its scope, and
  submits; a scheme manager accepts it and plans the audit; the auditor records the audit
  (no finding) and refers it for decision; a second scheme manager, who took no part in the
  audit, accredits it; the public roster then lists it;
- one grievance from filing to referral: a worker files it on the public pages, a caseworker
  acknowledges, triages and refers it to the authority that covers its country, and that
  authority's officer acknowledges the referral from its inbox.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from iris_engine.demo import DEMO_STAFF
from iris_engine.referrals.demo import DEMO_AUTHORITY_PASSWORD
from tests.browser.staff_support import api, email_to, fill_document, fire, iris, sign_in, sign_out
from tests.browser.support import Site, assert_accessible, screenshot
from tests.browser.test_complaint_pages import NARRATIVE, a_roster_entry, file_complaint
from tests.integration.conftest import valid_self_assessment

PASSWORDS = {email: password for email, password, *_ in DEMO_STAFF}
MANAGER = "manager@demo.iris.example"
AUDITOR = "auditor@demo.iris.example"
CASEWORKER = "caseworker@demo.iris.example"
OFFICER = "officer@dofe.demo.iris.example"  # Department of Foreign Employment (demo): NP
SECOND = "second.manager@demo.iris.example"
PASSWORD = "a second manager's long passphrase"


def test_an_application_from_registration_to_the_roster(site: Site) -> None:
    organisation = f"Himalaya Fair Recruitment {site.database}"
    email = f"owner@himalaya-fair-{site.database}.example"
    iris(site, "users", "add", "--email", SECOND, "--name", "Second Manager", "--role",
         "scheme_manager", "--organisation", "IRIS Scheme Secretariat (demo)",
         "--password", PASSWORD)
    with site.page() as page:
        # the recruiter registers, and confirms from the e-mail's link
        page.goto("/staff/sign-in")
        page.locator("main a[href='/staff/register']").click()
        page.wait_for_url("**/staff/register")
        assert_accessible(page)
        page.fill("#organisation_name", organisation)
        page.select_option("#country", "NP")
        page.fill("#name", "Sita Gurung")
        page.fill("#email", email)
        page.fill("#password", "correct horse battery staple 2026")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/staff/registered")
        assert_accessible(page)
        link = re.search(r"^\S+(/staff/confirm\?token=\S+)$",
                         email_to(site, email, "account.confirm"), re.M)
        assert link
        page.goto(link.group(1))
        assert_accessible(page)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/staff/sign-in?notice=confirmed")
        page.fill("#email", email)
        page.fill("#password", "correct horse battery staple 2026")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/staff")

        # the application, its self-assessment a principle at a time
        page.locator("form.start button").click()
        page.wait_for_url(re.compile(r".*/staff/accreditation/\d+/self-assessment/A$"))
        case_path = re.sub(r"/self-assessment/A$", "", page.url.split(site.base_url)[1])
        assert_accessible(page)
        document = valid_self_assessment(("NP", "QA"))
        a = document["principles"]["A"]
        a["licences"].append({**a["licences"][0], "number": "DOFE-2"})  # a second row
        for principle, section in document["principles"].items():
            page.goto(f"{case_path}/self-assessment/{principle}")
            fill_document(page, section, "p")
            page.get_by_role("button", name="Save this principle").click()
            page.wait_for_url(f"**/self-assessment/{principle}?notice=saved")
            assert_accessible(page)
            if principle == "A":
                screenshot(page, "staff-self-assessment")
        assert page.locator("nav.principles .chain-ok").count() == 7, \
            page.locator("nav.principles").inner_text()
        page.goto(f"{case_path}/self-assessment/A")  # both licences shown, and a blank row
        assert page.locator("input[name='p.licences.1.number']").input_value() == "DOFE-2"
        assert page.locator("input[name='p.licences.2.number']").input_value() == ""

        # its scope, then the prerequisite training (done as the demo does it), then submit
        page.goto(case_path)
        page.locator("a[href$='/self-assessment']").first.wait_for()
        assert_accessible(page)
        fire(page, "update_scope", {"data.corridors": [{"origin": "NP", "destination": "QA"}],
                                    "data.sectors": ["construction"]})
        iris(site, "demo", "prepare", organisation)
        page.goto(case_path)
        fire(page, "submit")
        assert page.locator("p.lead .state").inner_text() == "submitted"
        sign_out(page)

        # a scheme manager accepts it and plans the audit
        auditor_id = next(u["id"] for u in api(site, "admin", "/api/v1/users", role="auditor")
                          if u["email"] == AUDITOR)
        sign_in(page, MANAGER, PASSWORDS[MANAGER])
        page.goto(case_path)
        fire(page, "accept_application")
        page.locator("section[aria-labelledby='plan_audit--title']").scroll_into_view_if_needed()
        screenshot(page, "staff-case")
        fire(page, "plan_audit", {"data.auditor_id": auditor_id,
                                  "data.planned_on": (date.today() + timedelta(days=7)).isoformat()})
        sign_out(page)

        # the auditor finds nothing, and refers it for decision
        sign_in(page, AUDITOR, PASSWORDS[AUDITOR])
        assert case_path in page.locator("main").inner_html()  # waiting for the auditor
        screenshot(page, "staff-work")
        page.goto(case_path)
        fire(page, "complete_audit")  # the findings' one blank row left blank: none
        fire(page, "refer_for_decision")
        sign_out(page)

        # the one who planned it may decide (the guard is about who audited); a second
        # manager, who had no part in it, accredits it
        sign_in(page, SECOND, PASSWORD)
        page.goto(case_path)
        fire(page, "accredit")
        assert page.locator("p.lead .state").inner_text() == "accredited"
        sign_out(page)

        page.goto(f"/roster?q={organisation.split()[0]}")
        assert organisation in page.locator("main").inner_text()


def test_a_grievance_from_filing_to_referral(site: Site) -> None:
    entry = a_roster_entry(site)
    with site.page() as page:
        reference, _code = file_complaint(page, entry)
    case, after = None, 0
    while case is None:  # the caseworker's queue, a page at a time
        found = api(site, "caseworker", "/api/v1/grievance-cases", state="received",
                    after=after, limit=50)
        assert found, f"{reference} is not in the caseworker's queue"
        case = next((g for g in found if g["reference"] == reference), None)
        after = found[-1]["id"]
    case_path = f"/staff/grievance/{case['id']}"
    authorities = api(site, "admin", "/api/v1/authorities")
    authority = next(a for a in (authorities.get("items", authorities)
                                 if isinstance(authorities, dict) else authorities)
                     if "Foreign Employment" in a["name"])
    with site.page() as page:
        sign_in(page, CASEWORKER, PASSWORDS[CASEWORKER])
        page.goto(case_path)
        assert_accessible(page)
        fire(page, "acknowledge")
        # what the worker wrote, read with a purpose; a message to them
        page.locator(f"a[href='{case_path}/personal']").click()
        page.wait_for_url(f"**{case_path}/personal")
        assert_accessible(page)
        page.check("#what-narrative")
        page.fill("#purpose", "to triage the complaint")
        with page.expect_navigation():  # the narrative, shown for the purpose given
            page.locator("main form button[type=submit]").click()
        assert NARRATIVE[:40] in page.locator("blockquote").inner_text()
        assert_accessible(page)
        page.goto(f"{case_path}/messages")
        page.fill("#body", "Thank you. We are looking into it and will write again here.")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"**{case_path}/messages?notice=sent")
        assert "We are looking into it" in page.locator("ol.messages").inner_text()
        assert_accessible(page)
        page.goto(case_path)
        fire(page, "triage", {"data.severity": "high",
                              "data.allegations": ["recruitment_fees", "document_retention"],
                              "data.principles": ["1", "2"]})
        fire(page, "refer", {"data.authority_id": authority["id"]})
        assert page.locator("p.lead .state").inner_text() == "referred"
        sign_out(page)

        # the officer finds it in the authority's inbox, and acknowledges it
        sign_in(page, OFFICER, DEMO_AUTHORITY_PASSWORD)
        page.goto("/staff/referral?state=sent")
        assert_accessible(page)
        assert page.locator("main a[href^='/staff/referral/']").count() >= 1
        sent, after = [], 0
        while page_of := api(site, "caseworker", "/api/v1/referrals", state="sent",
                             after=after, limit=50):
            sent += [r for r in page_of if r["authority_id"] == authority["id"]]
            after = page_of[-1]["id"]
        referral_path = f"/staff/referral/{max(r['id'] for r in sent)}"  # the newest: this one
        page.goto(referral_path)
        assert "Referral to an authority" in page.locator("h1").inner_text()
        fire(page, "acknowledge", {"data.external_reference": "DOFE/2026/0042"})
        assert page.locator("p.lead .state").inner_text() == "acknowledged"


#: demo roles, the workflow and state whose case pages (and their own pages) each opens
_TOURS = [("scheme_manager", "accreditation", "submitted"), ("auditor", "accreditation", None),
          ("recruiter", "accreditation", None), ("caseworker", "grievance", "acknowledged"),
          ("supervisor", "grievance", "referred"), ("authority", "referral", None),
          ("trainer", "training_session", "delivered"),
          ("return_officer", "return", "plan_approved")]


def test_each_role_s_pages_pass_axe(site: Site) -> None:
    """Each demo role's work list, a list searched and filtered, a case page of the state named
    and every page of its own linked from there, through axe-core; nothing answers an error."""
    opened = []
    for role, workflow, state in _TOURS:
        email, password = site.server.logins[role]
        if role == "authority":  # the demo refers its grievances to labour inspection or police
            email = "inspector@mol.demo.iris.example"
        with site.page() as page:
            sign_in(page, email, password)
            cases = page.locator(f"main a[href^='/staff/{workflow}/']")
            for query in ([f"?state={state}"] if state else []) + [""]:  # else any case
                page.goto(f"/staff/{workflow}{query}")
                if cases.count():
                    break
            assert_accessible(page)
            assert cases.count(), f"{role}: no {workflow} case"
            case_path = cases.first.get_attribute("href")
            page.goto(f"/staff/{workflow}?q={case_path.rsplit('/', 1)[1]}&waiting=true")
            assert_accessible(page)
            page.goto(case_path)
            assert_accessible(page)
            own = [a.get_attribute("href") for a in page.locator("ul.case-pages a").all()]
            for path in own:
                response = page.goto(path)
                assert response.status < 400, (role, path, response.status)
                assert_accessible(page)
            opened.append((role, case_path, own))
    pages = {path.rsplit("/", 1)[1] for _r, _c, own in opened for path in own}
    assert {"self-assessment", "messages", "personal", "attendance", "plan"} <= pages, opened
