"""A recruiter registers from the workspace and confirms its address from the e-mail's link:
the form's problems at their fields (nothing typed lost but the password), the same e-mail as
the API's registration with a link to a page whose button confirms (opening the link alone
confirms nothing), a used token refused, then signing in. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.integration.conftest import PASSWORD, World
from tests.integration.staff_support import csrf_token, sign_in

EMAIL = "owner@dhaka-manpower.example"


async def test_register_confirm_and_sign_in(world: World) -> None:
    form = await world.client.get("/staff/sign-in")
    assert 'href="/staff/register"' in form.text
    page = await world.client.get("/staff/register")
    assert page.status_code == 200 and '<option value="BD">Bangladesh</option>' in page.text
    fields = {"_csrf_token": csrf_token(page), "organisation_name": "Dhaka Manpower Ltd",
              "country": "BD", "name": "Rahima Akter", "email": EMAIL, "password": PASSWORD}
    r = await world.client.post("/staff/register", data={**fields, "organisation_name": "",
                                                          "password": ""})
    assert r.status_code == 400
    assert 'id="organisation_name-error">Enter your organisation' in r.text
    assert 'id="password-error">Choose a password' in r.text
    assert 'value="Rahima Akter"' in r.text and PASSWORD not in r.text
    r = await world.client.post("/staff/register", data={**fields, "password": "password123"})
    assert r.status_code == 422 and 'id="password-error">' in r.text
    r = await world.client.post("/staff/register", data=fields)
    assert r.status_code == 303 and r.headers["location"] == "/staff/registered"
    assert "Check your e-mail" in (await world.client.get("/staff/registered")).text

    [mail] = [m for m in await world.emails_to(EMAIL) if m.topic == "account.confirm"]
    link = re.search(r"^\S+(/staff/confirm\?token=\S+)$", mail.payload["text"], re.M)
    assert link, mail.payload["text"]
    assert link.group(1).endswith(await world.emailed_token(EMAIL))
    # opening the link shows a button; it confirms nothing by itself
    page = await world.client.get(link.group(1))
    assert page.status_code == 200 and "Confirm my address" in page.text
    assert (await sign_in(world, EMAIL)).status_code == 400
    page = await world.client.get(link.group(1))
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    r = await world.client.post("/staff/confirm", data={"_csrf_token": csrf_token(page),
                                                        "token": token.group(1)})
    assert r.status_code == 303 and r.headers["location"] == "/staff/sign-in?notice=confirmed"
    assert "Your e-mail address is confirmed" in (await world.client.get(r.headers["location"])).text
    # a token works once
    page = await world.client.get(link.group(1))
    r = await world.client.post("/staff/confirm", data={"_csrf_token": csrf_token(page),
                                                        "token": token.group(1)})
    assert r.status_code == 400 and 'id="token-error">This link or token is not valid' in r.text
    r = await sign_in(world, EMAIL)
    assert r.status_code == 303 and r.headers["location"] == "/staff"
    work = await world.client.get("/staff")
    assert "Start an application for accreditation" in work.text


async def test_a_taken_address_is_answered_alike(world: World) -> None:
    await world.recruiter("Sylhet Overseas")
    page = await world.client.get("/staff/register")
    r = await world.client.post("/staff/register", data={
        "_csrf_token": csrf_token(page), "organisation_name": "Another Name Ltd", "country": "BD",
        "name": "Someone Else", "email": "sylhet.overseas@agency.example", "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/staff/registered"
