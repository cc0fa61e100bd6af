"""An accreditation's scope: corridors and sectors stated before submission, checked with
pointers, shown on the roster and searchable there, and extended after accreditation only by
an audited transition that a scheme manager who did not audit the case decides."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

from sqlalchemy import select

from iris_engine.audit import verify_trail
from iris_engine.cases.audit import verify_chains
from iris_engine.roster.models import RosterCorridor, RosterSector
from tests.integration.conftest import (
    SCOPE,
    Actor,
    Cast,
    World,
    assert_problem,
    state_scope,
    valid_self_assessment,
    walk_to,
)
from tests.integration.test_audit_tampering import tamper, verify


async def _draft(recruiter: Actor, countries: tuple[str, ...] = ("NP", "QA")) -> int:
    r = await recruiter.post("/api/v1/applications",
                             {"self_assessment": valid_self_assessment(countries)})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _pointers(r: Any) -> dict[str, str]:
    assert_problem(r)
    return {e["pointer"]: e["message"] for e in r.json()["errors"]}


async def _lrn(cast: Cast, case_id: int) -> str:
    return str((await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"])


async def _search(world: World, **params: Any) -> list[str]:
    r = await world.client.get("/api/v1/roster", params=params)
    assert r.status_code == 200, r.text
    return [e["lrn"] for e in r.json()["items"]]


# -- stating the scope ---------------------------------------------------------------------
async def test_a_scope_that_cannot_be_accepted_is_refused_with_a_pointer_per_fault(
        cast: Cast) -> None:
    case_id = await _draft(cast.recruiter)
    r = await cast.recruiter.fire(case_id, "update_scope", data={
        "corridors": [{"origin": "NP", "destination": "QT"},   # no such country
                      {"origin": "QA", "destination": "QA"},   # to itself
                      {"origin": "XK", "destination": "NP"},   # not an ISO code
                      {"origin": "NP", "destination": "QT"}],  # twice
        "sectors": ["construction", "construction"]})
    assert r.status_code == 422
    errors = _pointers(r)
    assert set(errors) == {"/data/corridors/0/destination", "/data/corridors/1",
                           "/data/corridors/2/origin", "/data/corridors/3/destination",
                           "/data/corridors/3", "/data/sectors/1"}
    assert "'QT' is not an ISO 3166-1 alpha-2 country code" in errors["/data/corridors/0/destination"]
    assert "not from QA to itself" in errors["/data/corridors/1"]
    assert "given twice (also at /data/corridors/0)" in errors["/data/corridors/3"]
    assert r.json()["extra"]["guards"][0]["guard"] == "scope_valid"

    # the shape is the transition's schema: capitals, a sector from the list, not empty
    r = await cast.recruiter.fire(case_id, "update_scope", data={
        "corridors": [{"origin": "np", "destination": "QA"}], "sectors": ["mining"]})
    assert r.status_code == 422
    assert set(_pointers(r)) == {"/data/corridors/0/origin", "/data/sectors/0"}
    r = await cast.recruiter.fire(case_id, "update_scope", data={"corridors": [], "sectors": []})
    assert set(_pointers(r)) == {"/data/corridors", "/data/sectors"}
    r = await cast.recruiter.fire(case_id, "update_scope", data={
        "corridors": [{"origin": "NP", "destination": "QA"}] * 101, "sectors": ["other"]})
    assert "/data/corridors" in _pointers(r)
    # nothing was kept
    app = (await cast.recruiter.get(f"/api/v1/applications/{case_id}")).json()
    assert (app["revision"], app["scope"]) == (1, {"corridors": [], "sectors": []})


async def test_submit_needs_a_scope_within_the_countries_of_operation(cast: Cast) -> None:
    case_id = await _draft(cast.recruiter)
    r = await cast.recruiter.fire(case_id, "submit")
    assert r.status_code == 422
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["scope_stated"]
    assert "fire update_scope" in r.json()["detail"]

    # AE is neither the organisation's country (NP) nor among the countries of operation
    await state_scope(cast.recruiter, case_id, {
        "corridors": [{"origin": "NP", "destination": "QA"}, {"origin": "NP", "destination": "AE"}],
        "sectors": ["domestic_work"]})
    r = await cast.recruiter.fire(case_id, "submit")
    assert r.status_code == 422
    assert _pointers(r) == {"/scope/corridors/0/destination": "AE is not among the countries "
                            "of operation in the self-assessment (principle A)"}
    app = (await cast.recruiter.get(f"/api/v1/applications/{case_id}")).json()
    # stored in one form: sorted, so the pointer names the corridor as the view shows it
    assert app["scope"]["corridors"][0] == {"origin": "NP", "destination": "AE"}

    await state_scope(cast.recruiter, case_id)  # a new statement replaces the old one
    r = await cast.recruiter.fire(case_id, "submit")
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == SCOPE
    # once submitted, the scope no longer changes by update_scope
    r = await cast.recruiter.fire(case_id, "update_scope", data=SCOPE)
    assert r.status_code == 409


# -- on the roster -------------------------------------------------------------------------
async def test_the_roster_shows_the_scope_and_searches_by_origin_destination_and_sector(
        world: World, cast: Cast) -> None:
    nepal = await walk_to(cast, "accredited")  # NP -> QA, construction and hospitality
    ph = await world.recruiter("Harbour Staffing", country="PH")
    r = await ph.post("/api/v1/applications",
                      {"self_assessment": valid_self_assessment(("PH", "SA", "SG"))})
    manila = r.json()["id"]
    await state_scope(ph, manila, {"corridors": [{"origin": "PH", "destination": "SA"},
                                                 {"origin": "PH", "destination": "SG"}],
                                   "sectors": ["health_care", "domestic_work"]})
    steps: list[tuple[Actor, str, dict[str, Any]]] = [
        (ph, "submit", {}), (cast.manager, "accept_application", {}),
        (cast.manager, "plan_audit", {"data": {"auditor_id": cast.auditor.user_id,
                                               "planned_on": world.clock().date().isoformat()}}),
        (cast.auditor, "complete_audit", {"data": {"non_conformities": []}}),
        (cast.auditor, "refer_for_decision", {}), (cast.manager, "accredit", {})]
    for actor, event, body in steps:
        r = await actor.fire(manila, event, **body)
        assert r.status_code == 200, (event, r.text)
    accredit = r.json()
    np_lrn, ph_lrn = await _lrn(cast, nepal), await _lrn(cast, manila)

    entry = (await world.client.get(f"/api/v1/roster/{ph_lrn}")).json()["entry"]
    assert entry["corridors"] == [{"origin": "PH", "destination": "SA"},
                                  {"origin": "PH", "destination": "SG"}]
    assert entry["sectors"] == ["domestic_work", "health_care"]
    history = (await cast.manager.get(f"/api/v1/applications/{manila}/history")).json()
    assert history[-1]["data"]["outcome"]["scope"]["sectors"] == ["domestic_work", "health_care"]
    assert accredit["scope"]["sectors"] == ["domestic_work", "health_care"]

    assert await _search(world, origin="PH") == [ph_lrn]
    assert await _search(world, destination="qa") == [np_lrn]
    assert await _search(world, origin="PH", destination="SG") == [ph_lrn]
    assert await _search(world, origin="PH", destination="QA") == []  # no such corridor
    assert await _search(world, origin="NP", destination="QA", sector="construction") == [np_lrn]
    assert await _search(world, origin="NP", sector="domestic_work") == []
    assert sorted(await _search(world, sector="hospitality")) == [np_lrn]
    assert await _search(world, sector="health_care") == [ph_lrn]
    # the country of operation still finds both (each operates where its self-assessment says)
    assert sorted(await _search(world, country="QA")) == [np_lrn]
    assert sorted(await _search(world)) == sorted([np_lrn, ph_lrn])

    # refused, with pointers: an unknown sector, a malformed country, a misspelt filter
    r = await world.client.get("/api/v1/roster", params={"sector": "mining"})
    assert r.status_code == 422 and "/query/sector" in _pointers(r)
    assert "construction" in _pointers(r)["/query/sector"]
    r = await world.client.get("/api/v1/roster", params={"origin": "N1"})
    assert r.status_code in (400, 422) and "/query/origin" in _pointers(r)
    r = await world.client.get("/api/v1/roster", params={"destinaton": "QA"})
    assert r.status_code == 422 and "/query/destinaton" in _pointers(r)

    export = await world.client.get("/api/v1/roster/export", params={"format": "csv"})
    rows = {row["lrn"]: row for row in csv.DictReader(io.StringIO(export.text))}
    assert (rows[ph_lrn]["corridors"], rows[ph_lrn]["sectors"]) == ("PH>SA PH>SG",
                                                                     "domestic_work health_care")


async def test_cached_pages_are_keyed_by_the_scope_filters(world: World, cast: Cast) -> None:
    from iris_engine.roster.service import Roster, RosterQuery

    case_id = await walk_to(cast, "accredited")
    lrn = await _lrn(cast, case_id)
    roster = Roster(world.services.db, ttl=3600, sectors=world.services.roster.sectors)
    found = await roster.search(RosterQuery(sector="construction"))
    assert lrn.encode() in found.body
    for other in (RosterQuery(sector="fishing"), RosterQuery(origin="PH"),
                  RosterQuery(destination="NP"), RosterQuery(origin="QA", destination="NP")):
        assert lrn.encode() not in (await roster.search(other)).body, other
    assert (await roster.search(RosterQuery(sector="construction"))) == found  # from the cache


# -- extending it after accreditation ------------------------------------------------------
EXTENSION = {"corridors": [{"origin": "NP", "destination": "AE"}], "sectors": ["domestic_work"]}


async def test_an_extension_is_asked_for_granted_by_another_manager_and_chained(
        world: World, cast: Cast) -> None:
    both = await world.staff("both@audit.example", "auditor", "scheme_manager",
                             organisation="Audit Body")
    # the dual-role user audits this case
    case_id = await walk_to(cast, "accepted")
    r = await cast.manager.fire(case_id, "plan_audit", data={
        "auditor_id": both.user_id, "planned_on": world.clock().date().isoformat()})
    assert r.status_code == 200, r.text
    for actor, event, body in [(both, "complete_audit", {"data": {"non_conformities": []}}),
                               (both, "refer_for_decision", {}), (cast.manager, "accredit", {})]:
        r = await actor.fire(case_id, event, **body)
        assert r.status_code == 200, (event, r.text)
    lrn = await _lrn(cast, case_id)
    before = (await world.client.get("/api/v1/roster/changes")).json()["next_since"]

    # nothing to decide yet
    r = await cast.manager.fire(case_id, "extend_scope")
    assert r.status_code == 422
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["scope_extension_pending"]

    # what the scope already covers is no extension
    r = await cast.recruiter.fire(case_id, "request_scope_extension", data={
        "corridors": [{"origin": "NP", "destination": "QA"}], "sectors": ["construction"]})
    assert r.status_code == 422
    assert _pointers(r) == {"/data/corridors/0": "NP -> QA is already in the scope",
                            "/data/sectors/0": "construction is already in the scope"}
    r = await cast.recruiter.fire(case_id, "request_scope_extension", data={})
    assert r.status_code == 422 and "/data" in _pointers(r)

    r = await cast.recruiter.fire(case_id, "request_scope_extension", data=EXTENSION,
                                  note="Licence for UAE placements attached to our file")
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["scope_extension"]) == ("accredited", EXTENSION)
    # one request at a time
    r = await cast.recruiter.fire(case_id, "request_scope_extension",
                                  data={"sectors": ["agriculture"]})
    assert r.status_code == 422
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["no_scope_extension_pending"]
    # the recruiter cannot grant itself; the manager who audited the case cannot grant it
    assert (await cast.recruiter.fire(case_id, "extend_scope")).status_code == 403
    r = await both.fire(case_id, "extend_scope")
    assert r.status_code == 422
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["decision_maker_did_not_audit"]
    r = await both.fire(case_id, "refuse_scope_extension", reason_code="scope_not_evidenced",
                        note="No licence for the UAE")
    assert r.status_code == 422
    assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["decision_maker_did_not_audit"]
    # not on the roster until granted
    assert await _search(world, destination="AE") == []

    r = await cast.manager.fire(case_id, "extend_scope")
    assert r.status_code == 200, r.text
    app = r.json()
    assert app["state"] == "accredited" and app["scope_extension"] is None
    assert app["scope"] == {"corridors": [{"origin": "NP", "destination": "AE"},
                                          {"origin": "NP", "destination": "QA"}],
                            "sectors": ["construction", "domestic_work", "hospitality"]}
    entry = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]
    assert entry["corridors"] == app["scope"]["corridors"]
    assert entry["sectors"] == app["scope"]["sectors"]
    assert "AE" in entry["countries_of_operation"]  # a country search finds it there too
    assert await _search(world, destination="AE", sector="domestic_work") == [lrn]
    assert await _search(world, country="AE") == [lrn]
    # the status did not change: no change-feed entry
    assert (await world.client.get("/api/v1/roster/changes",
                                   params={"since": before})).json()["changes"] == []

    history = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()
    request, grant = history[-2], history[-1]
    assert (request["event"], request["data"]["sectors"]) == ("request_scope_extension",
                                                              ["domestic_work"])
    assert (grant["event"], grant["actor_id"]) == ("extend_scope", cast.manager.user_id)
    assert grant["data"]["outcome"]["granted"] == EXTENSION
    assert grant["prev_hash"] == request["hash"]
    async with world.services.db.snapshot() as session:
        _cases, _events, broken = await verify_chains(session)
        report = await verify_trail(session, world.services.catalog, world.services.domains)
    assert broken is None
    assert "roster scope" in report.read_models and not report.findings


async def test_an_extension_refused_with_reasons_leaves_the_roster_as_it_was(
        world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    lrn = await _lrn(cast, case_id)
    r = await cast.recruiter.fire(case_id, "request_scope_extension",
                                  data={"sectors": ["agriculture"]})
    assert r.status_code == 200, r.text
    r = await cast.manager.fire(case_id, "refuse_scope_extension")
    assert r.status_code == 422
    assert set(_pointers(r)) == {"/reason_code", "/note"}
    r = await cast.manager.fire(case_id, "refuse_scope_extension",
                                reason_code="scope_not_evidenced",
                                note="No employer contracts in agriculture were shown")
    assert r.status_code == 200, r.text
    assert r.json()["scope_extension"] is None and r.json()["scope"]["sectors"] == [
        "construction", "hospitality"]
    assert await _search(world, sector="agriculture") == []
    assert (await world.client.get(f"/api/v1/roster/{lrn}")).json()["entry"]["sectors"] == [
        "construction", "hospitality"]
    history = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()
    assert history[-1]["event"] == "refuse_scope_extension"
    assert history[-1]["data"]["outcome"]["refused"] == {"corridors": [],
                                                         "sectors": ["agriculture"]}
    # a new request may follow
    r = await cast.recruiter.fire(case_id, "request_scope_extension",
                                  data={"sectors": ["agriculture"]})
    assert r.status_code == 200, r.text


async def test_an_extension_is_only_for_an_accreditation_in_force(cast: Cast) -> None:
    case_id = await walk_to(cast, "decision")
    r = await cast.recruiter.fire(case_id, "request_scope_extension", data=EXTENSION)
    assert r.status_code == 409


async def test_a_scope_added_to_the_roster_behind_the_engine_is_caught(
        world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    lrn = await _lrn(cast, case_id)
    async with world.services.db.read() as session:
        assert len((await session.scalars(select(RosterSector).where(
            RosterSector.lrn == lrn))).all()) == 2  # type: ignore[arg-type]
        assert len((await session.scalars(select(RosterCorridor).where(
            RosterCorridor.lrn == lrn))).all()) == 1  # type: ignore[arg-type]
    await tamper(world, "INSERT INTO roster_corridor (lrn, origin, destination) "
                 "VALUES (:l, 'NP', 'SA')", l=lrn)
    result = await verify(world)
    assert result.exit_code == 1
    assert (f"entry {lrn}: the roster shows the scope NP>QA, NP>SA; construction, hospitality, "
            f"but event #") in result.stderr
    assert "makes it NP>QA; construction, hospitality" in result.stderr


async def test_the_openapi_documents_the_scope(world: World) -> None:
    schema = (await world.client.get("/schema/openapi.json")).json()
    search = schema["paths"]["/api/v1/roster"]["get"]
    params = {p["name"]: p for p in search["parameters"]}
    assert {"origin", "destination", "sector"} <= set(params)
    def options(name: str) -> list[dict[str, Any]]:
        schema = params[name]["schema"]
        return [schema, *schema.get("oneOf", [])]

    assert any(o.get("pattern") == "^[A-Za-z]{2}$" for o in options("origin"))
    assert any(o.get("pattern") == "^[A-Za-z]{2}$" for o in options("destination"))
    # the sectors the server takes, from the workflow file, and no others
    workflow = (await world.client.get("/api/v1/workflows/accreditation")).json()
    update_scope = next(t for t in workflow["transitions"] if t["event"] == "update_scope")
    sectors = update_scope["data_schema"]["properties"]["sectors"]["items"]["enum"]
    assert [o["enum"] for o in options("sector") if "enum" in o] == [sorted(sectors)]
    components = schema["components"]["schemas"]
    item = next(v for k, v in components.items() if k.endswith("RosterItem"))
    assert {"corridors", "sectors"} <= set(item["properties"])
    assert {"corridors", "sectors"} <= set(item.get("required", []))
    view = next(v for k, v in components.items() if k.endswith("ApplicationView"))
    assert {"scope", "scope_extension"} <= set(view["properties"])


async def test_a_grant_and_a_refusal_at_once_exactly_one_decides(world: World,
                                                                   cast: Cast) -> None:
    other = await world.staff("manager2@scheme.example", "scheme_manager", organisation="Scheme",
                              kind="scheme")
    case_id = await walk_to(cast, "accredited")
    lrn = await _lrn(cast, case_id)
    r = await cast.recruiter.fire(case_id, "request_scope_extension", data=EXTENSION)
    revision = r.json()["revision"]
    results = await asyncio.gather(
        cast.manager.fire(case_id, "extend_scope", revision=revision),
        other.fire(case_id, "refuse_scope_extension", revision=revision,
                   reason_code="scope_not_evidenced", note="No UAE licence"))
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    winner = next(r for r in results if r.status_code == 200).json()
    granted = "domestic_work" in winner["scope"]["sectors"]
    assert await _search(world, sector="domestic_work") == ([lrn] if granted else [])
    history = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()
    assert history[-1]["event"] == ("extend_scope" if granted else "refuse_scope_extension")
    assert history[-2]["event"] == "request_scope_extension"
    async with world.services.db.snapshot() as session:
        report = await verify_trail(session, world.services.catalog, world.services.domains)
    assert not report.findings
