"""Return statistics without identities: real referrals (RO, CZ, BG) walked through real
transitions, with services, monitoring reports and journeys added as the plan, travel and
monitoring hooks leave them; small counts hidden, totals beside a hidden count withheld, the
range and country filters, who may ask, and nothing personal in the answer."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from iris_engine.errors import ConfigurationError
from iris_engine.returns.models import MonitoringReport, ReturnCase, ReturnService
from iris_engine.returns.statistics import smallest_count, suppressed, total
from tests.integration.conftest import World, assert_problem
from tests.returns_support import (
    ACCOUNT,
    SURVIVOR_EMAIL,
    SURVIVOR_NAME,
    SURVIVOR_PHONE,
    ReturnCast,
    fire_return,
    refer,
    return_cast,
    walk_return,
)

STATS = "/api/v1/returns/statistics"


async def _referrals(cast: ReturnCast) -> dict[str, list[int]]:
    """Six Romanians (one consented), five Czechs, one Bulgarian."""
    cases = {"RO": [await refer(cast) for _ in range(6)],
             "CZ": [await refer(cast, nationality="CZ", language="cs") for _ in range(5)],
             "BG": [await refer(cast, nationality="BG", language="bg")]}
    await walk_return(cast, cases["RO"][0], "consented")
    return cases


async def _services_and_reports(world: World, cases: dict[str, list[int]]) -> None:
    """A flight for each Romanian (delivered, under its plan), a shelter for one; a first
    monitoring report on five (stable, employed, good), a second one raising a concern; the
    Czechs departed 10, 12, 14, 16 and 18 days after their enquiry."""
    now = world.clock()
    async with world.services.db.write() as session:
        for case_id in cases["RO"][:5]:
            session.add(ReturnService(case_id=case_id, kind="flight", provider="Tarom",
                                      status="delivered", planned_cost_minor=20000,
                                      actual_cost_minor=18050, currency="GBP", planned_at=now,
                                      updated_at=now))
            session.add(MonitoringReport(case_id=case_id, due="first", filed_at=now,
                                         filed_by_role="partner", housing="stable",
                                         income="employed", wellbeing="good"))
        session.add(ReturnService(case_id=cases["RO"][5], kind="shelter", provider="Pro Refugiu",
                                  status="planned", planned_cost_minor=45000, currency="GBP",
                                  planned_at=now, updated_at=now))
        session.add(MonitoringReport(case_id=cases["RO"][0], due="second", filed_at=now,
                                     filed_by_role="partner", housing="temporary",
                                     income="none", wellbeing="poor", retrafficking_concern=True))
        details = (await session.scalars(select(ReturnCase).where(
            ReturnCase.case_id.in_(cases["CZ"])))).all()  # type: ignore[attr-defined]
        for days, detail in zip((10, 12, 14, 16, 18), details, strict=True):
            detail.departed_at = detail.enquiry_at + timedelta(days=days)
            session.add(detail)


async def test_counts_by_country_and_stage_hide_small_cells_and_the_totals_beside_them(
        world: World) -> None:
    cast = await return_cast(world)
    cases = await _referrals(cast)
    await _services_and_reports(world, cases)

    r = await cast.supervisor.get(STATS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["smallest_count"] == 5
    countries = {c["country"]: c for c in body["by_country"]}
    # Bulgaria's one return is not a number anyone can read; nor is Romania's one consent, so
    # Romania's total (which would give it back) and the total of all are withheld
    assert countries["BG"] == {"country": "BG", "returns": None, "by_stage": {"enquiry": "<5"}}
    assert countries["RO"] == {"country": "RO", "returns": None,
                               "by_stage": {"consented": "<5", "enquiry": 5}}
    assert countries["CZ"] == {"country": "CZ", "returns": 5, "by_stage": {"enquiry": 5}}
    assert body["returns"] is None

    services = {s["kind"]: s for s in body["services"]}
    assert services["flight"] == {"kind": "flight", "currency": "GBP", "cases": 5, "services": 5,
                                  "delivered": 5, "cancelled": 0, "planned_cost": "1000.00",
                                  "actual_cost": "902.50"}
    # one case's shelter: its cost would be that survivor's
    assert services["shelter"]["cases"] == "<5" and services["shelter"]["services"] == "<5"
    assert services["shelter"]["planned_cost"] is None
    assert services["shelter"]["actual_cost"] is None

    monitoring = {m["due"]: m for m in body["monitoring"]}
    assert monitoring["first"] == {"due": "first", "reports": 5, "housing": {"stable": 5},
                                   "income": {"employed": 5}, "wellbeing": {"good": 5},
                                   "retrafficking_concern": {"concern": 0, "no_concern": 5}}
    assert monitoring["second"]["reports"] is None
    assert monitoring["second"]["retrafficking_concern"] == {"concern": "<5", "no_concern": 0}
    assert body["enquiry_to_departure"] == {"departed": 5, "median_days": 14.0}
    assert body["endings"] == [] and body["escalations"] == {}

    # an officer reads the same; a country alone; a range that holds none of them
    assert (await cast.officer.get(STATS)).json() == body
    czech = (await cast.officer.get(STATS, params={"country": "CZ"})).json()
    assert [c["country"] for c in czech["by_country"]] == ["CZ"] and czech["returns"] == 5
    assert czech["services"] == [] and czech["monitoring"] == []
    today = world.clock().date()
    later = (await cast.officer.get(STATS, params={
        "from": (today + timedelta(days=1)).isoformat()})).json()
    assert later["returns"] == 0 and later["by_country"] == []
    assert later["enquiry_to_departure"] == {"departed": 0, "median_days": None}
    within = (await cast.officer.get(STATS, params={"from": today.isoformat(),
                                                     "to": today.isoformat()})).json()
    assert within["by_country"] == body["by_country"]


async def test_the_median_wait_needs_as_many_departures_as_the_threshold(world: World) -> None:
    cast = await return_cast(world)
    for _ in range(4):
        await refer(cast, nationality="CZ", language="cs")
    async with world.services.db.write() as session:
        for detail in (await session.scalars(select(ReturnCase))).all():
            detail.departed_at = detail.enquiry_at + timedelta(days=3)
            session.add(detail)
    body = (await cast.supervisor.get(STATS)).json()
    assert body["enquiry_to_departure"] == {"departed": "<5", "median_days": None}


async def test_nothing_in_the_answer_names_or_points_at_a_survivor(world: World) -> None:
    cast = await return_cast(world)
    cases = await _referrals(cast)
    await _services_and_reports(world, cases)
    text = (await cast.supervisor.get(STATS)).text
    for personal in (SURVIVOR_NAME, SURVIVOR_PHONE, SURVIVOR_EMAIL, ACCOUNT, "1994-05-17",
                     "Ana Popescu", "RR-", "reference", "case_id", "user"):
        assert personal.lower() not in text.lower(), personal
    # and every number in it is a count of at least the threshold, a hidden one or a cost
    def numbers(value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [n for v in value.values() for n in numbers(v)]
        if isinstance(value, list):
            return [n for v in value for n in numbers(v)]
        return [value] if isinstance(value, int) and not isinstance(value, bool) else []
    body = json.loads(text)
    body.pop("smallest_count")
    assert all(n == 0 or n >= 5 for n in numbers(body)), numbers(body)


#: who reads the statistics: those who run returns (partners and referrers follow their own
#: cases, the other roles have no part in returns); the rest 403, no login 401
READERS = ("return_officer", "return_supervisor")
#: every other role, with the organisation kind its account belongs to
OTHERS = {"recruiter": "recruiter", "auditor": "audit_body", "scheme_manager": "scheme",
          "caseworker": "scheme", "supervisor": "scheme", "authority": "authority",
          "admin": "scheme", "trainer": "scheme", "training_coordinator": "scheme"}


def statistics_rows() -> list[tuple[str, str, None, dict[str, int]]]:
    """The statistics' row for the role matrix's completeness check (test_role_matrix.py)."""
    table = {role: 200 if role in READERS else 403
             for role in (*READERS, "referrer", "partner", *OTHERS)}
    return [("GET", STATS, None, {**table, "anonymous": 401})]


async def test_every_role_against_the_statistics(world: World) -> None:
    cast = await return_cast(world)
    await refer(cast)
    actors = {"return_officer": cast.officer, "return_supervisor": cast.supervisor,
              "referrer": cast.referrer, "partner": cast.partner}
    for role, kind in OTHERS.items():
        actors[role] = await world.staff(f"{role}@elsewhere.example", role,
                                         organisation=f"{role} organisation", kind=kind)
    [(_method, path, _body, table)] = statistics_rows()
    for who, expected in table.items():
        r = await (world.client.get(path) if who == "anonymous" else actors[who].get(path))
        assert r.status_code == expected, (who, r.text)
        if expected != 200:
            assert_problem(r)


@pytest.mark.parametrize(("params", "pointer"), [
    ({"from": "2026-03-02", "to": "2026-03-01"}, "/query/to"),
    ({"from": "2026-02-30"}, "/query/from"),
    ({"country": "ro"}, None),
    ({"country": "ROU"}, None),
    ({"to": "yesterday"}, None),
])
async def test_a_bad_filter_is_refused_with_its_pointer(world: World, params: dict[str, str],
                                                         pointer: str | None) -> None:
    cast = await return_cast(world)
    r = await cast.supervisor.get(STATS, params=params)
    assert r.status_code in (400, 422), r.text
    assert_problem(r)
    if pointer:
        assert pointer in [e["pointer"] for e in r.json()["errors"]]


def test_small_counts_and_the_totals_beside_them() -> None:
    assert suppressed({"a": 0, "b": 1, "c": 4, "d": 5}, 5) == {"a": 0, "b": "<5", "c": "<5",
                                                                 "d": 5}
    assert total([5, 7, 0], 5) == 12 and total([5, 1], 5) is None and total([], 5) == 0
    assert suppressed({"a": 2}, 3) == {"a": "<3"} and suppressed({"a": 3}, 3) == {"a": 3}
    assert smallest_count({}) == 5 and smallest_count({"statistics_smallest_count": 10}) == 10
    for wrong in (1, 0, "5", True, 2.5):
        with pytest.raises(ConfigurationError):
            smallest_count({"statistics_smallest_count": wrong})


async def test_endings_and_escalations_are_counted_by_reason(world: World) -> None:
    """Five refused as not survivors, one withdrawn, one whose arrival nobody confirmed:
    through the real transitions and the timer that escalates."""
    cast = await return_cast(world)
    refused = [await refer(cast, nationality="CZ", language="cs") for _ in range(5)]
    for case_id in refused:
        await walk_return(cast, case_id, "consented")
        r = await fire_return(cast.officer, case_id, "refuse_eligibility",
                              reason_code="not_a_survivor", note="Signposted to employment advice")
        assert r.status_code == 200, r.text
    withdrawn = await refer(cast)
    await walk_return(cast, withdrawn, "consented")
    r = await fire_return(cast.officer, withdrawn, "withdraw", reason_code="survivor_withdrew",
                          note="She decided to stay")
    assert r.status_code == 200, r.text
    travelling = await refer(cast)
    await walk_return(cast, travelling, "departed")
    world.clock.advance(timedelta(days=2))  # past the scheduled arrival and its grace
    await world.tick()

    body = (await cast.supervisor.get(STATS)).json()
    endings = {e["ending"]: e for e in body["endings"]}
    assert endings["not_eligible"] == {"ending": "not_eligible", "cases": 5,
                                       "by_reason": {"not_a_survivor": 5}}
    assert endings["withdrawn"] == {"ending": "withdrawn", "cases": None,
                                    "by_reason": {"survivor_withdrew": "<5"}}
    assert "not_advised" not in endings
    assert body["escalations"] == {"arrival_unconfirmed": "<5"}
    assert body["enquiry_to_departure"]["departed"] == "<5"


@pytest.mark.parametrize("params", [{"to": "9999-12-31"},
                                    {"from": "1000-01-01", "to": "9999-12-31"}])
async def test_the_ends_of_the_calendar_are_a_range_like_any_other(
        world: World, params: dict[str, str]) -> None:
    """Found by probing a live server: the day after 9999-12-31 does not exist (it was a 500)."""
    cast = await return_cast(world)
    await refer(cast)
    r = await cast.supervisor.get(STATS, params=params)
    assert r.status_code == 200, r.text
