"""Accounts as an attacker meets them (issue #10, items 6 and 11): tokens that outlive what the
account may do, other authorization schemes, registration that tells who has an account,
guessing passwords, common passwords, and rate limits that each instance counts alone."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import func, select, update
from sqlmodel import col

from iris_engine.app import create_app
from iris_engine.services import build_services
from iris_engine.store.models import Organisation, OutboxMessage, RateCount, User
from tests.integration.conftest import PASSWORD, Actor, Cast, World, assert_problem, statements

ME = "/api/v1/me"
LOGIN = "/api/v1/auth/token"
REGISTER = "/api/v1/recruiters"


def _unauthorized(r: Response) -> dict[str, Any]:
    assert r.status_code == 401, r.text
    assert_problem(r)
    assert r.headers["WWW-Authenticate"].startswith("Bearer "), r.headers
    body: dict[str, Any] = r.json()
    return body


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


async def _change(world: World, change: str, email: str, *args: Any) -> User:
    """What `iris users deactivate/reactivate/roles` do, in one transaction."""
    async with world.services.db.write() as session:
        people = world.services.people
        if change == "roles":
            return await people.set_roles(session, email, args[0])
        return await people.set_active(session, email, change == "reactivate")


# -- item 6: a token is worth what its account is worth now ---------------------------------
async def test_a_deactivated_accounts_token_stops_at_once(world: World, cast: Cast) -> None:
    assert (await cast.manager.get(ME)).status_code == 200
    # the flag alone is enough (the version is checked besides): as a direct UPDATE leaves it
    async with world.services.db.write() as session:
        await session.execute(update(User).where(col(User.email) == "manager@scheme.example")
                              .values(active=False))
    for path in (ME, "/api/v1/applications"):
        body = _unauthorized(await cast.manager.get(path))
        assert "log in again" in body["detail"]
    await _change(world, "deactivate", "manager@scheme.example")  # as `iris users deactivate`
    assert (await world.client.post(LOGIN, json={"email": "manager@scheme.example",
                                                 "password": PASSWORD})).status_code == 401
    await _change(world, "reactivate", "manager@scheme.example")
    _unauthorized(await cast.manager.get(ME))  # a token from before stays dead
    again = await world.login("manager@scheme.example")
    assert (await again.get(ME)).json()["roles"] == ["scheme_manager"]


async def test_changed_roles_end_the_tokens_that_carried_the_old_ones(world: World,
                                                                      cast: Cast) -> None:
    await _change(world, "roles", "auditor@audit.example", ["caseworker"])
    _unauthorized(await cast.auditor.get("/api/v1/applications"))
    renewed = await world.login("auditor@audit.example")
    me = (await renewed.get(ME)).json()
    assert me["roles"] == ["caseworker"]
    # an auditor no longer: the accreditation cases are out of reach
    assert (await renewed.get("/api/v1/applications")).status_code == 403


async def test_changing_ones_password_ends_every_older_token(world: World, cast: Cast) -> None:
    other_device = await world.login("manager@scheme.example")
    path = "/api/v1/me/password"
    r = await cast.manager.post(path, {"current_password": "not it at all",
                                       "new_password": "a brand new passphrase"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/current_password"
    r = await cast.manager.post(path, {"current_password": PASSWORD, "new_password": "qwertyuiop"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/new_password"
    assert (await cast.manager.get(ME)).status_code == 200  # refusals changed nothing

    r = await cast.manager.post(path, {"current_password": PASSWORD,
                                       "new_password": "a brand new passphrase"})
    assert r.status_code == 200, r.text
    for old in (cast.manager, other_device):
        _unauthorized(await old.get(ME))
    fresh = Actor(world.client, r.json()["access_token"], cast.manager.user_id, 0)
    assert (await fresh.get(ME)).status_code == 200
    assert (await world.client.post(LOGIN, json={"email": "manager@scheme.example",
                                                 "password": PASSWORD})).status_code == 401
    await world.login("manager@scheme.example", "a brand new passphrase")


async def test_the_token_names_the_account_and_nothing_else(cast: Cast) -> None:
    claims = _claims(cast.recruiter.token)
    assert set(claims) <= {"sub", "exp", "iat", "nbf", "jti", "iss", "aud", "extras"}, claims
    assert claims["sub"] == str(cast.recruiter.user_id)
    assert set(claims.get("extras", {})) == {"ver"}
    assert "@" not in json.dumps(claims)


@pytest.mark.parametrize("header", [
    "Token {t}", "Basic {t}", "{t}", "Bearer", "Bearer ", "JWT {t}", "Bearer {t} extra",
    "Bearer,{t}", "Bearer\t{t}",
])
async def test_only_the_bearer_scheme_is_accepted(world: World, cast: Cast, header: str) -> None:
    r = await world.client.get(ME, headers={"Authorization": header.format(t=cast.recruiter.token)})
    _unauthorized(r)


async def test_the_bearer_scheme_is_case_insensitive(world: World, cast: Cast) -> None:
    for scheme in ("bearer", "BEARER", "Bearer"):
        r = await world.client.get(ME, headers={"Authorization": f"{scheme} {cast.recruiter.token}"})
        assert r.status_code == 200, (scheme, r.text)


async def test_every_401_says_how_to_authenticate(world: World) -> None:
    for r in (await world.client.get(ME), await world.client.post(LOGIN, json={
            "email": "nobody@nowhere.example", "password": "wrong password"})):
        _unauthorized(r)




async def test_checking_the_account_costs_one_primary_key_read(world: World, cast: Cast) -> None:
    """/api/v1/me reads nothing itself: whatever runs is the account check."""
    with statements(world) as seen:
        assert (await cast.recruiter.get(ME)).status_code == 200
    queries = [s for s in seen if s != "BEGIN"]  # SQLite's BEGIN is an in-process call
    assert len(queries) == 1, seen
    assert queries[0].startswith("SELECT") and "FROM app_user WHERE app_user.id =" in queries[0]


# -- item 11: registration tells nothing ------------------------------------------------------
def _registration(email: str, password: str = "a fresh passphrase here",
                  name: str = "Newcomer Agency") -> dict[str, Any]:
    return {"organisation": {"name": name, "country": "NP"},
            "user": {"email": email, "name": "Someone", "password": password}}


async def _count(world: World, model: Any) -> int:
    async with world.services.db.read() as session:
        return int((await session.scalar(select(func.count()).select_from(model))) or 0)


async def test_registration_answers_alike_for_a_new_and_a_taken_address(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    hashes: list[str] = []
    hash_password = world.services.people.hash_password

    async def counted(password: str) -> str:
        hashes.append(password)
        return await hash_password(password)

    monkeypatch.setattr(world.services.people, "hash_password", counted)
    taken = "everest.fair.recruitment@agency.example"  # the cast's recruiter
    organisations = await _count(world, Organisation)
    answers = []
    for email in ("brand.new@agency.example", taken, taken.upper()):
        before = await _count(world, OutboxMessage)
        hashes.clear()
        r = await world.client.post(REGISTER, json=_registration(email))
        answers.append((r.status_code, r.json(), sorted(r.headers.keys())))
        # the same work on every path: one password hash, one e-mail
        assert len(hashes) == 1 and await _count(world, OutboxMessage) == before + 1
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 202

    # the owner of the taken address is told, and nothing of the account changed
    told = [m for m in await world.emails_to(taken) if m.topic == "account.exists"]
    assert len(told) == 2 and "already has an account" in told[0].payload["text"]
    assert "Newcomer Agency" not in json.dumps(told[0].payload)  # no text of the registrant's
    assert await _count(world, Organisation) == organisations + 1  # the newcomer's
    await world.login(taken)  # the old password still works
    r = await world.client.post(LOGIN, json={"email": taken, "password": "a fresh passphrase here"})
    assert r.status_code == 401


async def test_logging_in_before_confirming_tells_nothing(world: World) -> None:
    email = "pending@agency.example"
    assert (await world.client.post(REGISTER, json=_registration(email))).status_code == 202
    wrong = await world.client.post(LOGIN, json={"email": email, "password": "not the password"})
    pending = await world.client.post(LOGIN, json={"email": email,
                                                   "password": "a fresh passphrase here"})
    bodies = [_unauthorized(r) for r in (wrong, pending)]
    assert bodies[0] == bodies[1]

    token = await world.emailed_token(email)
    r = await world.client.post(f"{REGISTER}/confirm", json={"token": token})
    assert r.status_code == 200, r.text
    recruiter = await world.login(email, "a fresh passphrase here")
    assert (await recruiter.get(ME)).json()["roles"] == ["recruiter"]
    r = await world.client.post(f"{REGISTER}/confirm", json={"token": token})
    assert r.status_code == 404  # used once


async def test_an_unconfirmed_registration_lapses_and_may_be_made_again(world: World) -> None:
    email = "squatted@agency.example"
    await world.client.post(REGISTER, json=_registration(email, "the squatters passphrase"))
    first = await world.emailed_token(email)
    # within the confirmation period the address counts as taken: its owner hears of it
    await world.client.post(REGISTER, json=_registration(email, "the owners own passphrase"))
    assert [m.topic for m in await world.emails_to(email)] == ["account.confirm", "account.exists"]

    world.clock.advance(timedelta(seconds=world.settings.registration_confirm_seconds + 1))
    r = await world.client.post(f"{REGISTER}/confirm", json={"token": first})
    assert r.status_code == 404 and "register again" in r.json()["detail"]
    r = await world.client.post(REGISTER, json=_registration(email, "the owners own passphrase",
                                                             name="Owners Agency"))
    assert r.status_code == 202
    r = await world.client.post(f"{REGISTER}/confirm", json={"token": await world.emailed_token(email)})
    assert r.status_code == 200
    await world.login(email, "the owners own passphrase")
    async with world.services.db.read() as session:
        names = (await session.scalars(select(Organisation.name))).all()
    assert "Owners Agency" in names and "Newcomer Agency" not in names
    assert await _count(world, User) == 1


@pytest.mark.parametrize(("password", "why"), [
    ("qwertyuiop", "most common"), ("1q2w3e4r5t", "most common"), ("Password123", "most common"),
    ("aaaaaaaaaaaa", "too easy"), ("1234567890ab", "too easy"), ("short", "at least 10"),
    ("x" * 129, "at most 128"),
])
async def test_common_and_guessable_passwords_are_refused(world: World, password: str,
                                                          why: str) -> None:
    r = await world.client.post(REGISTER, json=_registration("careful@agency.example", password))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["pointer"] == "/user/password" and why in error["message"], error
    assert await _count(world, User) == 0 and await _count(world, OutboxMessage) == 0


async def test_a_password_built_on_the_account_is_refused(world: World) -> None:
    r = await world.client.post(REGISTER, json=_registration(
        "sunrise.manpower@agency.example", "sunrisemanpower", name="Sunrise Manpower"))
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/user/password"


# -- item 11: log-in backs off per account and per address, within bounds -----------------------
BACKOFF = {"login_max_failures": 3, "login_backoff_max_seconds": 8}


async def _login(client: AsyncClient, email: str, password: str) -> Response:
    return await client.post(LOGIN, json={"email": email, "password": password})


def _locked(r: Response) -> tuple[int, str]:
    assert r.status_code == 429, r.text
    assert_problem(r)
    wait = int(r.headers["Retry-After"])
    assert r.json()["extra"]["retry_after"] == wait
    return wait, r.json()["type"]


@pytest.mark.parametrize("settings_overrides", [BACKOFF], indirect=True)
async def test_failed_log_ins_back_off_per_account_up_to_a_bound(world: World, cast: Cast) -> None:
    c, email = world.client, "manager@scheme.example"
    waits = []
    for _ in range(2):  # free
        assert (await _login(c, email, "wrong guess")).status_code == 401
    assert (await _login(c, email, "wrong guess")).status_code == 401
    for _ in range(5):
        wait, _type = _locked(await _login(c, email, PASSWORD))  # even the right password waits
        waits.append(wait)
        world.clock.advance(timedelta(seconds=wait))
        assert (await _login(c, email, "wrong guess")).status_code == 401
    assert waits == [1, 2, 4, 8, 8], waits  # doubling, bounded
    # other accounts, from the same address, are not held up by this one
    assert (await _login(c, "auditor@audit.example", PASSWORD)).status_code == 200
    world.clock.advance(timedelta(seconds=8))
    assert (await _login(c, email, PASSWORD)).status_code == 200
    # success clears the count: one typo is a 401 again, not a wait
    assert (await _login(c, email, "wrong guess")).status_code == 401
    assert (await _login(c, email, "wrong guess")).status_code == 401


@pytest.mark.parametrize("settings_overrides", [BACKOFF], indirect=True)
async def test_the_back_off_does_not_tell_real_accounts_from_invented_ones(world: World,
                                                                           cast: Cast) -> None:
    seen = []
    for email in ("manager@scheme.example", "invented@scheme.example"):
        for _ in range(3):
            assert (await _login(world.client, email, "wrong guess")).status_code == 401
        seen.append(_locked(await _login(world.client, email, "wrong guess")))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("settings_overrides", [BACKOFF], indirect=True)
async def test_one_address_spraying_many_accounts_backs_off(world: World, cast: Cast) -> None:
    for n in range(4 * 3):  # four times the per-account allowance, one try per account
        assert (await _login(world.client, f"guess{n}@agency.example", "wrong")).status_code == 401
    _locked(await _login(world.client, "manager@scheme.example", PASSWORD))
    async with _client(world, host="203.0.113.7") as elsewhere:  # the real user, elsewhere
        assert (await _login(elsewhere, "manager@scheme.example", PASSWORD)).status_code == 200


# -- item 11: rate limits are shared by every instance --------------------------------------------
@asynccontextmanager
async def _client(world: World, *, host: str, settings: Any = None,
                  own_services: bool = False) -> AsyncIterator[AsyncClient]:
    """A client of another app instance over the same database: its own services (engines,
    pools, stores) when ``own_services``, as a second process would have."""
    settings = settings or world.settings
    services = build_services(settings, clock=world.clock) if own_services else world.services
    app = create_app(settings, services=services)
    transport = ASGITransport(app=app, client=(host, 40000))  # type: ignore[arg-type]
    try:
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await app.state.rate_limit.counters.close()
        if own_services:
            await services.db.dispose()


async def _two_instances_count_one_limit(world: World, host: str) -> list[int]:
    """Three log-in attempts through one instance and two through another, from one address;
    the limit is three a minute."""
    assert world.settings.public_rate_limit_per_minute == 3
    codes = []
    async with (_client(world, host=host, own_services=True) as first,
                _client(world, host=host, own_services=True) as second):
        for client in (first, first, second, first, second):
            r = await _login(client, f"{secrets.token_hex(4)}@agency.example", "wrong password")
            codes.append(r.status_code)
            if r.status_code == 429:
                assert_problem(r)
                assert int(r.headers["Retry-After"]) > 0
    return codes


@pytest.mark.parametrize("settings_overrides", [
    {"public_rate_limit_per_minute": 3, "rate_limit_store": "database"},
    {"public_rate_limit_per_minute": 3, "rate_limit_store": "memory"},
], indirect=True, ids=["database", "memory"])
async def test_instances_over_one_database_share_the_rate_limit(world: World) -> None:
    address = f"2001:db8::{secrets.token_hex(2)}"
    codes = await _two_instances_count_one_limit(world, address)
    if world.settings.rate_limit_store == "memory":  # each process counts alone
        assert codes == [401] * 5, codes
    else:
        assert codes == [401, 401, 401, 429, 429], codes
        async with world.services.db.read() as session:
            keys = list(await session.scalars(select(RateCount.key)))
        assert keys and not [k for k in keys if address in k]  # no client address in clear


def _redis_url() -> str:
    pytest.importorskip("redis", reason="the redis package is not installed")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_limits(database_url: str) -> dict[str, Any]:
    return {"public_rate_limit_per_minute": 3, "rate_limit_store": "redis",
            "redis_url": _redis_url()}


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Indirect parameters, or the Redis settings for the test that asks for them."""
    if "redis_limits" in request.fixturenames:
        return dict(request.getfixturevalue("redis_limits"))
    return dict(getattr(request, "param", {}))


async def test_instances_over_one_redis_share_the_rate_limit(redis_limits: dict[str, Any],
                                                             world: World) -> None:
    # a fresh address: other runs may share this Redis
    codes = await _two_instances_count_one_limit(world, f"2001:db8::{secrets.token_hex(4)}")
    assert codes == [401, 401, 401, 429, 429], codes


@pytest.mark.parametrize("settings_overrides", [
    {"public_rate_limit_per_minute": 3, "rate_limit_store": "database"}], indirect=True)
async def test_a_burst_through_two_instances_gets_the_limit_and_no_more(world: World) -> None:
    """Thirty log-ins at once from one address, through two instances with their own pools:
    exactly three get through (the limiter that read, changed and wrote back a list let
    several more through when requests overlapped: 18 of 200 against a limit of 10, measured)."""
    host = f"2001:db8::{secrets.token_hex(2)}"
    async with (_client(world, host=host, own_services=True) as first,
                _client(world, host=host, own_services=True) as second):
        answers = await asyncio.gather(*(
            _login(first if n % 2 else second, f"{n}@agency.example", "wrong password")
            for n in range(30)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [401] * 3 + [429] * 27, codes


async def test_failed_log_ins_count_across_instances(world: World, cast: Cast) -> None:
    """The back-off lives in the database: another instance sees the same count."""
    host = "198.51.100.23"
    async with (_client(world, host=host, own_services=True) as first,
                _client(world, host=host, own_services=True) as second):
        for n in range(world.settings.login_max_failures):
            client = first if n % 2 else second
            assert (await _login(client, "manager@scheme.example", "wrong")).status_code == 401
        _locked(await _login(first, "manager@scheme.example", PASSWORD))
        _locked(await _login(second, "manager@scheme.example", PASSWORD))
