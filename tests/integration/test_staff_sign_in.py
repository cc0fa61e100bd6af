"""Signing in to the staff workspace over HTTP: the same accounts and refusals as the API's
log-in, the session cookie's flags, signing out, a cookie that is altered, expired or
revoked, a ``next`` that would leave the site, CSRF on every form, and an API that never takes
the cookie. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from httpx import AsyncClient

from iris_engine.clock import utcnow
from iris_engine.web.i18n import LANGUAGES, languages_of, missing_translations, update_catalogs
from tests.integration.conftest import PASSWORD, World
from tests.integration.staff_support import csrf_token, session_cookie, sign_in

MANAGER = "manager@scheme.example"
REFUSAL = "This e-mail address and password do not match an account that may sign in."


async def _manager(world: World) -> int:
    return (await world.staff(MANAGER, "scheme_manager", organisation="Scheme",
                              kind="scheme")).user_id


async def test_a_wrong_password_is_refused_at_its_field_and_sets_no_session(world: World) -> None:
    await _manager(world)
    wrong = await sign_in(world, MANAGER, "not the password at all")
    unknown = await sign_in(world, "nobody@scheme.example", "not the password at all")
    for r in (wrong, unknown):  # the same words whether or not the account exists
        assert r.status_code == 400 and REFUSAL in r.text
        assert 'aria-invalid="true"' in r.text
        assert not [h for h in r.headers.get_list("set-cookie") if h.startswith("iris_staff=")]
    assert 'value="manager@scheme.example"' in wrong.text  # kept, the password never
    empty = await sign_in(world, "", "")
    assert empty.status_code == 400 and "Enter your e-mail address" in empty.text


async def test_the_session_cookie_and_signing_out(world: World) -> None:
    await _manager(world)
    r = await world.client.get("/staff")
    assert r.status_code == 303 and r.headers["location"] == "/staff/sign-in?next=/staff"
    r = await sign_in(world, MANAGER, next_="/staff/accreditation?state=submitted")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/staff/accreditation?state=submitted"
    cookie = session_cookie(r)
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert set(flags) == {"path", "max-age", "httponly", "samesite"}, cookie  # no Secure on http
    assert flags["path"] == "Path=/staff" and flags["samesite"].lower() == "samesite=strict"
    assert flags["max-age"] == f"Max-Age={world.settings.token_ttl_seconds}"
    page = await world.client.get("/staff")
    assert page.status_code == 200 and "My work" in page.text and MANAGER in page.text
    assert page.headers["cache-control"] == "no-store"
    out = await world.client.post("/staff/sign-out", data={"_csrf_token": csrf_token(page)})
    assert out.status_code == 303 and out.headers["location"] == "/staff/sign-in?notice=signed_out"
    assert "Max-Age=0" in session_cookie(out)
    assert (await world.client.get("/staff")).status_code == 303


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://iris.example"}])
async def test_the_cookie_is_secure_when_the_site_is_served_over_tls(world: World) -> None:
    await _manager(world)
    # a browser sends the (Secure) CSRF cookie back only over https
    async with AsyncClient(transport=world.client._transport, base_url="https://testserver") as tls:
        form = await tls.get("/staff/sign-in")
        r = await tls.post("/staff/sign-in", data={"_csrf_token": csrf_token(form),
                                                   "email": MANAGER, "password": PASSWORD})
    assert r.status_code == 303 and "; Secure" in session_cookie(r)


async def test_a_bad_expired_or_revoked_cookie_sends_to_sign_in(world: World) -> None:
    user_id = await _manager(world)
    secret = world.settings.signing_key()
    now = utcnow()

    def token(**claims: Any) -> str:
        body = {"sub": str(user_id), "iat": now - timedelta(hours=2),
                "exp": now + timedelta(hours=1), "ver": 0, **claims}
        return jwt.encode(body, secret, algorithm="HS256")

    stale_version = token(ver=99)
    expired = token(exp=now - timedelta(minutes=1))
    forged = jwt.encode({"sub": str(user_id), "exp": now + timedelta(hours=1), "ver": 0},
                        "another-secret-of-at-least-32-bytes!!", algorithm="HS256")
    for value in ("garbage", "a.b.c", expired, forged, stale_version, "x" * 5000):
        world.client.cookies.clear()
        world.client.cookies.set("iris_staff", value)
        r = await world.client.get("/staff/accreditation")
        assert r.status_code == 303, value
        assert r.headers["location"] == "/staff/sign-in?next=/staff/accreditation"
        assert "Max-Age=0" in session_cookie(r)  # and the browser forgets it


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff", "/\\evil.example",
                                    "/roster", "javascript:alert(1)", "/staff/../roster",
                                    "/staff/%2e%2e/roster", "/staffing"])
async def test_next_never_sends_elsewhere(world: World, target: str) -> None:
    await _manager(world)
    r = await sign_in(world, MANAGER, next_=target)
    assert r.status_code == 303
    assert r.headers["location"] == "/staff"


async def test_forms_without_a_csrf_token_are_refused(world: World) -> None:
    await _manager(world)
    r = await world.client.post("/staff/sign-in", data={"email": MANAGER,
                                                        "password": "correct horse battery"})
    assert r.status_code == 403 and not r.headers.get_list("set-cookie")
    r = await sign_in(world, MANAGER)
    assert r.status_code == 303
    r = await world.client.post("/staff/sign-out")
    assert r.status_code == 403
    assert (await world.client.get("/staff")).status_code == 200  # still signed in


async def test_the_api_never_takes_the_session_cookie(world: World) -> None:
    await _manager(world)
    r = await sign_in(world, MANAGER)
    value = session_cookie(r).split(";")[0].split("=", 1)[1]
    world.client.cookies.clear()
    world.client.cookies.set("iris_staff", value)  # as if sent everywhere, not only to /staff
    for path in ("/api/v1/applications", "/api/v1/grievance-cases", "/api/v1/me"):
        r = await world.client.get(path)
        assert r.status_code == 401, (path, r.text)
    # the same token as a bearer token is the API's: it works there
    r = await world.client.get("/api/v1/applications", headers={"Authorization": f"Bearer {value}"})
    assert r.status_code == 200


async def test_the_staff_area_is_english_only_for_now(world: World) -> None:
    assert languages_of("staff") == ("en",)
    assert set(languages_of("roster")) == set(LANGUAGES)
    assert not [p for p in missing_translations() if "/staff:" in p]
    assert update_catalogs(only=["staff"]) == []  # no catalog asked of another language
    await _manager(world)
    r = await world.client.get("/staff/sign-in", headers={"Accept-Language": "ar"})
    assert '<html lang="en" dir="ltr">' in r.text and r.headers["content-language"] == "en"


@pytest.mark.parametrize("settings_overrides", [{"login_max_failures": 1}])
async def test_the_log_in_back_off_applies(world: World) -> None:
    await _manager(world)
    r = await sign_in(world, MANAGER, "not the password at all")  # the one free failure
    assert r.status_code == 400
    r = await sign_in(world, MANAGER)  # even the right password waits now
    assert r.status_code == 429 and "Too many wrong tries" in r.text
    assert int(r.headers["retry-after"]) >= 1
    assert not [h for h in r.headers.get_list("set-cookie") if h.startswith("iris_staff=")]


#: the staff pages for whoever has no session: signing in and out, registering a recruiter
_WITHOUT_ACCOUNT = ("/staff/sign-", "/staff/register", "/staff/registered", "/staff/confirm")


async def test_every_staff_page_and_form_needs_a_sign_in(world: World) -> None:
    """The role matrix's first row for pages: every route under /staff but signing in and out
    and a recruiter's registration (for those who have no account yet), asked with no session,
    sends to the sign-in page, with a CSRF token or without; none answers a page or acts. (A
    signed-in account sees only its cases: test_staff_cases, the role matrix.)"""
    app = world.client._transport.app  # type: ignore[attr-defined]
    token = csrf_token(await world.client.get("/staff/sign-in"))  # a CSRF cookie and its token
    asked = []
    for route in app.routes:
        if not route.path.startswith("/staff") or route.path.startswith(_WITHOUT_ACCOUNT):
            continue
        path = (route.path.replace("{workflow:str}", "accreditation")
                .replace("{case_id:int}", "1").replace("{principle_id:str}", "A"))
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            body = {"_csrf_token": token, "event": "defer", "expected_revision": "0"}
            r = await world.client.request(method, path, data=body if method == "POST" else None)
            assert r.status_code == 303, (method, path, r.status_code)
            assert r.headers["location"].startswith("/staff/sign-in"), (method, path)
            asked.append((method, route.path))
    assert ("GET", "/staff") in asked and ("POST", "/staff/{workflow:str}/{case_id:int}") in asked
    assert ("POST", "/staff/{workflow:str}/new") in asked
    assert ("POST", "/staff/{workflow:str}/{case_id:int}/self-assessment/{principle_id:str}") \
        in asked
