"""The recruiter's self-assessment in the workspace, a principle of the code at a time: a new
application started from My work, each principle's form generated from its JSON Schema
(licences as rows, a policy as a group, a yes/no for a const), saved as a draft through the
engine, each problem the code still finds shown at its field and counted per principle; a
stale form refused and kept; another organisation's application a page not found; no one but
the recruiter, in draft, may change it. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.integration import conftest
from tests.integration.conftest import Cast, World
from tests.integration.staff_support import csrf_token, form_fields, signed_in


def _revision(html: str) -> str:
    found = re.search(r'name="expected_revision" value="(\d+)"', html)
    assert found, html
    return found.group(1)


async def _start(world: World, email: str) -> str:
    """Start an application from My work; answers the self-assessment's first page's path."""
    work = await world.client.get("/staff")
    assert "Start an application for accreditation" in work.text
    r = await world.client.post("/staff/accreditation/new",
                                data={"_csrf_token": csrf_token(work)})
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/staff/accreditation/\d+/self-assessment", r.headers["location"])
    r = await world.client.get(r.headers["location"])  # the code's first principle
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/staff/accreditation/\d+/self-assessment/A", r.headers["location"])
    return r.headers["location"]


async def test_a_recruiter_fills_in_principle_a(world: World, cast: Cast) -> None:
    await world.recruiter("Lumbini Careers")
    await signed_in(world, "lumbini.careers@agency.example")
    path = await _start(world, "lumbini.careers@agency.example")
    case_id = int(path.split("/")[3])
    page = await world.client.get(path)
    assert page.status_code == 200
    # generated from principle-A.schema.json: licences are rows, a policy a group of fields
    for name in ("p.licences.0.number", "p.licences.0.valid_until", "p.countries_of_operation",
                 "p.minimum_recruitment_age", "p.forced_labour_policy.document_ref"):
        assert f'name="{name}"' in page.text, name
    assert page.text.count("not started</span>") == 7  # an empty draft
    # a second start goes to the application the organisation has
    r = await world.client.post("/staff/accreditation/new",
                                data={"_csrf_token": csrf_token(page)})
    assert r.headers["location"] == f"/staff/accreditation/{case_id}"

    fields = {"_csrf_token": csrf_token(page), "expected_revision": _revision(page.text),
              "p.licences.rows": "1", "p.licences.0.number": "DOFE-1234",
              "p.licences.0.issuer": "Department of Foreign Employment",
              "p.licences.0.country": "NP", "p.licences.0.valid_until": "next year",
              "p.countries_of_operation": "NP\nQA\n", "p.minimum_recruitment_age": "18"}
    r = await world.client.post(path, data=fields)
    assert r.status_code == 422
    assert re.search(r'id="p-licences-0-valid_until-error">Enter a date as YYYY-MM-DD', r.text)
    assert 'value="DOFE-1234"' in r.text  # nothing typed is lost

    r = await world.client.post(path, data={**fields, "p.licences.0.valid_until": "2030-01-31"})
    assert r.status_code == 303 and r.headers["location"].endswith("/A?notice=saved")
    view = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    a = view["self_assessment"]["principles"]["A"]
    assert a["licences"] == [{"number": "DOFE-1234", "issuer": "Department of Foreign Employment",
                              "country": "NP", "valid_until": "2030-01-31"}]
    assert a["countries_of_operation"] == ["NP", "QA"] and a["minimum_recruitment_age"] == 18
    assert view["self_assessment"]["code"] == "iris-standard"
    # what the code still misses in A is shown at its field; the row shows what was saved,
    # and one blank row follows it
    page = await world.client.get(r.headers["location"])
    assert "Saved." in page.text and 'value="DOFE-1234"' in page.text
    assert 'name="p.licences.1.number" value=""' in page.text
    assert 'name="p.licences.2.number"' not in page.text
    assert re.search(r'id="p-forced_labour_policy-error">', page.text), page.text

    # a form from before that save is stale: refused, shown as it is now
    r = await world.client.post(path, data={**fields, "p.licences.0.valid_until": "2031-01-31"})
    assert r.status_code == 409 and "changed while you were on this page" in r.text

    # one more row, keeping what was typed; nothing saved
    r = await world.client.post(path, data={
        **fields, "expected_revision": _revision(page.text), "_csrf_token": csrf_token(page),
        "add_row": "p.licences"})
    assert r.status_code == 200 and 'name="p.licences.1.number"' in r.text
    again = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert again["revision"] == view["revision"]


async def test_a_complete_self_assessment_counts_no_problem_and_a_const_is_a_question(
        world: World, cast: Cast) -> None:
    actor = await world.recruiter("Janakpur Jobs")
    r = await actor.post("/api/v1/applications",
                         {"self_assessment": conftest.valid_self_assessment()})
    case_id = r.json()["id"]
    await signed_in(world, "janakpur.jobs@agency.example")
    page = await world.client.get(f"/staff/accreditation/{case_id}/self-assessment/1")
    assert page.status_code == 200
    assert page.text.count("complete</span>") == 7, page.text
    # fees_charged_to_workers is `const: false`: a yes/no question, answered "no"
    assert re.search(r'name="p.fees_charged_to_workers" value="no" checked', page.text)
    # the page posted back as a browser would, one answer changed
    fields = form_fields(page.text.split('action="/staff/sign-out"')[1])
    assert fields["p.fees_charged_to_workers"] == ["no"]
    fields["p.fees_charged_to_workers"] = ["yes"]
    r = await world.client.post(f"/staff/accreditation/{case_id}/self-assessment/1", data=fields)
    assert r.status_code == 303
    page = await world.client.get(r.headers["location"])
    assert re.search(r'id="p-fees_charged_to_workers-error">', page.text), page.text
    assert "1 problem" in page.text


async def test_only_the_recruiter_changes_it_and_only_its_own(world: World, cast: Cast) -> None:
    actor = await world.recruiter("Pokhara Manpower")
    r = await actor.post("/api/v1/applications",
                         {"self_assessment": conftest.valid_self_assessment()})
    case_id = r.json()["id"]
    path = f"/staff/accreditation/{case_id}/self-assessment/A"
    await world.recruiter("Biratnagar Overseas")
    await signed_in(world, "biratnagar.overseas@agency.example")
    assert (await world.client.get(path)).status_code == 404
    mine = await world.client.get("/staff")
    r = await world.client.post(path, data={"_csrf_token": csrf_token(mine),
                                            "expected_revision": "1", "p.licences.rows": "1"})
    assert r.status_code == 404
    # the scheme manager reads it but has no form; a post fires nothing
    await signed_in(world, "manager@scheme.example")
    page = await world.client.get(path)
    assert page.status_code == 200 and "cannot be changed at this stage" in page.text
    assert "Save this principle" not in page.text
    revision = str((await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"])
    r = await world.client.post(path, data={"_csrf_token": csrf_token(page),
                                            "expected_revision": revision,
                                            "p.minimum_recruitment_age": "16"})
    assert r.status_code == 404
    view = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert view["self_assessment"]["principles"]["A"]["minimum_recruitment_age"] != 16
    # an unknown principle is a page not found
    assert (await world.client.get(f"/staff/accreditation/{case_id}/self-assessment/Z")
            ).status_code == 404
