"""The public site as a whole, over HTTP: headers, languages, errors as pages for browsers and
problem+json for programs, and no cookie for a reader."""

from __future__ import annotations

from tests.integration.conftest import World

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def test_a_browser_gets_a_page_for_an_unknown_address_and_a_program_json(world: World) -> None:
    page = await world.client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in page.text and "form-action 'self'" in page.headers[
        "content-security-policy"]
    api = await world.client.get("/api/v1/no-such-thing", headers=HTML)
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    plain = await world.client.get("/no-such-page")
    assert plain.headers["content-type"] == "application/problem+json"


async def test_the_language_comes_from_the_switcher_then_the_browser(world: World) -> None:
    r = await world.client.get("/", headers={**HTML, "Accept-Language": "fr, hi;q=0.7"})
    assert '<html lang="hi" dir="ltr">' in r.text and r.headers["content-language"] == "hi"
    assert "Accept-Language" in r.headers["vary"]
    chosen = await world.client.get("/language/ar", params={"next": "/help"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/help"
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith("lang=ar;") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    r = await world.client.get("/help", headers={**HTML, "Accept-Language": "hi",
                                                 "Cookie": "lang=ar"})
    assert '<html lang="ar" dir="rtl">' in r.text
    unknown = await world.client.get("/", headers={**HTML, "Cookie": "lang=xx"})
    assert '<html lang="en"' in unknown.text


async def test_reading_sets_no_cookie_and_nothing_is_cached(world: World) -> None:
    for path in ("/", "/help", "/help?country=NP", "/help?country=zz"):
        r = await world.client.get(path, headers=HTML)
        assert r.status_code == 200, path
        assert "set-cookie" not in r.headers and r.headers["cache-control"] == "no-store", path
        assert r.headers["x-frame-options"] == "DENY"
    css = await world.client.get("/static/site.css")
    assert css.status_code == 200 and "max-age=86400" in css.headers["cache-control"]
    assert (await world.client.get("/static/../app.py")).status_code == 404


async def test_hostile_query_input_gets_a_page_not_a_crash(world: World) -> None:
    for query in ({"country": "\x00"}, {"country": "Q" * 10_000}, {"nope": "1"}):
        r = await world.client.get("/help", params=query, headers=HTML)
        assert r.status_code in (400, 422), (query, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), query
