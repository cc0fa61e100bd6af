"""The work list and the generated case pages over HTTP: a scheme manager works an application
with the forms generated from the workflow (a reason code, a note), sees the history grow and
a stale form refused; a recruiter meets another organisation's case as a page not found; a
grievance's page adds no personal data to what the API's view shows; the workflow that exists
only in the tests (tests/sample_domain) gets its pages with no template written for it,
a guard that blocks a transition shown without a button. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select, text

from iris_engine.app import create_app
from iris_engine.clock import ManualClock, utcnow
from iris_engine.domains import DOMAINS
from iris_engine.services import build_services
from iris_engine.store.models import Timer
from iris_engine.ticker import Ticker
from tests import sample_domain
from tests.conftest import REPO
from tests.integration import conftest
from tests.integration.conftest import (
    Cast,
    GrievanceCast,
    World,
    file_grievance,
    fire_grievance,
    grievance_filing,
    walk_to,
)
from tests.integration.staff_support import csrf_token, post_form, signed_in

CHANGED = "This case changed while you were on this page"


def _revision(html: str) -> str:
    found = re.search(r'name="expected_revision" value="(\d+)"', html)
    assert found, html
    return found.group(1)


async def test_a_scheme_manager_works_an_application(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    await signed_in(world, "manager@scheme.example")
    work = await world.client.get("/staff")
    assert work.status_code == 200
    assert "Accreditation of a labour recruiter" in work.text
    assert f'href="/staff/accreditation/{case_id}"' in work.text
    assert 'href="/staff/accreditation?state=submitted"' in work.text
    listed = await world.client.get("/staff/accreditation", params={"state": "submitted"})
    assert f">#{case_id}<" in listed.text and "Everest Fair Recruitment" in listed.text
    assert f">#{case_id}<" not in (await world.client.get(
        "/staff/accreditation", params={"state": "accredited"})).text

    path = f"/staff/accreditation/{case_id}"
    page = await world.client.get(path)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    # the forms the workflow file makes: defer has its reason codes as a choice and a note
    assert 'name="event" value="defer"' in page.text
    assert '<option value="incomplete_documents">incomplete documents: Documents missing or ' \
           'incomplete</option>' in page.text
    assert 'name="event" value="accept_application"' in page.text
    # the workflow drawn as a list: every state, this case's marked, what leads on from each
    current = re.findall(r'<li class="current" aria-current="step">\s*<span class="state">'
                         r'([^<]+)</span>', page.text)
    assert current == ["submitted"]
    assert "accept application → accepted" in page.text
    assert page.text.count('<span class="state">') >= 20  # the states of the map
    revision = _revision(page.text)

    # a required reason and note left out: each shown at its field, nothing fired
    r = await post_form(world, path, {"event": "defer", "expected_revision": revision})
    assert r.status_code == 422
    assert 'id="defer--reason_code-error"' in r.text and 'id="defer--note-error"' in r.text
    assert 'href="#defer--reason_code"' in r.text

    r = await post_form(world, path, {"event": "defer", "expected_revision": revision,
                                      "reason_code": "incomplete_documents",
                                      "note": "The licence copy is unreadable."})
    assert r.status_code == 303 and r.headers["location"] == f"{path}?notice=fired"
    after = await world.client.get(r.headers["location"])
    assert "Done. The history below shows what was recorded." in after.text
    assert "deferred" in after.text and "The licence copy is unreadable." in after.text
    assert "incomplete documents" in after.text
    history = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()
    assert [e["event"] for e in history][-1] == "defer"
    assert history[-1]["reason_code"] == "incomplete_documents"
    assert after.text.count('<li>\n    <p><time') == len(history)

    # the form of a page read before: the case moved on since
    r = await world.client.post(path, data={"_csrf_token": csrf_token(after), "event": "defer",
                                            "expected_revision": revision,
                                            "reason_code": "other", "note": "Again."})
    assert r.status_code == 409 and CHANGED in r.text
    r = await world.client.post(path, data={"_csrf_token": csrf_token(after),
                                            "event": "resubmit",
                                            "expected_revision": _revision(after.text)})
    assert r.status_code == 409 and CHANGED in r.text  # the recruiter's, not the manager's
    # the recruiter resubmits with the API; the manager's page is stale: refused, shown as now
    assert (await cast.recruiter.fire(case_id, "resubmit")).status_code == 200
    r = await world.client.post(path, data={"_csrf_token": csrf_token(after),
                                            "event": "accept_application",
                                            "expected_revision": _revision(after.text)})
    assert r.status_code == 409 and CHANGED in r.text


def _waiting_ids(html: str, workflow: str) -> list[int]:
    """The case ids of a workflow's "Waiting for you" table on the work page, in order."""
    section = html.split(f'id="wf-{workflow}"', 1)[1].split("</section>", 1)[0]
    if "Waiting for you" not in section:
        return []
    table = section.split("Waiting for you", 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(rf'href="/staff/{workflow}/(\d+)"', table)]


async def test_my_work_shows_what_waits_for_me_nearest_deadline_first(world: World,
                                                                       cast: Cast) -> None:
    """The scheme manager reviews submitted applications within 14 days (the review_due
    deadline): the one due first is on top, one past its day says so; a draft, which only its
    recruiter can move, waits for that recruiter (with no deadline), not for the manager."""
    kathmandu = Cast(await world.recruiter("Kathmandu Placement"), cast.manager, cast.auditor)
    newer = await walk_to(kathmandu, "draft")  # opened first: the lower id, submitted later
    older = await walk_to(cast, "submitted")
    world.clock.advance(days=10)
    assert (await kathmandu.recruiter.fire(newer, "submit")).status_code == 200
    assert newer < older
    lalitpur = Cast(await world.recruiter("Lalitpur Overseas"), cast.manager, cast.auditor)
    draft = await walk_to(lalitpur, "draft")
    world.clock.advance(days=5)  # the older one's review was due a day ago

    await signed_in(world, "manager@scheme.example")
    work = (await world.client.get("/staff")).text
    assert _waiting_ids(work, "accreditation") == [older, newer]
    waiting = work.split("Waiting for you", 1)[1].split("</table>", 1)[0]
    first, second = waiting.split(f'href="/staff/accreditation/{newer}"')
    assert "Overdue since" in first and "Due " not in first
    assert "Due " in second and "Overdue" not in second
    assert 'href="/staff/accreditation?state=draft"' in work  # counted, all the same

    # the ticker tells the manager the review is due (nothing fires): the deadline still
    # applies, so the case stays on top as overdue; it is done once the case moves on
    await world.tick()
    timers = await _deadlines(world, older, "review_due")
    assert [(t.status, t.outcome) for t in timers] == [("overdue", "deadline notice sent")]
    work = (await world.client.get("/staff")).text
    assert _waiting_ids(work, "accreditation") == [older, newer]
    assert "Overdue since" in work.split("Waiting for you", 1)[1].split(
        f'href="/staff/accreditation/{newer}"')[0]
    assert (await cast.manager.fire(older, "accept_application")).status_code == 200
    timers = await _deadlines(world, older, "review_due")
    assert [(t.status, t.outcome) for t in timers] == [("done", "deadline notice sent")]

    await signed_in(world, "lalitpur.overseas@agency.example")
    work = (await world.client.get("/staff")).text
    assert _waiting_ids(work, "accreditation") == [draft]
    assert f"/staff/accreditation/{older}" not in work

    # the auditor can act on none of these (no audit under way): nothing waits for it
    await signed_in(world, "auditor@audit.example")
    assert _waiting_ids((await world.client.get("/staff")).text, "accreditation") == []


async def _deadlines(world: World, case_id: int, name: str) -> list[Timer]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(Timer).where(
            Timer.case_id == case_id, Timer.name == name, Timer.kind == "deadline"))).all())


async def test_a_case_page_checks_its_history_chain(world: World, cast: Cast) -> None:
    """The history is checked each time the page is shown: an event changed in the database
    behind the engine (a reason code rewritten) turns the check into an alert naming it."""
    case_id = await walk_to(cast, "submitted")
    await signed_in(world, "manager@scheme.example")
    path = f"/staff/accreditation/{case_id}"
    page = (await world.client.get(path)).text
    assert "Checked just now" in page and "This history fails its check" not in page
    async with world.services.db.write() as session:
        await session.execute(text("UPDATE case_event SET reason_code = 'other' "
                                   "WHERE case_id = :c AND seq = 2"), {"c": case_id})
    page = (await world.client.get(path)).text
    assert "This history fails its check" in page and "Checked just now" not in page
    assert "At event #2:" in page and "content does not match its hash (altered)" in page


async def test_a_form_post_without_its_csrf_token_fires_nothing(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "submitted")
    await signed_in(world, "manager@scheme.example")
    page = await world.client.get(f"/staff/accreditation/{case_id}")
    r = await world.client.post(f"/staff/accreditation/{case_id}", data={
        "event": "accept_application", "expected_revision": _revision(page.text)})
    assert r.status_code == 403
    view = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert view["state"] == "submitted"


async def test_a_recruiter_never_meets_another_organisations_case(world: World,
                                                                  cast: Cast) -> None:
    case_id = await walk_to(cast, "draft")
    other = await world.recruiter("Kathmandu Placement")
    r = await other.post("/api/v1/applications", {"self_assessment": conftest.valid_self_assessment()})
    own = r.json()["id"]
    await signed_in(world, "kathmandu.placement@agency.example")
    work = await world.client.get("/staff")
    assert f"/staff/accreditation/{own}" in work.text
    assert f"/staff/accreditation/{case_id}" not in work.text
    assert "Everest" not in work.text
    answers = [await world.client.get(f"/staff/accreditation/{case_id}"),
               await world.client.get("/staff/accreditation/999999"),  # no such case: the same
               await world.client.get(f"/staff/grievance/{case_id}"),  # a workflow not theirs
               await world.client.get(f"/staff/nothing/{case_id}")]
    for r in answers:
        assert r.status_code == 404 and "Page not found" in r.text, r.text
        assert "Everest" not in r.text
    page = await world.client.get(f"/staff/accreditation/{own}")
    r = await world.client.post(f"/staff/accreditation/{case_id}", data={
        "_csrf_token": csrf_token(page), "event": "update_scope", "expected_revision": "1",
        "data.scope": "{}"})
    assert r.status_code == 404
    # the recruiter's own draft: the corridors are rows of fields (a list of objects), and the
    # engine's error about the second row's origin is shown at that row's field
    assert 'name="data.corridors.0.origin"' in page.text
    r = await world.client.post(f"/staff/accreditation/{own}", data={
        "_csrf_token": csrf_token(page), "event": "update_scope",
        "expected_revision": _revision(page.text), "data.corridors.rows": "3",
        "data.corridors.0.origin": "NP", "data.corridors.0.destination": "QA",
        "data.corridors.1.origin": "nepal", "data.corridors.1.destination": "QA",
        "data.sectors": "construction"})
    assert r.status_code == 422, r.text
    assert re.search(r'id="update_scope--data-corridors-1-origin-error">[^<]*(pattern|match)',
                     r.text), r.text
    # "Add a row" shows the form again with one more row, keeping what was typed; nothing fires
    r = await world.client.post(f"/staff/accreditation/{own}", data={
        "_csrf_token": csrf_token(page), "event": "update_scope",
        "expected_revision": _revision(page.text), "data.corridors.rows": "1",
        "data.corridors.0.origin": "NP", "add_row": "data.corridors"})
    assert r.status_code == 200 and 'name="data.corridors.1.origin"' in r.text
    assert 'name="data.corridors.0.origin" value="NP"' in r.text


async def test_a_grievance_page_adds_no_personal_data(world: World, gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    contact = grievance_filing()["contact"]
    await signed_in(world, "case@scheme.example")
    path = f"/staff/grievance/{filing.case_id}"
    page = await world.client.get(path)
    assert page.status_code == 200 and filing.reference in page.text
    api = (await gcast.caseworker.get(f"/api/v1/grievance-cases/{filing.case_id}")).text
    deadlines = [d for d in (await gcast.caseworker.get(
        f"/api/v1/grievance-cases/{filing.case_id}")).json()["deadlines"]]
    assert deadlines and "<h2>Deadlines</h2>" in page.text
    assert all(d["description"].replace("'", "&#39;") in page.text for d in deadlines)
    for personal in (contact["name"], contact["email"], contact["phone"],
                     grievance_filing()["narrative"]):
        assert personal not in api  # the API's view leaves them out ...
        assert personal not in page.text  # ... and so does the page
    r = await post_form(world, path, {"event": "acknowledge",
                                      "expected_revision": _revision(page.text)})
    assert r.status_code == 303, r.text
    page = await world.client.get(path)
    assert "acknowledged" in page.text
    for personal in (contact["name"], contact["email"], contact["phone"]):
        assert personal not in page.text


# -- a workflow added as YAML, hooks and a table only ---------------------------------------
@pytest.fixture
async def sample_world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    folder = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    shutil.copy(sample_domain.WORKFLOW_FILE, folder)
    settings = conftest.test_settings(database_url, workflows_dir=folder)
    clock = ManualClock(utcnow())
    services = build_services(settings, clock=clock, domains=(*DOMAINS, sample_domain.DOMAIN))
    async with services.db.write_engine.begin() as conn:  # its table ships with no migration
        await conn.run_sync(sample_domain.SampleBase.metadata.create_all)
    ticker = Ticker(services, "test-ticker")
    app = create_app(settings, services=services)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
        yield World(services, client, settings, clock, ticker)
    await ticker.stop()
    await services.db.dispose()


async def test_a_workflow_added_as_yaml_gets_its_pages(sample_world: World) -> None:
    world = sample_world
    asker = await world.recruiter("Asking Agency")
    await world.staff("manager@scheme.example", "scheme_manager", organisation="Scheme",
                      kind="scheme")
    answered = (await asker.post("/api/v1/inquiries", {"question": "Who pays the medicals?"})).json()
    withdrawn = (await asker.post("/api/v1/inquiries", {"question": "And the visas?"})).json()
    r = await asker.post(f"/api/v1/inquiries/{withdrawn['id']}/transitions",
                         {"event": "withdraw_question", "expected_revision": 1})
    assert r.status_code == 200, r.text

    await signed_in(world, "manager@scheme.example")
    work = await world.client.get("/staff")
    assert "Inquiry to the scheme" in work.text and 'href="/staff/inquiry"' in work.text
    listed = await world.client.get("/staff/inquiry", params={"state": "asked"})
    assert "Who pays the medicals?" in listed.text and "And the visas?" in listed.text

    path = f"/staff/inquiry/{answered['id']}"
    page = await world.client.get(path)
    assert page.status_code == 200
    assert "Asked; awaiting the scheme&#39;s answer" in page.text  # the state, in the file's words
    assert 'name="event" value="answer"' in page.text
    r = await post_form(world, path, {"event": "answer", "expected_revision": _revision(page.text)})
    assert r.status_code == 422 and 'id="answer--note-error"' in r.text  # the file: note required
    r = await post_form(world, path, {"event": "answer", "expected_revision": _revision(page.text),
                                      "note": "The employer pays, <b>always</b>."})
    assert r.status_code == 303
    page = await world.client.get(path)
    assert "Answered" in page.text and "The employer pays, &lt;b&gt;always&lt;/b&gt;." in page.text
    assert 'name="event"' not in page.text  # final: nothing more to do
    # its workflow drawn from the file too: the case at its final state
    assert re.findall(r'<li class="current" aria-current="step">\s*<span class="state">'
                      r'([^<]+)</span>', page.text) == ["answered"]
    assert "answer → answered" in page.text

    # a guard that blocks: shown with its reason, and no button
    page = await world.client.get(f"/staff/inquiry/{withdrawn['id']}")
    assert "the recruiter withdrew the question" in page.text
    assert 'name="event" value="answer"' not in page.text

    # the recruiter sees its own inquiries, and the form it may fire
    await signed_in(world, "asking.agency@agency.example")
    page = await world.client.get(f"/staff/inquiry/{answered['id']}")
    assert page.status_code == 200 and "Who pays the medicals?" in page.text


async def test_engine_errors_are_shown_at_their_fields(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accepted")
    await signed_in(world, "manager@scheme.example")
    path = f"/staff/accreditation/{case_id}"
    page = await world.client.get(path)
    # the auditor is chosen by name (FieldChoices), the date typed
    chooser = re.search(r'<select id="plan_audit--data-auditor_id".*?</select>', page.text, re.S)
    assert chooser and f'<option value="{cast.auditor.user_id}">' in chooser.group(0), page.text
    assert "Audit Body" in chooser.group(0)
    assert 'type="date" id="plan_audit--data-planned_on"' in page.text
    plan = {"event": "plan_audit", "expected_revision": _revision(page.text),
            "data.planned_on": date.today().isoformat()}
    r = await post_form(world, path, {**plan, "data.auditor_id": "0"})  # the schema's minimum
    assert r.status_code == 422
    assert 'id="plan_audit--data-auditor_id-error">0 is less than the minimum of 1' in r.text
    assert f'value="{plan["data.planned_on"]}"' in r.text  # what was typed is kept
    r = await post_form(world, path, {**plan, "data.planned_on": "soon",
                                      "data.auditor_id": str(cast.auditor.user_id)})
    assert r.status_code == 422 and "Enter a date as YYYY-MM-DD" in r.text
    r = await post_form(world, path, {**plan, "data.planned_on": "",
                                      "data.auditor_id": str(cast.auditor.user_id)})
    assert r.status_code == 422
    assert 'id="plan_audit--data-planned_on-error">Fill this in' in r.text
    r = await post_form(world, path, {**plan, "data.auditor_id": str(cast.manager.user_id)})
    assert r.status_code == 422 and "auditor_eligible" not in r.text  # the guard's sentence ...
    assert "There is a problem" in r.text  # ... in the summary
    r = await post_form(world, path, {**plan, "data.auditor_id": str(cast.auditor.user_id)})
    assert r.status_code == 303, r.text
    view = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert (view["state"], view["assignee_id"]) == ("audit_planned", cast.auditor.user_id)


async def test_a_recruiter_answers_its_findings_by_name(world: World, cast: Cast) -> None:
    """The corrective action plans' rows offer the case's open findings by what they say
    (``FieldChoices``), and the posted rows become the plans the engine records."""
    finding = {"severity": "minor", "principle": "1", "criterion": "1.2",
               "description": "Receipts for medical costs were missing"}
    case_id = await walk_to(cast, "audited", findings=[finding])
    r = await cast.auditor.fire(case_id, "request_corrective_action")
    assert r.status_code == 200, r.text
    [nc] = r.json()["non_conformities"]
    await signed_in(world, "everest.fair.recruitment@agency.example")
    path = f"/staff/accreditation/{case_id}"
    page = await world.client.get(path)
    chooser = re.search(r'<select id="submit_corrective_action--data-plans-0-non_conformity_id"'
                        r'.*?</select>', page.text, re.S)
    assert chooser, page.text
    assert f'<option value="{nc["id"]}">#{nc["id"]} minor, 1.2: Receipts for medical' \
        in chooser.group(0)
    r = await post_form(world, path, {
        "event": "submit_corrective_action", "expected_revision": _revision(page.text),
        "data.plans.rows": "1", "data.plans.0.non_conformity_id": str(nc["id"]),
        "data.plans.0.action": "Every cost is now paid by the employer, with receipts"})
    assert r.status_code == 303, r.text
    view = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert view["state"] == "corrective_action_review"
    assert view["non_conformities"][0]["corrective_action"].startswith("Every cost")


async def test_a_caseworker_refers_to_an_authority_chosen_by_name(
        world: World, gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    for event, body in [("acknowledge", {}), ("triage", {"data": {"severity": "medium"}})]:
        r = await fire_grievance(gcast.caseworker, filing.case_id, event, **body)
        assert r.status_code == 200, r.text
    me = (await gcast.caseworker.get("/api/v1/me")).json()
    await signed_in(world, me["email"])
    page = await world.client.get(f"/staff/grievance/{filing.case_id}")
    chooser = re.search(r'<select id="refer--data-authority_id".*?</select>', page.text, re.S)
    assert chooser and f'<option value="{gcast.glaa_id}">' in chooser.group(0), page.text
    r = await post_form(world, f"/staff/grievance/{filing.case_id}", {
        "event": "refer", "expected_revision": _revision(page.text),
        "data.authority_id": str(gcast.glaa_id)})
    assert r.status_code == 303, r.text
    view = (await gcast.caseworker.get(f"/api/v1/grievance-cases/{filing.case_id}")).json()
    assert view["state"] == "referred"


async def test_a_list_is_searched_and_filtered(world: World, cast: Cast,
                                                 gcast: GrievanceCast) -> None:
    """By a case's number, a registration number, part of the organisation's name, a
    grievance's reference; only those waiting for me; each within what the account may see."""
    accredited = await walk_to(cast, "accredited")
    draft = await walk_to(await conftest.newcomer(world, cast, 0), "draft")
    lrn = (await cast.manager.get(f"/api/v1/applications/{accredited}")).json()["lrn"]
    await signed_in(world, "manager@scheme.example")

    async def found(**params: str) -> set[int]:
        r = await world.client.get("/staff/accreditation", params=params)
        assert r.status_code == 200, r.text
        return {int(i) for i in re.findall(r'href="/staff/accreditation/(\d+)"', r.text)}

    assert {accredited, draft} <= await found()
    assert await found(q=str(accredited)) == {accredited}
    assert await found(q=lrn) == {accredited} and await found(q=lrn.lower()) == {accredited}
    assert accredited in await found(q="everest fair")
    assert await found(q="no such recruiter %_") == set()  # LIKE's wildcards are text
    # a draft waits for its recruiter, an accreditation for the manager (surveillance, ...)
    waiting = await found(waiting="true")
    assert accredited in waiting and draft not in waiting
    page = await world.client.get("/staff/accreditation", params={"q": "everest",
                                                                  "state": "accredited"})
    assert 'value="everest"' in page.text
    # a grievance by its reference, for the staff who see it, never for those who do not
    filing = await file_grievance(world)
    me = (await gcast.supervisor.get("/api/v1/me")).json()
    await signed_in(world, me["email"])
    r = await world.client.get("/staff/grievance", params={"q": filing.reference})
    assert f'href="/staff/grievance/{filing.case_id}"' in r.text
    await signed_in(world, "everest.fair.recruitment@agency.example")
    r = await world.client.get("/staff/grievance", params={"q": filing.reference})
    assert r.status_code == 404 or f"/staff/grievance/{filing.case_id}" not in r.text


async def test_a_json_field_refuses_what_it_cannot_read(world: World, cast: Cast) -> None:
    """A property the forms can only take as JSON (the self-assessment's own field on the case
    page): nesting past what a parser follows, a number past a float, text past the note's
    bound: each refused at the field, nothing fired."""
    case_id = await walk_to(cast, "draft")
    await signed_in(world, "everest.fair.recruitment@agency.example")
    path = f"/staff/accreditation/{case_id}"
    before = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
    for value, says in [("[" * 2000 + "]" * 2000, "This is not valid JSON"),
                        ('{"a":' * 1200 + "1" + "}" * 1200, "This is too long"),
                        ("1e999999", "is not of type 'object'")]:
        page = await world.client.get(path)
        r = await post_form(world, path, {"event": "update_self_assessment",
                                          "expected_revision": _revision(page.text),
                                          "data.self_assessment": value})
        assert r.status_code == 422 and says in r.text, (value[:10], r.status_code)
    after = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
    assert after == before
