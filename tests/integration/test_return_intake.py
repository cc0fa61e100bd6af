"""Referral in (issue #13, items 2 and 4): a referring partner or a return officer opens an
enquiry with the minimum; a nationality returns are not arranged to today is refused with the
reason, and a country added to the workflow's settings is taken; hostile input is refused at
the edge and stores nothing; a referrer follows its own referrals only; eligibility is asked
again at the decision; the NRM status keeps its history and gates nothing. SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import func, select
from sqlmodel import col

from iris_engine.app import create_app
from iris_engine.returns.models import ReturnCase
from iris_engine.returns.sealing import sealed_place
from iris_engine.services import build_services
from iris_engine.store.models import Case, CaseEvent
from tests.conftest import REPO
from tests.integration.conftest import PASSWORD, Actor, World, assert_problem
from tests.integration.conftest import test_settings as settings_for
from tests.returns_support import (
    PATH,
    SURVIVOR_NAME,
    ReturnCast,
    consent,
    fire_return,
    refer,
    referral,
    return_cast,
    walk_return,
)

NRM_STATUSES = ("none", "referred", "positive_reasonable_grounds", "positive_conclusive_grounds",
                "withdrawn", "duty_to_notify_only")


@pytest.fixture
async def rc(world: World) -> ReturnCast:
    return await return_cast(world)


async def stored(world: World) -> tuple[int, int]:
    """How many return cases and return detail rows the database holds."""
    async with world.services.db.read() as session:
        cases = await session.scalar(select(func.count()).select_from(Case).where(
            col(Case.workflow) == "return"))
        details = await session.scalar(select(func.count()).select_from(ReturnCase))
    return int(cases or 0), int(details or 0)


def refused_at(r: Response, pointer: str, status: int = 422) -> str:
    """The problem's message at ``pointer`` (asserting the one error shape)."""
    assert r.status_code == status, r.text
    assert_problem(r)
    messages = [e["message"] for e in r.json().get("errors", []) if e["pointer"] == pointer]
    assert messages, (pointer, r.json())
    return str(messages[0])


def workflows_with(tmp: Path, **settings: Any) -> Path:
    """A copy of the released workflows with the return workflow's settings changed."""
    folder = tmp / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    path = folder / "return.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["settings"].update(settings)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder


# -- eligibility as data -------------------------------------------------------------------
async def test_an_ineligible_nationality_is_refused_naming_those_eligible(
        world: World, rc: ReturnCast) -> None:
    r = await rc.referrer.post(PATH, referral(nationality="SK", language="sk"))
    message = refused_at(r, "/nationality")
    for country in ("BG", "CZ", "HU", "RO"):
        assert country in message
    assert "SK" in message
    assert await stored(world) == (0, 0)

    # the country of return is checked as the nationality is
    r = await rc.officer.post(PATH, referral(return_country="GB"))
    assert "GB is not among them" in refused_at(r, "/return_country")
    assert await stored(world) == (0, 0)


class TestACountryAddedInSettings:
    """Slovakia added to ``eligible_nationalities``: a data change, nothing else."""

    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        return {"workflows_dir": workflows_with(
            tmp_path, eligible_nationalities=["BG", "CZ", "HU", "RO", "SK"])}

    async def test_is_accepted_and_confirmed_eligible(self, world: World) -> None:
        rc = await return_cast(world)
        case_id = await refer(rc, nationality="SK", language="sk")
        view = (await rc.officer.get(f"{PATH}/{case_id}")).json()
        assert (view["nationality"], view["return_country"], view["state"]) == (
            "SK", "SK", "enquiry")
        await walk_return(rc, case_id, "eligible")
        assert (await rc.officer.get(f"{PATH}/{case_id}")).json()["state"] == "eligible"


@asynccontextmanager
async def served_with(world: World, folder: Path) -> AsyncIterator[AsyncClient]:
    """The app over the world's database with other workflow files (a release with new
    settings)."""
    settings = settings_for(world.settings.database_url, anchor_dir=world.settings.anchor_dir,
                            workflows_dir=folder)
    services = build_services(settings, clock=world.clock)
    try:
        async with AsyncClient(transport=ASGITransport(app=create_app(settings, services=services)),
                               base_url="http://testserver") as client:
            yield client
    finally:
        await services.db.dispose()


async def login(client: AsyncClient, email: str) -> Actor:
    r = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    return Actor(client, body["access_token"], body["user_id"], body["organisation_id"])


async def test_confirm_eligibility_asks_the_list_again(
        world: World, rc: ReturnCast, tmp_path: Path) -> None:
    """Referred while Romania is eligible; by the decision a new release dropped it."""
    case_id = await refer(rc)
    r = await fire_return(rc.officer, case_id, "record_consent", data=consent())
    assert r.status_code == 200, r.text
    async with served_with(world, workflows_with(tmp_path, eligible_nationalities=["BG"])) as app:
        officer = await login(app, "officer@returns.example")
        r = await fire_return(officer, case_id, "confirm_eligibility")
        assert r.status_code == 422, r.text
        assert_problem(r)
        assert [g["guard"] for g in r.json()["extra"]["guards"]] == ["nationality_eligible"]
        assert "nationals of BG; RO is not among them" in refused_at(r, "/nationality")
    # served Romania again, the same case passes: the guard reads the list of the day
    r = await fire_return(rc.officer, case_id, "confirm_eligibility")
    assert r.status_code == 200 and r.json()["state"] == "eligible", r.text


# -- who referred follows it ---------------------------------------------------------------
async def test_a_referrer_follows_its_own_referrals_only(world: World, rc: ReturnCast) -> None:
    theirs = await refer(rc)
    view = (await rc.referrer.get(f"{PATH}/{theirs}")).json()
    assert view["referrer_organisation_id"] == rc.referrer.organisation_id
    assert view["reference"].startswith("RR-") and SURVIVOR_NAME not in str(view)

    r = await rc.officer.post(PATH, referral())
    assert r.status_code == 201, r.text
    own = r.json()
    assert (own["referrer_organisation_id"], own["state"]) == (None, "enquiry")

    other = await world.staff("worker@salvation.example", "referrer",
                              organisation="Salvation Army", kind="referrer")
    r = await other.post(PATH, referral(nationality="BG", language="bg"))
    assert r.status_code == 201, r.text
    others = r.json()["id"]

    listed = {c["id"] for c in (await rc.referrer.get(PATH)).json()}
    assert listed == {theirs}
    # refused either way (the returns' reads answer a case out of reach as one not there)
    for case_id in (others, own["id"]):
        r = await rc.referrer.get(f"{PATH}/{case_id}")
        assert r.status_code in (403, 404), r.text
        assert SURVIVOR_NAME not in r.text
    assert {c["id"] for c in (await other.get(PATH)).json()} == {others}
    assert {c["id"] for c in (await rc.supervisor.get(PATH)).json()} == {
        theirs, own["id"], others}


async def test_only_referrers_and_return_officers_refer(world: World, rc: ReturnCast) -> None:
    caseworker = await world.staff("case@scheme.example", "caseworker", organisation="Scheme")
    for actor in (rc.partner, rc.supervisor, caseworker):
        r = await actor.post(PATH, referral())
        assert r.status_code == 403, r.text
        assert_problem(r)
    r = await world.client.post(PATH, json=referral())
    assert r.status_code == 401, r.text
    assert await stored(world) == (0, 0)


# -- hostile input -------------------------------------------------------------------------
def _survivor(**fields: Any) -> dict[str, Any]:
    return {"survivor": {"name": SURVIVOR_NAME, **fields}}


HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("NUL in the name", _survivor(name="Mariana\x00"), "/survivor/name"),
    ("NUL in the account", {"account": "passport kept\x00"}, "/account"),
    ("NUL in a key", {"survivor": {"name": SURVIVOR_NAME, "no\x00te": "x"}},
     "/survivor/no\x00te"),
    ("a 100k account", {"account": "a" * 100_000}, "/account"),
    ("a 100k name", _survivor(name="M" * 100_000), "/survivor/name"),
    ("a 100k phone", _survivor(phone="1" * 100_000), "/survivor/phone"),
    ("a number for the nationality", {"nationality": 40}, "/nationality"),
    ("a string for in_danger", {"in_danger": "yes"}, "/in_danger"),
    ("a list for the survivor", {"survivor": [SURVIVOR_NAME]}, "/survivor"),
    ("an unknown field", {"passport_number": "051234567"}, "/passport_number"),
    ("an unknown survivor field", _survivor(address="Strada Lunga 3"), "/survivor/address"),
    ("nested JSON", {"account": {"a": {"b": {"c": ["d"]}}}}, "/account"),
    ("a lower-case country", {"nationality": "ro"}, "/nationality"),
    ("an unknown NRM status", {"nrm_status": "pending"}, "/nrm_status"),
    ("a name of blanks", _survivor(name="   "), "/survivor/name"),
    ("a name with a control character", _survivor(name="Mariana\u202eIonescu"), "/survivor/name"),
    ("a date of birth in year 1", _survivor(date_of_birth="0001-01-01"),
     "/survivor/date_of_birth"),
    ("a date of birth in 9999", _survivor(date_of_birth="9999-12-31"),
     "/survivor/date_of_birth"),
    ("not a date", _survivor(date_of_birth="17/05/1994"), "/survivor/date_of_birth"),
]


@pytest.mark.parametrize(("case", "change", "pointer"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_hostile_input_is_refused_and_stores_nothing(
        world: World, rc: ReturnCast, case: str, change: dict[str, Any], pointer: str) -> None:
    r = await rc.referrer.post(PATH, referral(**change))
    refused_at(r, pointer)
    assert await stored(world) == (0, 0)


async def test_a_body_nested_too_deep_or_not_json_is_refused(world: World, rc: ReturnCast) -> None:
    body = json.dumps(referral(account="@")).replace('"@"', "[" * 2000 + '"x"' + "]" * 2000)
    r = await world.client.post(PATH, content=body.encode(), headers={
        **rc.referrer.headers, "content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert_problem(r)
    r = await world.client.post(PATH, content=b"\xff\xfe{", headers={
        **rc.referrer.headers, "content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert_problem(r)
    assert await stored(world) == (0, 0)


async def test_a_future_date_of_birth_is_refused_today_and_tomorrow_taken_as_born(
        world: World, rc: ReturnCast) -> None:
    today = world.clock().date()
    r = await rc.referrer.post(PATH, referral(survivor={
        "name": SURVIVOR_NAME, "date_of_birth": (today + timedelta(days=1)).isoformat()}))
    assert "not in the future" in refused_at(r, "/survivor/date_of_birth")
    assert await stored(world) == (0, 0)
    case_id = await refer(rc, survivor={"name": SURVIVOR_NAME, "date_of_birth": "2008-02-29"},
                          age_group="child")
    assert (await rc.referrer.get(f"{PATH}/{case_id}")).json()["age_group"] == "child"


async def test_the_identity_and_account_are_sealed_in_the_row_and_the_event(
        world: World, rc: ReturnCast) -> None:
    case_id = await refer(rc)
    async with world.services.db.read() as session:
        row = await session.get(ReturnCase, case_id)
        events = list((await session.scalars(select(CaseEvent).where(
            col(CaseEvent.case_id) == case_id))).all())
    assert row is not None and row.identity_sealed and row.narrative_sealed
    for clear in (SURVIVOR_NAME, "Constanta", "+40 721"):
        assert clear not in row.identity_sealed + row.narrative_sealed
        assert all(clear not in str(e.data) for e in events)
    vault = world.services.vault
    identity = vault.open(row.identity_sealed, place=sealed_place(case_id, "identity"))
    assert (identity["name"], identity["date_of_birth"]) == (SURVIVOR_NAME, "1994-05-17")
    assert "Constanta" in vault.open(row.narrative_sealed, place=sealed_place(case_id, "narrative"))
    assert events[0].data["nationality"] == "RO" and events[0].data["nrm_status"] == "referred"


# -- the NRM status ------------------------------------------------------------------------
async def test_the_nrm_status_keeps_its_history(world: World, rc: ReturnCast) -> None:
    case_id = await refer(rc, nrm_status="none")
    steps = [(rc.referrer, {"status": "referred", "decided_on": "2026-09-01"}),
             (rc.officer, {"status": "positive_reasonable_grounds", "decided_on": "2026-09-07"}),
             (rc.referrer, {"status": "positive_conclusive_grounds"})]
    for actor, data in steps:
        r = await fire_return(actor, case_id, "record_nrm_status", data=data)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "enquiry"
    assert (await rc.officer.get(f"{PATH}/{case_id}")).json()["nrm_status"] == (
        "positive_conclusive_grounds")
    history = (await rc.supervisor.get(f"{PATH}/{case_id}/history")).json()
    recorded = [(e["actor_role"], e["data"]["status"], e["data"].get("decided_on"))
                for e in history if e["event"] == "record_nrm_status"]
    assert recorded == [("referrer", "referred", "2026-09-01"),
                        ("return_officer", "positive_reasonable_grounds", "2026-09-07"),
                        ("referrer", "positive_conclusive_grounds", None)]
    async with world.services.db.read() as session:
        row = await session.get(ReturnCase, case_id)
    assert row is not None and row.nrm_status_at is not None
    r = await fire_return(rc.partner, case_id, "record_nrm_status", expected_revision=4,
                          data={"status": "withdrawn"})
    assert r.status_code == 404, r.text  # not shared with it: as if there were no such case
    r = await fire_return(rc.officer, case_id, "record_nrm_status",
                          data={"status": "conclusive", "decided_on": "2026-09-01"})
    refused_at(r, "/data/status")
    tomorrow = (world.clock().date() + timedelta(days=1)).isoformat()
    for decided_on, words in (("2026-13-01", "date"), ("2026-02-30", "date"),
                              ("20260901", "date"), ("0001-01-01", "check the year"),
                              (tomorrow, "not in the future"), ("9999-12-31", "not in the future")):
        r = await fire_return(rc.officer, case_id, "record_nrm_status",
                              data={"status": "withdrawn", "decided_on": decided_on})
        message = refused_at(r, "/data/decided_on")
        assert words in f"{r.json()['detail']} {message}", (decided_on, r.json())
    r = await fire_return(rc.officer, case_id, "record_nrm_status",
                          data={"status": "withdrawn", "decided_on": "2026-09-01" * 1000})
    refused_at(r, "/data/decided_on")
    assert (await rc.officer.get(f"{PATH}/{case_id}")).json()["nrm_status"] == (
        "positive_conclusive_grounds")


@pytest.mark.parametrize("status", NRM_STATUSES)
async def test_no_nrm_status_is_a_gate(world: World, rc: ReturnCast, status: str) -> None:
    """Survivors outside the NRM, or whose referral was withdrawn, are eligible too."""
    case_id = await refer(rc, nrm_status=status)
    await walk_return(rc, case_id, "eligible")
    view = (await rc.officer.get(f"{PATH}/{case_id}")).json()
    assert (view["state"], view["nrm_status"]) == ("eligible", status)
