"""The origin-country partners directory and the hooks that give and share a return case: a
case goes only to an active return officer, and is shared only with an active partner in the
country of return (a refusal names those that are); the end of a case is recorded for the
retention period and statistics. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner, Result

from iris_engine.cli import main
from tests.integration.conftest import PASSWORD, World, assert_problem
from tests.returns_support import PATH, fire_return, refer, return_cast, walk_return

PARTNERS = "/api/v1/return-partners"


async def test_admins_add_partners_and_return_staff_read_them_by_country(world: World) -> None:
    cast = await return_cast(world)
    admin = await world.staff("admin@returns.example", "admin", organisation="Scheme",
                              kind="scheme")
    r = await admin.post(PARTNERS, {"name": "Fundatia Casa Sperantei",
                                    "countries": ["RO", "MD", "RO"],
                                    "services": ["shelter", "legal"]})
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["countries"] == ["RO", "MD"] and added["services"] == ["shelter", "legal"]
    assert added["active"] is True

    r = await cast.officer.get(PARTNERS, params={"country": "RO"})
    assert r.status_code == 200, r.text
    assert [p["name"] for p in r.json()] == ["Asociatia Pro Refugiu", "Fundatia Casa Sperantei"]
    r = await cast.supervisor.get(PARTNERS)
    assert {p["name"] for p in r.json()} == {"Animus Association", "Asociatia Pro Refugiu",
                                             "Fundatia Casa Sperantei"}

    # the new partner's organisation takes users of role partner, and the case goes to it
    partner = await world.staff("casa@ro.example", "partner",
                                organisation="Fundatia Casa Sperantei", kind="partner")
    assert partner.organisation_id == added["organisation_id"]


async def test_the_directory_refuses_what_it_cannot_hold_and_whom_it_is_not_for(
        world: World) -> None:
    cast = await return_cast(world)
    admin = await world.staff("admin@returns.example", "admin", organisation="Scheme",
                              kind="scheme")
    r = await admin.post(PARTNERS, {"name": "Nowhere", "countries": ["QT"],
                                    "services": ["shelter", "spa"]})
    assert r.status_code == 422, r.text
    assert_problem(r)
    assert {e["pointer"] for e in r.json()["errors"]} == {"/countries/0", "/services/1"}
    r = await admin.get(PARTNERS, params={"country": "QT"})
    assert r.status_code == 422, r.text
    assert_problem(r)
    for actor in (cast.referrer, cast.partner):
        r = await actor.get(PARTNERS)
        assert r.status_code == 403, r.text
        assert_problem(r)
    for actor in (cast.officer, cast.supervisor, cast.partner):
        r = await actor.post(PARTNERS, {"name": "Mine", "countries": ["RO"],
                                        "services": ["shelter"]})
        assert r.status_code == 403, r.text
    r = await admin.get(PARTNERS)
    assert "Nowhere" not in {p["name"] for p in r.json()}


async def test_a_case_goes_only_to_an_active_return_officer(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    for user_id in (cast.supervisor.user_id, cast.referrer.user_id, cast.partner.user_id,
                    2147483647):
        r = await fire_return(cast.supervisor, case_id, "assign",
                              data={"return_officer_id": user_id})
        assert r.status_code == 422, r.text
        assert_problem(r)
        assert [e["pointer"] for e in r.json()["errors"]] == ["/data/return_officer_id"]
    r = await fire_return(cast.supervisor, case_id, "assign",
                          data={"return_officer_id": cast.officer.user_id})
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == cast.officer.user_id


async def test_a_case_is_shared_only_with_a_partner_in_the_country_of_return(
        world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "eligible")
    r = await fire_return(cast.officer, case_id, "record_consent",
                          data={"purpose": "share_with_partner", "text_version": "SP-1",
                                "language": "ro", "interpreter_used": False})
    assert r.status_code == 200, r.text
    r = await fire_return(cast.officer, case_id, "share_with_partner",
                          data={"partner_organisation_id": cast.partner_bg.organisation_id})
    assert r.status_code == 422, r.text
    assert_problem(r)
    assert "Asociatia Pro Refugiu" in r.json()["detail"]
    assert [e["pointer"] for e in r.json()["errors"]] == ["/data/partner_organisation_id"]
    r = await fire_return(cast.officer, case_id, "share_with_partner",
                          data={"partner_organisation_id": cast.partner_organisation_id})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "risk_assessment"
    assert r.json()["partner_organisation_id"] == cast.partner_organisation_id
    r = await cast.partner.get(f"{PATH}/{case_id}")
    assert r.status_code == 200, r.text


async def test_the_end_of_a_case_is_recorded(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "consented")
    r = await cast.officer.get(f"{PATH}/{case_id}")
    assert r.json()["ended_at"] is None
    r = await fire_return(cast.officer, case_id, "refuse_eligibility",
                          reason_code="not_a_survivor", note="Came for seasonal work.")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "not_eligible"
    assert r.json()["ended_at"] is not None


async def iris(world: World, *args: str) -> Result:
    """The command line against the world's database (in a thread: it runs its own loop)."""
    env = {"IRIS_DATABASE_URL": world.settings.database_url, "IRIS_PASSWORD_HASH_PROFILE": "test"}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def test_the_command_line_adds_partners_referrers_and_their_people(world: World) -> None:
    cast = await return_cast(world)
    r = await iris(world, "returns", "partners", "add", "--name", "Fundatia Casa Sperantei",
                   "--country", "RO", "--country", "MD", "--service", "shelter")
    assert r.exit_code == 0, r.output
    r = await iris(world, "returns", "partners", "add", "--name", "Nowhere", "--country", "QT",
                   "--service", "spa")
    assert r.exit_code == 1 and "/countries/0" in r.output and "/services/0" in r.output, r.output
    r = await iris(world, "returns", "partners", "list", "--country", "MD")
    assert r.exit_code == 0, r.output
    assert "Fundatia Casa Sperantei" in r.output and "Pro Refugiu" not in r.output
    r = await iris(world, "returns", "referrers", "add", "--name", "Leeds City Council",
                   "--country", "GB")
    assert r.exit_code == 0 and "referrer" in r.output, r.output
    r = await iris(world, "returns", "referrers", "add", "--name", "Nowhere", "--country", "QT")
    assert r.exit_code != 0, r.output
    for email, role, organisation, kind in (
            ("casa@ro.example", "partner", "Fundatia Casa Sperantei", "partner"),
            ("safeguarding@leeds.example", "referrer", "Leeds City Council", "referrer")):
        r = await iris(world, "users", "add", "--email", email, "--name", email, "--role", role,
                       "--organisation", organisation, "--kind", kind, "--password", PASSWORD)
        assert r.exit_code == 0, r.output
    r = await iris(world, "users", "add", "--email", "x@y.example", "--name", "X", "--role",
                   "referrer", "--organisation", "New", "--kind", "club", "--password", PASSWORD)
    assert r.exit_code == 1 and "referrer" in r.output and "partner" in r.output, r.output

    # the council refers; the new partner receives a case shared with it
    council = await world.login("safeguarding@leeds.example")
    r = await council.post(PATH, {"nationality": "RO", "language": "ro",
                                  "survivor": {"name": "Elena Marin"}})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    casa = await world.login("casa@ro.example")
    await walk_return(cast, case_id, "eligible")
    r = await fire_return(cast.officer, case_id, "record_consent",
                          data={"purpose": "share_with_partner", "text_version": "SP-1",
                                "language": "ro", "interpreter_used": False})
    assert r.status_code == 200, r.text
    r = await fire_return(cast.officer, case_id, "share_with_partner",
                          data={"partner_organisation_id": casa.organisation_id})
    assert r.status_code == 200, r.text
    assert [c["id"] for c in (await casa.get(PATH)).json()] == [case_id]
