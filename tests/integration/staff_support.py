"""Driving the staff workspace as a browser does: a form's CSRF token from the page it is on,
the session cookie the client keeps (one account at a time per client)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from httpx import Response

from tests.integration.conftest import PASSWORD, World

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(r: Response) -> str:
    found = _TOKEN.search(r.text)
    assert found, r.text
    return found.group(1)


async def sign_in(world: World, email: str, password: str = PASSWORD,
                  next_: str | None = None) -> Response:
    """Post the sign-in form (after forgetting any other account's session)."""
    world.client.cookies.clear()
    form = await world.client.get("/staff/sign-in", params={"next": next_} if next_ else None)
    assert form.status_code == 200, form.text
    return await world.client.post("/staff/sign-in", data={
        "_csrf_token": csrf_token(form), "email": email, "password": password,
        **({"next": next_} if next_ else {})})


async def signed_in(world: World, email: str) -> None:
    r = await sign_in(world, email)
    assert r.status_code == 303 and r.headers["location"] == "/staff", r.text


async def post_form(world: World, path: str, fields: dict[str, str | list[str]]) -> Response:
    """Post a form of the page at ``path`` with the token of that page."""
    page = await world.client.get(path)
    assert page.status_code == 200, page.text
    return await world.client.post(path, data={"_csrf_token": csrf_token(page), **fields})


def session_cookie(r: Response) -> str:
    [header] = [h for h in r.headers.get_list("set-cookie") if h.startswith("iris_staff=")]
    return header


class _FormFields(HTMLParser):
    """What a browser would post for the forms of a page: text-like inputs, checked boxes and
    radios, each select's selected option, each textarea's text (buttons are not sent)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def form_fields(html: str) -> dict[str, list[str]]:
    """The fields a browser would post from ``html``, by name (httpx posts each value)."""
    parser = _FormFields()
    parser.feed(html)
    found: dict[str, list[str]] = {}
    for k, v in parser.fields:
        found.setdefault(k, []).append(v)
    return found
