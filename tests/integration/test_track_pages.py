"""The follow pages over HTTP: a worker signs in with the reference and access code (in a form,
never a URL), reads the stage, replies, withdraws after confirming, appeals; and what an
attacker tries: a guessed code (answered exactly as an unknown reference, and locked out with
the API's counter), a post from another site (no CSRF token), a cookie altered or kept past
its end, hostile input. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from babel.dates import format_date
from httpx import Response

from iris_engine.grievances.pages import track_session
from iris_engine.grievances.pages.track import STAGES
from iris_engine.grievances.pages.track_session import Holder
from tests.integration.conftest import (
    Filing,
    GrievanceCast,
    World,
    file_grievance,
    fire_grievance,
)

PUBLIC = "/api/v1/grievances"
GHOST = "GRV-00000-00000"
WRONG_CODE = "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ"
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _token(r: Response) -> str:
    found = _TOKEN.search(r.text)
    assert found, r.text
    return found.group(1)


async def _post_form(world: World, path: str, fields: dict[str, str], *,
                     from_page: str | None = None) -> Response:
    """Post a form the way the browser does: with the token of the page it was on."""
    page = await world.client.get(from_page or path)
    assert page.status_code == 200, page.text
    return await world.client.post(path, data={"_csrf_token": _token(page), **fields})


async def _sign_in(world: World, reference: str, code: str) -> Response:
    return await _post_form(world, "/track", {"reference": reference, "code": code})


def _track_cookie(r: Response) -> str:
    [header] = [h for h in r.headers.get_list("set-cookie")
                if h.startswith(f"{track_session.COOKIE}=")]
    return header


async def _as_complainant(world: World, filing: Filing) -> dict[str, Any]:
    r = await world.client.get(f"{PUBLIC}/{filing.reference}", headers=filing.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_worker_follows_replies_and_withdraws(world: World) -> None:
    filing = await file_grievance(world)
    form = await world.client.get("/track")
    assert form.status_code == 200 and 'name="reference"' in form.text
    assert form.headers["cache-control"] == "no-store"
    # typed as people type it: small letters, spaces for dashes
    r = await _sign_in(world, filing.reference.lower().replace("-", " "), filing.access_code)
    assert r.status_code == 303 and r.headers["location"] == "/track/case"
    cookie = _track_cookie(r)
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/track" in cookie
    assert "Max-Age=1200" in cookie and "Secure" not in cookie  # served over http here
    # the browser keeps neither the reference nor the code in clear
    assert filing.access_code not in cookie and filing.reference not in cookie

    page = await world.client.get("/track/case")
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert filing.reference in page.text
    assert STAGES["received"] in page.text
    assert "You made your complaint." in page.text
    due = (await _as_complainant(world, filing))["next_deadline"]
    assert due and format_date(datetime.fromisoformat(due.replace("Z", "+00:00")), format="long",
                               locale="en") in page.text

    r = await _post_form(world, "/track/case/reply",
                         {"message": "My employer still has my passport.\nPlease help."},
                         from_page="/track/case")
    assert r.status_code == 303 and r.headers["location"] == "/track/case?notice=sent"
    page = await world.client.get(r.headers["location"])
    assert "Your message was sent." in page.text and "My employer still has my passport." in page.text
    messages = (await _as_complainant(world, filing))["messages"]
    assert [(m["author"], m["body"]) for m in messages] == [
        ("complainant", "My employer still has my passport.\nPlease help.")]

    confirm = await world.client.get("/track/case/withdraw")
    assert confirm.status_code == 200 and "Withdraw your complaint?" in confirm.text
    assert confirm.headers["cache-control"] == "no-store"
    assert (await _as_complainant(world, filing))["state"] == "received"  # asking changes nothing
    revision = re.search(r'name="revision" value="(\d+)"', confirm.text)
    assert revision
    r = await world.client.post("/track/case/withdraw", data={
        "_csrf_token": _token(confirm), "revision": revision.group(1)})
    assert r.status_code == 303 and r.headers["location"] == "/track/case?notice=withdrawn"
    page = await world.client.get(r.headers["location"])
    assert STAGES["withdrawn"] in page.text
    assert 'href="/track/case/withdraw"' not in page.text  # nothing left to withdraw
    assert (await _as_complainant(world, filing))["state"] == "withdrawn"
    # once withdrawn, the confirmation page sends the worker back
    r = await world.client.get("/track/case/withdraw")
    assert r.status_code == 303 and r.headers["location"] == "/track/case?notice=changed"


async def test_a_stale_confirmation_does_not_withdraw(world: World) -> None:
    filing = await file_grievance(world)
    await _sign_in(world, filing.reference, filing.access_code)
    confirm = await world.client.get("/track/case/withdraw")
    for revision in ("99", "abc", "", "1" * 40):
        r = await world.client.post("/track/case/withdraw", data={
            "_csrf_token": _token(confirm), "revision": revision})
        assert r.headers["location"] == "/track/case?notice=changed", revision
    assert (await _as_complainant(world, filing))["state"] == "received"


async def test_sign_out_forgets_the_code(world: World) -> None:
    filing = await file_grievance(world)
    await _sign_in(world, filing.reference, filing.access_code)
    r = await _post_form(world, "/track/sign-out", {}, from_page="/track/case")
    assert r.status_code == 303 and r.headers["location"] == "/track?notice=signed_out"
    assert "Max-Age=0" in _track_cookie(r)
    assert "You have signed out." in (await world.client.get(r.headers["location"])).text
    r = await world.client.get("/track/case")
    assert r.status_code == 303 and r.headers["location"] == "/track?notice=ended"


def _without_tokens(r: Response, typed: str) -> str:
    return _TOKEN.sub("", r.text).replace(typed, "<typed>")


async def test_a_wrong_code_answers_as_an_unknown_reference_and_counts_as_the_api_does(
        world: World) -> None:
    filing = await file_grievance(world)
    signed_in = await _sign_in(world, filing.reference, filing.access_code)
    held = _track_cookie(signed_in).split(";")[0].split("=", 1)[1]
    world.client.cookies.clear()
    wrong = await _sign_in(world, filing.reference, WRONG_CODE)
    unknown = await _sign_in(world, GHOST, filing.access_code)
    assert wrong.status_code == unknown.status_code == 400
    assert _without_tokens(wrong, filing.reference) == _without_tokens(unknown, GHOST)
    assert "We found no complaint with this reference and access code." in wrong.text
    assert f'value="{filing.reference}"' in wrong.text  # what they typed is kept...
    assert filing.access_code not in unknown.text  # ...but never the code
    assert "set-cookie" not in wrong.headers or track_session.COOKIE not in wrong.headers["set-cookie"]

    # the same lock-out as the API: five failures for a reference, then it waits
    for _ in range(world.settings.access_code_max_failures - 1):
        assert (await _sign_in(world, filing.reference, WRONG_CODE)).status_code == 400
    locked = await _sign_in(world, filing.reference, filing.access_code)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert "Too many wrong tries" in locked.text
    api = await world.client.get(f"{PUBLIC}/{filing.reference}", headers=filing.headers)
    assert api.status_code == 429
    # a worker signed in before meets the same wait: the form, saying how long
    world.client.cookies.clear()
    r = await world.client.get("/track/case", headers={"Cookie": f"{track_session.COOKIE}={held}"})
    assert r.status_code == 429 and "Too many wrong tries" in r.text and "retry-after" in r.headers
    # the lock-out ends as the API's does
    world.clock.advance(seconds=world.settings.access_code_lockout_seconds + 1)
    assert (await _sign_in(world, filing.reference, filing.access_code)).status_code == 303


async def test_missing_and_hostile_input_is_answered_at_its_field(world: World) -> None:
    filing = await file_grievance(world)
    r = await _sign_in(world, "", "")
    assert r.status_code == 400
    assert "Enter your reference" in r.text and "Enter your access code" in r.text
    assert 'href="#reference"' in r.text and 'aria-invalid="true"' in r.text
    r = await _sign_in(world, "GRV\x00-1", filing.access_code)
    assert r.status_code == 400 and "cannot be kept" in r.text
    assert 'value="GRV-1"' in r.text and "\x00" not in r.text  # kept, less what cannot be
    r = await _sign_in(world, filing.reference, "A" * 100_000)
    assert r.status_code == 400 and "This is too long" in r.text
    r = await world.client.post("/track", data={"_csrf_token": _token(await world.client.get("/track")),
                                                "reference": [filing.reference, GHOST],
                                                "code": filing.access_code})
    assert r.status_code in (303, 400)  # one of the two is read, never a 500

    assert (await _sign_in(world, filing.reference, filing.access_code)).status_code == 303
    r = await _post_form(world, "/track/case/reply", {"message": "   "}, from_page="/track/case")
    assert r.status_code == 400 and "Write your message" in r.text and 'href="#message"' in r.text
    typed = "Still waiting. " * 2000  # 30 000 characters: over the form's bound
    r = await _post_form(world, "/track/case/reply", {"message": typed}, from_page="/track/case")
    assert r.status_code == 400 and "This is too long" in r.text
    assert typed in r.text  # what they wrote is not lost: they can shorten it
    assert r.headers["cache-control"] == "no-store"
    assert (await _as_complainant(world, filing))["messages"] == []
    r = await world.client.get("/track", params={"notice": "x" * 500})
    assert r.status_code == 400  # a bounded query parameter
    r = await world.client.get("/track", params={"reference": filing.reference})
    # a query parameter the page does not take is refused, as a page
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")


async def test_posts_without_the_csrf_token_are_refused(world: World) -> None:
    filing = await file_grievance(world)
    await world.client.get("/track")  # the CSRF cookie, without the form's token
    r = await world.client.post("/track", data={"reference": filing.reference,
                                                "code": filing.access_code})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert track_session.COOKIE not in r.headers.get("set-cookie", "")
    assert (await _sign_in(world, filing.reference, filing.access_code)).status_code == 303
    for path, fields in [("/track/case/reply", {"message": "forged"}),
                         ("/track/case/withdraw", {"revision": "1"}),
                         ("/track/sign-out", {})]:
        r = await world.client.post(path, data=fields)
        assert r.status_code == 403, path
    view = await _as_complainant(world, filing)
    assert view["state"] == "received" and view["messages"] == []


async def test_an_altered_or_expired_cookie_goes_back_to_the_form(world: World) -> None:
    filing = await file_grievance(world)
    r = await _sign_in(world, filing.reference, filing.access_code)
    value = _track_cookie(r).split(";")[0].split("=", 1)[1]
    middle = len(value) // 2
    flipped = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1:]
    for bad in (flipped, value[:-4], "garbage", "v1.nokey.AAAA", "v1." + "A" * 3000):
        world.client.cookies.clear()
        r = await world.client.get("/track/case", headers={"Cookie": f"{track_session.COOKIE}={bad}"})
        assert r.status_code == 303 and r.headers["location"] == "/track?notice=ended", bad
        assert "Max-Age=0" in _track_cookie(r)
    page = await world.client.get("/track?notice=ended")
    assert "you are signed out after 20 minutes" in page.text and 'name="code"' in page.text

    world.client.cookies.clear()
    await _sign_in(world, filing.reference, filing.access_code)
    assert (await world.client.get("/track/case")).status_code == 200
    world.clock.advance(minutes=19)  # each page seen starts the 20 minutes again
    assert (await world.client.get("/track/case")).status_code == 200
    world.clock.advance(minutes=21)  # the browser may keep it; the sealed end still counts
    r = await world.client.get("/track/case")
    assert r.status_code == 303 and r.headers["location"] == "/track?notice=ended"
    r = await _post_form(world, "/track/case/reply", {"message": "late"}, from_page="/track")
    assert r.status_code == 303 and r.headers["location"] == "/track?notice=ended"
    assert (await _as_complainant(world, filing))["messages"] == []


async def test_the_cookie_is_secure_where_the_site_is_https(world: World) -> None:
    services = SimpleNamespace(settings=SimpleNamespace(public_url="https://iris.example"),
                               clock=world.clock, vault=world.services.vault)
    cookie = track_session.sealed(services, Holder("GRV-AAAAA-BBBBB", "CODE"))  # type: ignore[arg-type]
    assert cookie.secure and cookie.httponly and cookie.samesite == "strict"
    assert track_session.held(services, cookie.value) == Holder("GRV-AAAAA-BBBBB", "CODE")  # type: ignore[arg-type]
    # a value the vault sealed for another place does not open here
    other = world.services.vault.seal({"reference": "GRV-AAAAA-BBBBB", "code": "CODE",
                                       "until": 2**40}, place="grievance:1:message")
    assert track_session.held(services, other) is None  # type: ignore[arg-type]


async def test_appeal_after_closure(world: World, gcast: GrievanceCast) -> None:
    filing = await file_grievance(world)
    for event, body in [("acknowledge", {}), ("triage", {"data": {"severity": "medium"}}),
                        ("signpost", {"reason_code": "other_mechanism",
                                      "note": "The labour court handles wages.",
                                      "data": {"signpost_to": "Labour court, Doha"}}),
                        ("close", {"reason_code": "other_mechanism"})]:
        r = await fire_grievance(gcast.caseworker, filing.case_id, event, **body)
        assert r.status_code == 200, (event, r.text)
    await _sign_in(world, filing.reference, filing.access_code)
    page = await world.client.get("/track/case")
    assert STAGES["closed"] in page.text
    assert "Where to go: Labour court, Doha" in page.text
    assert "The labour court handles wages." in page.text
    assert 'action="/track/case/appeal"' in page.text
    r = await _post_form(world, "/track/case/appeal", {"note": "", "revision": "0"},
                         from_page="/track/case")
    assert r.status_code == 400 and "Write why you disagree" in r.text
    revision = str((await _as_complainant(world, filing))["revision"])
    r = await _post_form(world, "/track/case/appeal",
                         {"note": "They still keep my passport.", "revision": revision},
                         from_page="/track/case")
    assert r.status_code == 303 and r.headers["location"] == "/track/case?notice=appealed"
    view = await _as_complainant(world, filing)
    assert (view["state"], view["tier"]) == ("appealed", 2)


async def test_nothing_of_the_reference_code_or_messages_is_logged(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    filing = await file_grievance(world)
    secret = "my secret words to the caseworker"
    with caplog.at_level(logging.INFO):  # what a server logs (a driver's DEBUG shows SQL)
        await _sign_in(world, GHOST, filing.access_code)
        r = await _sign_in(world, filing.reference, filing.access_code)
        locations = [r.headers["location"]]
        r = await _post_form(world, "/track/case/reply", {"message": secret}, from_page="/track/case")
        locations.append(r.headers["location"])
        r = await world.client.get("/track/case/withdraw")
        locations.append(r.request.url.path)
    for text in (filing.reference, filing.access_code, secret, GHOST):
        assert text not in caplog.text
        assert not any(text in location for location in locations)


async def test_pages_in_the_workers_language(world: World) -> None:
    filing = await file_grievance(world)
    world.client.headers["Accept-Language"] = "ne"
    await _sign_in(world, filing.reference, filing.access_code)
    page = await world.client.get("/track/case")
    assert page.headers["content-language"] == "ne"
    assert STAGES["received"] not in page.text  # translated
    from iris_engine.web.i18n import load

    assert load()["ne"].gettext(STAGES["received"]) in page.text
    r = await world.client.get("/track", headers={"Accept-Language": "ar"})
    assert 'dir="rtl"' in r.text


def test_every_stage_of_the_workflow_has_words() -> None:
    import yaml

    from tests.conftest import REPO

    states = yaml.safe_load((REPO / "workflows/grievance.yaml").read_text())["states"]
    assert set(states) == set(STAGES)
