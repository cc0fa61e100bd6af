"""Every role against every endpoint that needs a login (DESIGN: "every role against every
endpoint"). One world per test, one table each: the expected status per actor is written from
the rules (each workflow file's ``access`` section, the services' extra checks and who may fire
what in workflows/*.yaml). All mismatches are collected and shown together. Every operation
that needs a login must have a row: a new route fails here until it has one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from httpx import Response

from tests.integration.certificate_support import rows as certificate_rows
from tests.integration.conftest import (
    Cast,
    GrievanceCast,
    World,
    appealed_to_last_tier,
    assert_problem,
    file_grievance,
    fire_grievance,
    valid_self_assessment,
    walk_to,
)

#: every caller, anonymous (no token) first
ACTORS = ("anonymous", "recruiter", "auditor", "manager", "caseworker", "other_caseworker",
          "supervisor", "admin", "glaa", "police")
AUTHORITY_BODY = {"name": "Labour inspectorate", "countries": ["QA"], "remits": ["wages"]}


def expect(ok: str, ok_status: int = 200, *, other: int = 403,
           **special: int) -> dict[str, int]:
    """``ok``: the actors answered ``ok_status``; other authenticated actors ``other``;
    anonymous 401 (the JWT middleware answers before any handler)."""
    allowed = set(ok.split())
    assert allowed <= set(ACTORS), allowed - set(ACTORS)
    table = {a: ok_status if a in allowed else other for a in ACTORS}
    table["anonymous"] = 401
    table.update(special)
    return table


EVERYONE = " ".join(ACTORS[1:])


@dataclass
class Scene:
    world: World
    tokens: dict[str, str | None]
    app_id: int
    grievance_id: int
    referral_id: int
    #: a grievance appealed to the last tier (3), which the scheme manager reaches
    last_tier_id: int

    async def call(self, actor: str, method: str, path: str, body: Any = None) -> Response:
        token = self.tokens[actor]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.world.client.request(method, path, json=body, headers=headers)

    async def revision(self, path: str) -> int:
        # someone who sees every case of the workflow
        r = await self.call("manager" if "/applications/" in path else "supervisor", "GET", path)
        assert r.status_code == 200, r.text
        return int(r.json()["revision"])


Row = tuple[str, str, Any, dict[str, int]]


def read_rows(app_id: int, grievance_id: int, referral_id: int, last_tier_id: int) -> list[Row]:
    """Every read endpoint that needs a login, with who gets what."""
    app, g, ref = (f"/api/v1/applications/{app_id}", f"/api/v1/grievance-cases/{grievance_id}",
                   f"/api/v1/referrals/{referral_id}")
    g3 = f"/api/v1/grievance-cases/{last_tier_id}"
    # accreditation: recruiter (own organisation), auditor (assigned only: this one is not yet),
    # scheme manager and admin (ALL); caseworkers, supervisors and authorities never
    app_list = expect("recruiter auditor manager admin")
    app_case = expect("recruiter manager admin")
    # grievances: caseworker queue (own + unassigned), supervisor ALL, the scheme manager
    # those appealed to the last tier (3) only; an admin runs accounts and the directory and
    # reaches accreditation only. Out of reach is 403, as for every case of every workflow
    g_case = expect("caseworker supervisor")  # tier 1
    g_last = expect("manager caseworker supervisor")  # tier 3
    g_handler = expect("caseworker supervisor")  # messages, routing: handlers only
    referral_case = expect("caseworker supervisor glaa")
    return [
        ("GET", "/api/v1/applications", None, app_list),
        ("GET", app, None, app_case),
        ("GET", f"{app}/transitions", None, app_case),
        ("GET", f"{app}/history", None, app_case),
        ("GET", "/api/v1/grievance-cases", None,
         expect("manager caseworker other_caseworker supervisor")),
        ("GET", g, None, g_case),
        ("GET", f"{g}/transitions", None, g_case),
        ("GET", f"{g}/history", None, g_case),
        ("GET", f"{g}/narrative?purpose=test", None, g_case),
        ("GET", g3, None, g_last),
        ("GET", f"{g3}/transitions", None, g_last),
        ("GET", f"{g3}/history", None, g_last),
        ("GET", f"{g3}/narrative?purpose=test", None, g_last),
        ("GET", f"{g3}/messages", None, g_handler),
        ("GET", f"{g}/messages", None, g_handler),
        ("GET", f"{g}/identity?purpose=test", None, expect("caseworker")),  # assigned one only
        ("GET", f"{g}/routing", None, g_handler),
        ("GET", "/api/v1/grievance-stats", None,
         expect("manager caseworker other_caseworker supervisor admin")),
        ("GET", "/api/v1/referrals", None,
         expect("caseworker other_caseworker supervisor glaa police")),
        ("GET", ref, None, referral_case),
        ("GET", f"{ref}/identity", None, expect("glaa")),  # the authority it went to, by consent
        ("GET", f"{ref}/transitions", None, referral_case),
        ("GET", f"{ref}/history", None, referral_case),
        ("GET", "/api/v1/authorities", None, expect("manager caseworker other_caseworker "
                                                    "supervisor admin")),
        ("GET", "/api/v1/me", None, expect(EVERYONE)),
        # the staff directory: those who plan audits and run accounts; a recruiter, an
        # auditor or an authority never lists accounts
        ("GET", "/api/v1/users", None, expect("manager admin")),
        ("GET", "/api/v1/users?role=auditor", None, expect("manager admin")),
        # an id of another workflow is no case of this one: 404 for everyone signed in
        ("GET", f"/api/v1/applications/{grievance_id}", None, expect(EVERYONE, 404)),
        ("GET", f"/api/v1/grievance-cases/{referral_id}", None, expect(EVERYONE, 404)),
        ("GET", f"/api/v1/referrals/{app_id}", None, expect(EVERYONE, 404)),
    ]


def write_rows(app_id: int, grievance_id: int, referral_id: int, app_rev: int, g_rev: int,
               ref_rev: int) -> list[Row]:
    """Every write endpoint that needs a login, with who may write."""
    app, g, ref = (f"/api/v1/applications/{app_id}", f"/api/v1/grievance-cases/{grievance_id}",
                   f"/api/v1/referrals/{referral_id}")

    def fire(event: str, revision: int, **extra: Any) -> dict[str, Any]:
        return {"event": event, "expected_revision": revision, **extra}

    # every refusal is on who acts, not on the body: the event exists and the revision is
    # current, and where some role may act, the same body is accepted from it. Actors run in
    # ACTORS order; those after an accepted write are refused before the revision is checked.
    return [
        # recruiters open applications, for their own organisation; nobody else does. The
        # recruiter passes the role check and meets its organisation's application under way
        # (the scene's): one at a time (test_lifecycle_cycle opens one)
        ("POST", "/api/v1/applications", {"self_assessment": valid_self_assessment()},
         expect("recruiter", 409)),
        # accept_application: the scheme manager only
        ("POST", f"{app}/transitions", fire("accept_application", app_rev), expect("manager")),
        # appeals and licences: who may fire them (a role check first; the one role allowed
        # then meets the revision the acceptance moved on: 409)
        ("POST", f"{app}/transitions", fire("appeal", app_rev, note="grounds"),
         expect("recruiter", 409)),
        ("POST", f"{app}/transitions", fire("uphold_appeal", app_rev, note="n"),
         expect("manager", 409)),
        ("POST", f"{app}/transitions", fire("update_licences", app_rev, data={"licences": []}),
         expect("recruiter", 409)),
        ("POST", f"{app}/transitions", fire("request_information", app_rev, note="n",
                                            data={"respond_by": "2099-01-01"}),
         expect("manager", 409)),
        # withdraw: the complainant only (with their access code), never staff
        ("POST", f"{g}/transitions", fire("withdraw", g_rev), expect("")),
        # escalate: the system only (the ticker)
        ("POST", f"{g}/transitions", fire("escalate", g_rev, reason_code="missed_acknowledgement",
                                          note="by hand"), expect("")),
        # uphold: supervisor or scheme manager (a role check before the state check, so the
        # supervisor gets 409: it is no appeal); the scheme manager does not reach tier 1
        ("POST", f"{g}/transitions", fire("uphold", g_rev, reason_code="resolved", note="n"),
         expect("supervisor", 409)),
        # a legal hold: supervisors only
        ("POST", f"{g}/transitions", fire("place_legal_hold", g_rev, note="court"),
         expect("supervisor")),
        # messages to the complainant: the handling caseworker or a supervisor
        ("POST", f"{g}/messages", {"body": "Hello"}, expect("caseworker supervisor", 201)),
        # acknowledge a referral: the authority it went to, nobody else
        ("POST", f"{ref}/transitions", fire("acknowledge", ref_rev), expect("glaa")),
        # the authorities directory: admins
        ("POST", "/api/v1/authorities", AUTHORITY_BODY, expect("admin", 201)),
        # one's own password: anyone signed in (a wrong current password changes nothing,
        # so every actor keeps its token)
        ("POST", "/api/v1/me/password", {"current_password": "not the current one",
                                         "new_password": "a brand new passphrase"},
         expect(EVERYONE, 422)),
    ]


async def _scene(world: World, cast: Cast, gcast: GrievanceCast) -> Scene:
    app_id = await walk_to(cast, "submitted")
    filing = await file_grievance(world)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("acknowledge", {}), ("triage", {"data": {"severity": "medium"}}),
        ("refer", {"data": {"authority_id": gcast.glaa_id}})]
    for event, body in steps:
        r = await fire_grievance(gcast.caseworker, filing.case_id, event, **body)
        assert r.status_code == 200, (event, r.text)
    view = r.json()
    assert (view["state"], view["assignee_id"]) == ("referred", gcast.caseworker.user_id)
    r = await gcast.glaa.get("/api/v1/referrals")
    assert r.status_code == 200, r.text
    [referral] = r.json()
    assert referral["id"] in view["referral_case_ids"] and referral["identity_disclosed"]
    tokens: dict[str, str | None] = {
        "anonymous": None, "recruiter": cast.recruiter.token, "auditor": cast.auditor.token,
        "manager": cast.manager.token, "caseworker": gcast.caseworker.token,
        "other_caseworker": gcast.other_caseworker.token, "supervisor": gcast.supervisor.token,
        "admin": gcast.admin.token, "glaa": gcast.glaa.token, "police": gcast.police.token}
    last_tier = await appealed_to_last_tier(world, gcast)
    return Scene(world, tokens, app_id, filing.case_id, referral["id"], last_tier.case_id)


async def _check(scene: Scene, rows: list[Row],
                 mismatches: list[str]) -> None:
    for method, path, body, table in rows:
        for actor in ACTORS:
            r = await scene.call(actor, method, path, body)
            want = table[actor]
            where = f"{actor:>16} {method} {path}"
            if r.status_code != want:
                mismatches.append(f"{where}: got {r.status_code}, expected {want}: {r.text[:160]}")
            elif r.status_code >= 400:
                try:
                    assert_problem(r)
                except (AssertionError, ValueError, KeyError) as e:
                    mismatches.append(f"{where}: {r.status_code} is not problem+json: {e}")


async def test_every_role_against_every_read_endpoint(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    s = await _scene(world, cast, gcast)
    g, ref = f"/api/v1/grievance-cases/{s.grievance_id}", f"/api/v1/referrals/{s.referral_id}"
    rows = read_rows(s.app_id, s.grievance_id, s.referral_id, s.last_tier_id)
    mismatches: list[str] = []
    await _check(s, rows, mismatches)

    # the lists are scoped, not just allowed: who finds the case in them
    for path, case_id, seen_by in [
        ("/api/v1/applications", s.app_id, "recruiter manager admin"),
        ("/api/v1/grievance-cases", s.grievance_id, "caseworker supervisor"),
        ("/api/v1/grievance-cases", s.last_tier_id, "manager caseworker supervisor"),
        ("/api/v1/referrals", s.referral_id, "caseworker supervisor glaa"),
    ]:
        for actor in ACTORS[1:]:
            r = await s.call(actor, "GET", path)
            if r.status_code != 200:
                continue  # reported above
            sees = case_id in [item["id"] for item in r.json()]
            if sees != (actor in seen_by.split()):
                mismatches.append(f"{actor:>16} GET {path}: case {case_id} listed={sees}")
    assert not mismatches, "\n" + "\n".join(mismatches)
    for actor, path in [("caseworker", f"{g}/identity?purpose=test"), ("glaa", f"{ref}/identity")]:
        assert (await s.call(actor, "GET", path)).json()["email"] == "sita.gurung@mail.example"
    # an admin reads neither a grievance's narrative nor a referral's packet
    assert (await s.call("admin", "GET", f"{g}/narrative?purpose=test")).status_code == 403
    assert (await s.call("admin", "GET", ref)).status_code == 403


async def test_every_role_against_the_write_endpoints(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    s = await _scene(world, cast, gcast)
    app, g, ref = (f"/api/v1/applications/{s.app_id}", f"/api/v1/grievance-cases/{s.grievance_id}",
                   f"/api/v1/referrals/{s.referral_id}")
    app_rev, g_rev, ref_rev = (await s.revision(app), await s.revision(g), await s.revision(ref))

    rows = write_rows(s.app_id, s.grievance_id, s.referral_id, app_rev, g_rev, ref_rev)
    mismatches: list[str] = []
    await _check(s, rows, mismatches)
    assert not mismatches, "\n" + "\n".join(mismatches)


def test_every_operation_that_needs_a_login_has_a_row(tmp_path: Any) -> None:
    """The rows are matched to the app's own OpenAPI: an operation behind the bearer token
    with no row here (a new endpoint, or one a domain just added) fails this test."""
    import re

    from iris_engine.app import create_app
    from tests.integration.conftest import test_settings

    app = create_app(test_settings(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    secured: dict[tuple[str, re.Pattern[str]], str] = {}
    for path, item in app.openapi_schema.to_schema()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        for method, op in item.items():
            if isinstance(op, dict) and op.get("security"):
                secured[(method.upper(), pattern)] = op["operationId"]
    covered = set()
    from tests.integration.test_return_role_matrix import return_rows
    from tests.integration.test_return_statistics import statistics_rows
    from tests.integration.test_training_catalogue_roles import catalogue_rows
    from tests.integration.test_training_role_matrix import training_rows

    # the rows of training's parts are in test_certificate_role_matrix.py,
    # test_training_catalogue_roles.py and test_training_role_matrix.py; returns' in
    # test_return_role_matrix.py and (statistics) test_return_statistics.py
    certificates = [("GET", path, None, table) for path, table in certificate_rows("IRIS-TC-1")]
    for method, path, _body, _table in [*read_rows(1, 2, 3, 4), *write_rows(1, 2, 3, 0, 0, 0),
                                        *certificates, *catalogue_rows(), *training_rows(5, 6),
                                        *return_rows(7), *statistics_rows()]:
        path = path.split("?")[0].rstrip("/") or "/"
        covered |= {op for (m, pattern), op in secured.items()
                    if m == method and pattern.match(path)}
    assert set(secured.values()) - covered == set()


def _domain_pages(workflow: str, case_id: int) -> list[str]:
    """Every page the domains add about a case of ``workflow`` (whatever the roles they link it
    for): a new one enters the matrix by being declared."""
    from iris_engine.domains import DOMAINS

    return [page.path.format(id=case_id) for domain in DOMAINS if domain.staff_pages
            for page in domain.staff_pages.case_pages if page.workflow == workflow]


async def test_every_role_against_the_staff_pages(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    """The workspace shows each account exactly what the API answers it: a case page where
    the API's GET is 200 (a page not found otherwise, never a 403 that confirms the case), the
    case in a workflow's list where the API's list has it, and a form for exactly the events
    the API's ``transitions`` offers; a form posted for an event not offered fires nothing."""
    from tests.integration.staff_support import csrf_token, sign_in

    s = await _scene(world, cast, gcast)
    cases = [("accreditation", "/api/v1/applications", s.app_id),
             ("grievance", "/api/v1/grievance-cases", s.grievance_id),
             ("grievance", "/api/v1/grievance-cases", s.last_tier_id),
             ("referral", "/api/v1/referrals", s.referral_id)]
    mismatches: list[str] = []
    shown: list[tuple[str, int, int]] = []  # (actor, case, forms): the test compared something
    for actor in ACTORS[1:]:
        me = (await s.call(actor, "GET", "/api/v1/me")).json()
        r = await sign_in(world, me["email"])
        assert r.status_code == 303, (actor, r.text)
        work = await world.client.get("/staff")
        assert work.status_code == 200, (actor, work.text)
        for workflow, api, case_id in cases:
            api_get = await s.call(actor, "GET", f"{api}/{case_id}")
            page = await world.client.get(f"/staff/{workflow}/{case_id}")
            want = 200 if api_get.status_code == 200 else 404
            where = f"{actor:>16} /staff/{workflow}/{case_id}"
            if page.status_code != want:
                mismatches.append(f"{where}: {page.status_code}, the API {api_get.status_code}")
                continue
            # every page a domain adds about a case (Domain.staff_pages) is closed as the case
            # page is: never shown, nor posted to, where the case is a page not found
            for extra in _domain_pages(workflow, case_id):
                got = await world.client.get(extra)
                posted = await world.client.post(extra, data={"_csrf_token": csrf_token(work)})
                if want == 404 and (got.status_code, posted.status_code) not in (
                        (404, 404), (404, 405)):
                    mismatches.append(f"{actor:>16} {extra}: GET {got.status_code}, POST "
                                      f"{posted.status_code} where the case is not found")
                if want == 200 and got.status_code not in (200, 303, 404):
                    mismatches.append(f"{actor:>16} GET {extra}: {got.status_code}")
            listed = await world.client.get(f"/staff/{workflow}")
            api_list = await s.call(actor, "GET", api)
            in_api = api_list.status_code == 200 and case_id in [c["id"] for c in api_list.json()]
            in_page = f'href="/staff/{workflow}/{case_id}"' in listed.text
            if in_api != in_page:
                mismatches.append(f"{where}: listed on the page {in_page}, by the API {in_api}")
            if want != 200:
                continue
            offered = await s.call(actor, "GET", f"{api}/{case_id}/transitions")
            events = {t["event"] for t in offered.json() if not t["blocked_by"]} \
                if offered.status_code == 200 else set()
            forms = set(re.findall(r'name="event" value="([^"]+)"', page.text))
            shown.append((actor, case_id, len(forms)))
            if forms != events:
                mismatches.append(f"{where}: forms for {sorted(forms)}, the API offers "
                                  f"{sorted(events)}")
            # an event this account is not offered here, posted anyway: nothing fires
            revision = re.search(r'name="expected_revision" value="(\d+)"', page.text)
            before = await s.revision(f"{api}/{case_id}")
            r = await world.client.post(f"/staff/{workflow}/{case_id}", data={
                "_csrf_token": csrf_token(page), "event": "close" if "close" not in events
                else "withdraw", "expected_revision": revision.group(1) if revision else "1",
                "note": "not mine to do", "reason_code": "other"})
            if r.status_code not in (404, 409) or await s.revision(f"{api}/{case_id}") != before:
                mismatches.append(f"{where}: a post of an event not offered answered "
                                  f"{r.status_code}")
    assert not mismatches, "\n" + "\n".join(mismatches)
    # every case was seen by some and hidden from others, and some pages offered forms
    assert {c for _a, c, _n in shown} == {c for _w, _p, c in cases}, shown
    assert len(shown) < len(cases) * (len(ACTORS) - 1), shown
    assert sum(1 for *_x, n in shown if n) >= 4, shown
