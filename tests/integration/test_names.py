"""Names that deceive: refused when they hide or reorder what is shown, flagged for the scheme
manager when they may pass for a recruiter on the roster, accepted in every script as written."""

from __future__ import annotations

import json
import unicodedata
import uuid
from typing import Any

import pytest
from httpx import Response

from tests.integration.conftest import (
    PASSWORD,
    Actor,
    Cast,
    GrievanceCast,
    World,
    assert_problem,
    grievance_filing,
    state_scope,
    valid_self_assessment,
    walk_to,
)

CYRILLIC_O = "\u043e"


async def _register(world: World, organisation: str, person: str = "Owner") -> Response:
    return await world.client.post("/api/v1/recruiters", json={
        "organisation": {"name": organisation, "country": "NP"},
        "user": {"email": f"owner-{uuid.uuid4().hex[:12]}@agency.example", "name": person,
                 "password": PASSWORD}})


def _refused_at(r: Response, pointer: str) -> str:
    assert r.status_code == 422, r.text
    assert_problem(r)
    errors = {e["pointer"]: e["message"] for e in r.json()["errors"]}
    assert pointer in errors, errors
    return errors[pointer]


HIDDEN = {
    "right-to-left override": "Lotus \u202eRewopnam",
    "left-to-right isolate": "\u2066Lotus Manpower\u2069",
    "right-to-left mark": "Lotus\u200f Manpower",
    "zero-width only": "\u200b\u200c\u200d\u2060\ufeff",
    "zero-width space inside": "Lo\u200btus Manpower",
    "joiner in a Latin word": "Lo\u200dtus Manpower",
    "soft hyphen": "Lo\u00adtus Manpower",
    "tag characters": "Lotus\U000e0041\U000e0042 Manpower",
    "control character": "Lotus\x07 Manpower",
    "NUL": "Lotus\x00Manpower",
    "line separator": "Lotus\u2028Manpower",
    "Hangul filler only": "\u3164\u3164",
    "spaces only": " \u00a0\u3000 ",
    "private use": "Lotus \ue000",
}


@pytest.mark.parametrize("name", list(HIDDEN.values()), ids=list(HIDDEN))
async def test_hidden_or_reordering_characters_are_refused(world: World, name: str) -> None:
    message = _refused_at(await _register(world, name), "/organisation/name")
    # a NUL is refused by the request gate before any rule reads the name
    assert any(words in message for words in ("no visible character", "remove U+", "NUL"))
    # the same rules hold for the person's name, and nothing was written
    _refused_at(await _register(world, "Lotus Manpower", person=name), "/user/name")
    assert (await world.client.get("/api/v1/roster")).json()["items"] == []


async def test_the_refusal_names_the_character(world: World) -> None:
    message = _refused_at(await _register(world, "Lotus \u202eRewopnam"), "/organisation/name")
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in message and "bidirectional" in message
    assert "no visible character" in _refused_at(await _register(world, "\u3000 "),
                                                  "/organisation/name")


WRITTEN_AS_IS = {
    "Nepali": "सगरमाथा मानव संसाधन प्रा. लि.",
    "Nepali, half form (ZWJ after virama)": "क्\u200dष मानव संसाधन",
    "Arabic": "شركة الأمل للتوظيف",
    "Persian (ZWNJ)": "کاریابی خانه\u200cهای ایران",  # noqa: RUF001
    "Chinese": "华联劳务派遣有限公司",
    "Japanese": "ヤマト人材サービス株式会社",
    "Latin with two scripts word by word": "Himalaya मानव संसाधन Pvt. Ltd.",
}


@pytest.mark.parametrize("name", list(WRITTEN_AS_IS.values()), ids=list(WRITTEN_AS_IS))
async def test_names_in_every_script_are_accepted(world: World, name: str) -> None:
    r = await _register(world, name, person=name)
    recruiter = await _login_registered(world, r)
    opened = (await recruiter.post("/api/v1/applications", {})).json()
    assert opened["organisation_name"] == name
    assert opened["name_resemblances"] == []


async def test_names_are_stored_in_nfc_with_spaces_collapsed(world: World) -> None:
    decomposed = unicodedata.normalize("NFD", "  Café   Recrutement\u00a0Überseeisch ")
    r = await _register(world, decomposed)
    recruiter = await _login_registered(world, r)
    opened = (await recruiter.post("/api/v1/applications", {})).json()
    assert opened["organisation_name"] == "Café Recrutement Überseeisch"
    assert unicodedata.is_normalized("NFC", opened["organisation_name"])


async def _login_registered(world: World, registered: Response) -> Actor:
    """The recruiter that made this registration, confirmed and logged in."""
    assert registered.status_code == 202, registered.text
    return await world.confirmed(json.loads(registered.request.content)["user"]["email"])


async def _apply(recruiter: Actor) -> int:
    r = await recruiter.post("/api/v1/applications", {"self_assessment": valid_self_assessment()})
    assert r.status_code == 201, r.text
    case_id: int = r.json()["id"]
    await state_scope(recruiter, case_id)
    assert (await recruiter.fire(case_id, "submit")).status_code == 200
    return case_id


async def _accredited(world: World, cast: Cast, name: str) -> str:
    recruiter = await _login_registered(world, await _register(world, name))
    case_id = await walk_to(Cast(recruiter, cast.manager, cast.auditor), "accredited")
    lrn: str = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"]
    return lrn


def _accept_blocker(transitions: list[dict[str, Any]]) -> list[dict[str, str]]:
    accept = next(t for t in transitions if t["event"] == "accept_application")
    return [b for b in accept["blocked_by"] if b["guard"] == "name_resemblance_explained"]


async def test_a_cyrillic_look_alike_is_flagged_not_refused(world: World, cast: Cast) -> None:
    lrn = await _accredited(world, cast, "Lotus Manpower Services")
    imitation = f"L{CYRILLIC_O}tus Manpower Services"
    registered = await _register(world, imitation)
    impostor = await _login_registered(world, registered)  # not refused: flagged
    case_id = await _apply(impostor)

    view = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    found = view["name_resemblances"]
    look_alikes = [f for f in found if f["kind"] == "look_alike"]
    # found when it registered and again when it submitted, naming the roster entry
    assert [f["found_on"] for f in look_alikes] == ["registration", "submit"]
    assert all(f["resembles_lrn"] == lrn and f["resembles_name"] == "Lotus Manpower Services"
               and lrn in f["detail"] for f in look_alikes)
    mixed = [f for f in found if f["kind"] == "mixed_script"]
    assert mixed and "Cyrillic and Latin" in mixed[0]["detail"]

    # the decision path shows it: accepting is listed as blocked until a note says why
    blockers = _accept_blocker((await cast.manager.get(
        f"/api/v1/applications/{case_id}/transitions")).json())
    assert len(blockers) == 1 and lrn in blockers[0]["message"]
    r = await cast.manager.fire(case_id, "accept_application")
    assert r.status_code == 422 and lrn in r.json()["detail"]
    assert_problem(r)
    r = await cast.manager.fire(case_id, "accept_application",
                                note="Checked the licence: a different company, same owners' family")
    assert r.status_code == 200, r.text

    # the submission's audit event records what was found
    history = (await cast.manager.get(f"/api/v1/applications/{case_id}/history")).json()
    submit = next(e for e in history if e["event"] == "submit")
    assert {f["lrn"] for f in submit["data"]["outcome"]["name_resemblances"]} == {lrn, None}


@pytest.mark.parametrize("name", ["LOTUS MANPOWER SERVICES", "L0tus Manpower Services",
                                  "Lotus  Manpower Services"])
async def test_case_and_digit_look_alikes_are_flagged(world: World, cast: Cast, name: str) -> None:
    lrn = await _accredited(world, cast, "Lotus Manpower Services")
    case_id = await _apply(await _login_registered(world, await _register(world, name)))
    found = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["name_resemblances"]
    assert {f["resembles_lrn"] for f in found} == {lrn}


async def test_a_name_that_only_shares_words_is_not_flagged(world: World, cast: Cast) -> None:
    await _accredited(world, cast, "Lotus Manpower Services")
    case_id = await _apply(await _login_registered(world, await _register(
        world, "Lotus Global Staffing")))
    view = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert view["name_resemblances"] == []
    assert _accept_blocker((await cast.manager.get(
        f"/api/v1/applications/{case_id}/transitions")).json()) == []
    assert (await cast.manager.fire(case_id, "accept_application")).status_code == 200


async def test_a_recruiter_is_not_its_own_look_alike(world: World, cast: Cast) -> None:
    first = await walk_to(cast, "accredited")  # Everest Fair Recruitment on the roster
    r = await cast.recruiter.fire(first, "withdraw_voluntarily", reason_code="voluntary")
    assert r.status_code == 200, r.text
    case_id = await _apply(cast.recruiter)  # its next application (one at a time)
    view = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()
    assert view["name_resemblances"] == []


async def test_mixed_scripts_are_flagged_without_a_roster_match(world: World, cast: Cast) -> None:
    name = "Sunr\u0456se Staffing"  # a Ukrainian i among Latin letters
    case_id = await _apply(await _login_registered(world, await _register(world, name)))
    found = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["name_resemblances"]
    assert {f["kind"] for f in found} == {"mixed_script"}
    assert (await cast.manager.fire(case_id, "accept_application")).status_code == 422


async def test_authority_and_grievance_names_follow_the_same_rules(world: World,
                                                                   gcast: GrievanceCast) -> None:
    r = await gcast.admin.post("/api/v1/authorities", {
        "name": "Labour \u202eytirohtuA", "countries": ["NP"], "remits": ["wages"]})
    _refused_at(r, "/name")
    r = await world.client.post("/api/v1/grievances", json=grievance_filing(
        recruiter={"name": "Himalaya\u200b Manpower"},
        contact={"name": "\u200d\u200d", "email": "sita@mail.example"}))
    _refused_at(r, "/recruiter/name")
    _refused_at(r, "/contact/name")
    r = await world.client.post("/api/v1/grievances", json=grievance_filing(
        recruiter={"name": unicodedata.normalize("NFD", "Himalaya Manpower Société")}))
    assert r.status_code == 201, r.text
