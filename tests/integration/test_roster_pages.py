"""The roster's public pages over HTTP: search (by name, certificate number, country, status;
paging), a recruiter's page, following it by e-mail and confirming or stopping that with the
e-mailed token; hostile input answered with a page, never a 500."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import pytest
from httpx import Response
from sqlalchemy import select

from iris_engine.roster.models import Subscription
from iris_engine.web.pages import roster as roster_pages
from tests.integration.conftest import Cast, World, newcomer, walk_to


@dataclass
class Listed:
    """Four recruiters on the roster: three accredited (one based in the Philippines), one
    suspended."""

    everest: str
    kathmandu: str  # suspended
    lumbini: str
    harbour: str  # based in PH


async def _lrn(cast: Cast, case_id: int) -> str:
    return str((await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"])


@pytest.fixture
async def listed(world: World, cast: Cast) -> Listed:
    everest = await walk_to(cast, "accredited")
    kathmandu = await walk_to(await newcomer(world, cast, 0), "accredited")
    lumbini = await walk_to(await newcomer(world, cast, 1), "accredited")
    harbour = await walk_to(Cast(await world.recruiter("Harbour Staffing", country="PH"),
                                 cast.manager, cast.auditor), "accredited")
    r = await cast.manager.fire(kathmandu, "suspend", reason_code="fees_charged_to_workers",
                                note="Workers paid fees")
    assert r.status_code == 200, r.text
    return Listed(await _lrn(cast, everest), await _lrn(cast, kathmandu),
                  await _lrn(cast, lumbini), await _lrn(cast, harbour))


ACCREDITED = '<span class="status accredited">Accredited: may recruit you now</span>'
SUSPENDED = ('<span class="status suspended">Suspended: do not pay or sign anything with this '
             'recruiter now</span>')


@pytest.fixture
async def everest(cast: Cast) -> tuple[int, str]:
    """One recruiter accredited: its case and certificate number."""
    case_id = await walk_to(cast, "accredited")
    return case_id, await _lrn(cast, case_id)


def _names(r: Response) -> list[str]:
    return [unescape(n) for n in re.findall(r'<h3><a href="/roster/[^"]+">([^<]+)</a></h3>', r.text)]


def _csrf(r: Response) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', r.text)
    assert found, "the page has no CSRF field"
    return found.group(1)


def _field_error(r: Response, field: str) -> str | None:
    found = re.search(rf'class="field-error" id="{field}-error">([^<]+)<', r.text)
    return unescape(found.group(1)) if found else None


def _html(r: Response, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")


async def test_search_by_name_number_country_and_status_a_page_at_a_time(
        world: World, listed: Listed, monkeypatch: pytest.MonkeyPatch) -> None:
    client = world.client
    r = await client.get("/roster")
    _html(r, 200)
    assert "set-cookie" not in r.headers  # a reader gets no cookie
    assert 'method="post"' not in r.text
    assert set(_names(r)) == {"Everest Fair Recruitment", "Kathmandu Placement",
                              "Lumbini Overseas", "Harbour Staffing"}
    assert _names(r) == sorted(_names(r), key=str.casefold)

    r = await client.get("/roster", params={"q": "HARBOUR"})
    assert _names(r) == ["Harbour Staffing"] and 'value="HARBOUR"' in r.text
    assert ACCREDITED in r.text and SUSPENDED not in r.text
    r = await client.get("/roster", params={"q": listed.lumbini.lower()})
    assert _names(r) == ["Lumbini Overseas"]  # a certificate number, in any case
    r = await client.get("/roster", params={"country": "PH"})
    assert _names(r) == ["Harbour Staffing"]
    assert '<option value="PH" selected>Philippines</option>' in r.text
    # the countries offered are those the roster's recruiters work in (and one chosen)
    assert set(re.findall(r'<option value="([A-Z]{2})"', r.text)) == {"NP", "PH", "QA"}
    r = await client.get("/roster", params={"country": "fr"})
    _html(r, 200)
    assert _names(r) == [] and '<option value="FR" selected>France</option>' in r.text
    r = await client.get("/roster", params={"status": "suspended"})
    assert _names(r) == ["Kathmandu Placement"]
    assert SUSPENDED in r.text and ACCREDITED not in r.text
    assert re.search(r'id="status-suspended" name="status" value="suspended" checked', r.text)
    r = await client.get("/roster", params=[("status", "suspended"), ("status", "accredited"),
                                            ("country", "QA"), ("q", "a")])
    assert set(_names(r)) == {"Kathmandu Placement", "Everest Fair Recruitment",
                              "Lumbini Overseas", "Harbour Staffing"}
    r = await client.get("/roster", params={"status": ["withdrawn", "expired"]})
    _html(r, 200)
    assert _names(r) == [] and "No recruiter on the list matches your search." in r.text
    assert 'href="/complain"' in r.text  # and what to do instead

    # in Arabic, right to left
    r = await client.get("/roster", params={"q": "everest"}, headers={"Accept-Language": "ar"})
    _html(r, 200)
    assert '<html lang="ar" dir="rtl">' in r.text and r.headers["content-language"] == "ar"
    assert _names(r) == ["Everest Fair Recruitment"]
    assert 'class="status accredited"' in r.text and ACCREDITED not in r.text  # translated
    english = await world.client.get("/roster", params={"q": "everest"})
    assert '<html lang="en" dir="ltr">' in english.text  # the cached Arabic page is not reused

    # a page at a time, following the "Next page" link
    monkeypatch.setattr(roster_pages, "PAGE_SIZE", 1)
    seen: list[str] = []
    path: str | None = "/roster?status=accredited&status=suspended"
    for _ in range(10):
        assert path is not None
        r = await client.get(unescape(path))
        _html(r, 200)
        seen += _names(r)
        found = re.search(r'href="(/roster\?[^"]*cursor=[^"]+)" rel="next"', r.text)
        path = found.group(1) if found else None
        if path is None:
            break
        assert "status=accredited" in unescape(path)  # the filters travel with the cursor
    assert sorted(seen) == sorted(["Everest Fair Recruitment", "Kathmandu Placement",
                                   "Lumbini Overseas", "Harbour Staffing"])
    # a cursor that names no entry (a stale or edited link) starts again from the first page
    r = await client.get("/roster", params={"cursor": "LRN99999999"})
    _html(r, 200)
    assert "no longer available" in r.text and len(_names(r)) == 1


@pytest.mark.parametrize("params", [
    {"q": "a" * 10_000},
    {"status": "banned"},
    {"status": ["accredited", "<script>"]},
    {"country": "ZZ"},
    {"country": "Nepal"},
    {"cursor": "X" * 5000},
    {"q": "\u202eevil", "country": "np"},
])
async def test_hostile_queries_get_a_page(world: World, params: dict[str, object]) -> None:
    r = await world.client.get("/roster", params=params)  # type: ignore[arg-type]
    assert r.status_code in (200, 400), r.status_code
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Check a recruiter</h1>" in r.text and "<script>" not in r.text
    if r.status_code == 400:
        assert 'class="error-summary"' in r.text


async def test_hostile_query_errors_are_shown_at_their_field(world: World) -> None:
    r = await world.client.get("/roster", params={"q": "a" * 10_000})
    _html(r, 400)
    assert _field_error(r, "q") == "This is too long. Type a few words of the name."
    assert '<a href="#q">' in r.text
    r = await world.client.get("/roster", params={"status": "banned"})
    assert _field_error(r, "status") == "Choose from the options shown"
    r = await world.client.get("/roster", params={"country": "ZZ"})
    assert _field_error(r, "country") == "Choose from the options shown"


@pytest.mark.parametrize("query", ["q=%00", "q=a&q=b", "page=2", "status=accredited%00"])
async def test_what_the_gate_refuses_is_a_page_too(world: World, query: str) -> None:
    r = await world.client.get(f"/roster?{query}")
    assert 400 <= r.status_code < 500, r.status_code
    assert r.headers["content-type"].startswith("text/html")
    assert "We could not read that" in r.text


async def test_a_recruiters_page(world: World, listed: Listed) -> None:
    r = await world.client.get(f"/roster/{listed.kathmandu}")
    _html(r, 200)
    text = unescape(r.text)
    assert "<h1>Kathmandu Placement</h1>" in text
    assert "Suspended: do not pay or sign anything with this recruiter now" in text
    assert "From Nepal to Qatar" in text
    assert "Construction" in text and "Hotels and restaurants" in text
    assert "Kathmandu Placement" in text and "Works in" in text and "Qatar" in text
    history = re.findall(r"<li><strong>[^<]+</strong>: ([^<]+)</li>", text)
    assert history == ["Suspended (before: Accredited)", "Added to the list: Accredited"]
    assert 'action="/roster/' + listed.kathmandu + '/follow"' in text
    assert "set-cookie" in r.headers  # the follow form's CSRF cookie
    # any case of the number finds it
    r = await world.client.get(f"/roster/{listed.kathmandu.lower()}")
    _html(r, 200)

    # following needs the form's token, and a recruiter on the list
    world.client.cookies.clear()
    r = await _follow(world, listed.everest, "worker@mail.example")  # no cookie, no token
    _html(r, 403)
    assert "That was refused" in r.text
    page = await world.client.get(f"/roster/{listed.everest}")
    r = await _follow(world, listed.everest, "worker@mail.example", token="0" * 64)
    _html(r, 403)
    r = await _follow(world, "LRN99999999", "worker@mail.example", _csrf(page))
    _html(r, 404)
    assert "No recruiter with this number" in r.text
    assert await _subscriptions(world) == []


@pytest.mark.parametrize("lrn", ["LRN99999999", "X" * 300, "%3Cscript%3E"])
async def test_an_unknown_number_is_a_404_page(world: World, lrn: str) -> None:
    r = await world.client.get(f"/roster/{lrn}")
    _html(r, 404)
    assert "No recruiter with this number" in r.text and "<script>" not in r.text


async def _follow(world: World, lrn: str, email: str, token: str | None = None) -> Response:
    data = {"email": email}
    if token is not None:
        data["_csrf_token"] = token
    return await world.client.post(f"/roster/{lrn}/follow", data=data)


async def _subscriptions(world: World) -> list[Subscription]:
    async with world.services.db.read() as session:
        return list((await session.scalars(select(Subscription))).all())


async def test_follow_confirm_and_stop(world: World, everest: tuple[int, str]) -> None:
    _case, lrn = everest
    page = await world.client.get(f"/roster/{lrn}")
    r = await _follow(world, lrn, "  worker@mail.example ", _csrf(page))
    assert r.status_code == 303 and r.headers["location"] == f"/roster/{lrn}/follow/sent"
    [sub] = await _subscriptions(world)
    assert (sub.status, sub.lrn, sub.target) == ("pending", lrn, "worker@mail.example")
    sent = await world.client.get(r.headers["location"])
    _html(sent, 200)
    assert "Check your e-mail" in sent.text and "Everest Fair Recruitment" in sent.text

    [mail] = [m for m in await world.emails_to("worker@mail.example")
              if m.topic == "subscription.confirm"]
    assert "/roster/subscriptions/confirm" in mail.payload["text"]
    token = re.findall(r"^ {4}(\S+)$", mail.payload["text"], flags=re.M)[0]

    form = await world.client.get("/roster/subscriptions/confirm")
    _html(form, 200)
    r = await world.client.post("/roster/subscriptions/confirm",
                                data={"token": "not-the-token", "_csrf_token": _csrf(form)})
    _html(r, 422)
    assert _field_error(r, "token") == "We do not know this code. Copy it again from the e-mail, all of it."
    assert "not-the-token" not in r.text  # a token is never shown back
    r = await world.client.post("/roster/subscriptions/confirm",
                                data={"token": f" {token} ", "_csrf_token": _csrf(form)})
    _html(r, 200)
    assert "You will get e-mails" in r.text and "Everest Fair Recruitment" in r.text
    assert token not in r.text
    [sub] = await _subscriptions(world)
    assert sub.status == "active"

    form = await world.client.get("/roster/subscriptions/cancel")
    r = await world.client.post("/roster/subscriptions/cancel",
                                data={"token": token, "_csrf_token": _csrf(form)})
    _html(r, 200)
    assert "E-mails stopped" in r.text
    [sub] = await _subscriptions(world)
    assert sub.status == "cancelled"
    r = await world.client.post("/roster/subscriptions/confirm",
                                data={"token": token, "_csrf_token": _csrf(form)})
    _html(r, 422)
    assert "follow the recruiter again" in (_field_error(r, "token") or "")


async def test_a_bad_address_is_shown_at_its_field(world: World,
                                                   everest: tuple[int, str]) -> None:
    _case, lrn = everest
    page = await world.client.get(f"/roster/{lrn}")
    for email, problem in [
            ("", "Enter your e-mail address"),
            ("not an address", "Enter an e-mail address like name@example.com"),
            ("a@b", "Enter an e-mail address like name@example.com"),
            ("<b>@mail.example", "Enter an e-mail address like name@example.com"),
            ("worker@mail.example\x00", "This contains characters that cannot be kept"),
            ("x" * 400 + "@mail.example", "This is too long"),
            ("x" * 30_000, "This is too long")]:
        r = await _follow(world, lrn, email, _csrf(page))
        _html(r, 422)
        assert _field_error(r, "email") == problem, email[:40]
        assert '<a href="#email">' in r.text and 'aria-invalid="true"' in r.text
        shown = re.search(r'id="email" name="email" value="([^"]*)"', r.text)
        assert shown and unescape(shown.group(1)) == email.replace("\x00", "")[:640]
        assert "<b>" not in r.text
    assert await _subscriptions(world) == []


@pytest.mark.parametrize("settings_overrides", [{"public_rate_limit_per_minute": 2}])
async def test_following_is_rate_limited_as_the_api(world: World) -> None:
    # (no recruiter is listed: the limit counts before the handler looks the number up)
    page = await world.client.get("/roster/subscriptions/confirm")
    token = _csrf(page)
    statuses = [(await _follow(world, "LRN00000001", f"w{i}@mail.example", token)).status_code
                for i in range(3)]
    assert statuses == [404, 404, 429]
    r = await _follow(world, "LRN00000001", "w9@mail.example", token)
    _html(r, 429)
    assert "Too many attempts" in r.text
    # reading is never limited
    for _ in range(5):
        assert (await world.client.get("/roster")).status_code == 200


async def test_the_page_changes_as_soon_as_the_roster_does(
        world: World, cast: Cast, everest: tuple[int, str]) -> None:
    case_id, lrn = everest
    before = await world.client.get("/roster", params={"q": "everest"})
    again = await world.client.get("/roster", params={"q": "everest"})
    assert before.content == again.content  # served from the rendered pages
    assert ACCREDITED in before.text and SUSPENDED not in before.text
    r = await cast.manager.fire(case_id, "suspend", reason_code="other", note="Fees charged")
    assert r.status_code == 200, r.text
    after = await world.client.get("/roster", params={"q": "everest"})
    assert SUSPENDED in after.text and ACCREDITED not in after.text
    entry = await world.client.get(f"/roster/{lrn}")
    assert "Suspended (before: Accredited)" in unescape(entry.text)


async def test_the_search_page_goes_gzipped_to_a_browser_and_as_it_is_to_others(
        world: World, listed: Listed) -> None:
    browser = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    first = await world.client.get("/roster", params={"q": "e"}, headers=browser)
    kept = await world.client.get("/roster", params={"q": "e"}, headers=browser)  # the kept page
    plain = await world.client.get("/roster", params={"q": "e"},
                                   headers={"Accept-Encoding": "identity"})
    for r in (first, kept):
        assert r.headers["content-encoding"] == "gzip"
        assert int(r.headers["content-length"]) < len(plain.content) // 2
    assert "content-encoding" not in plain.headers
    assert first.text == kept.text == plain.text and "Everest" in plain.text
    for r in (first, kept, plain):
        assert r.headers["vary"] == "Accept-Encoding"
        assert r.headers["content-type"].startswith("text/html")
        assert "set-cookie" not in r.headers  # nothing of the client's in a shared page
    # a search the page refuses is not kept, and is answered whatever the client takes
    refused = await world.client.get("/roster", params={"status": "banned"}, headers=browser)
    assert refused.status_code == 400 and "Choose from the options shown" in refused.text

