"""The complaint pages over HTTP: a worker walks every step and the grievance is filed with
their answers and their language; hostile input is answered at its field, never a 500; a
tampered hidden field is caught on its step at the final submit; nothing of the complaint
reaches the server's log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select

from iris_engine.grievances.models import Grievance
from tests.integration.conftest import Cast, GrievanceCast, World, walk_to
from tests.integration.test_fuzz_public_api import Server, start_server, stop_server

NARRATIVE = "The agent in Kathmandu took 150000 rupees\nand kept my passport in Doha."
NEPALI = {"Accept-Language": "ne-NP,ne;q=0.9,en;q=0.5"}


def devanagari(digits: str) -> str:
    """A number as a Nepali worker may type it (Devanagari digits)."""
    return "".join(chr(0x0966 + int(d)) if d.isdigit() else d for d in digits)


class _Form(HTMLParser):
    """The fields a page's first POST form would send as it stands (hidden, checked, typed)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.action: str | None = None
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None and a.get("method") == "post":
            self.action, self._in_form = a["action"], True
        elif not self._in_form:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("hidden", "text", "email", "tel") or (
                    kind in ("radio", "checkbox") and "checked" in a):
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, typed = self.fields[-1]
            self.fields[-1] = (name, typed + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_of(r: Response) -> list[tuple[str, str]]:
    parser = _Form()
    parser.feed(r.text)
    return parser.fields


def answer(r: Response, **given: str | list[str]) -> list[tuple[str, str]]:
    """The page's form with the fields in ``given`` set (a list: a group of checkboxes)."""
    kept = [(k, v) for k, v in form_of(r) if k not in given]
    for name, value in given.items():
        kept += [(name, v) for v in (value if isinstance(value, list) else [value])]
    return kept


async def post(client: AsyncClient, fields: list[tuple[str, str]], path: str = "/complain", *,
               language: str = NEPALI["Accept-Language"]) -> Response:
    body = httpx.QueryParams(fields)
    return await client.post(path, content=str(body).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept-Language": language})


def heading(r: Response) -> str:
    found = re.search(r"<h1>(?:<label[^>]*>)?(.*?)<", r.text, re.S)
    return found.group(1).strip() if found else ""


def field_errors(r: Response) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-error" id="([\w-]+)-error">'
                           r'<span class="visually-hidden">[^<]*</span> ([^<]*)</p>', r.text))


def assert_error_at(r: Response, field: str) -> None:
    assert r.status_code == 422, r.text[:500]
    assert field in field_errors(r), (field, field_errors(r))
    assert f'href="#{field}"' in r.text  # the summary links to it
    assert f'id="{field}"' in r.text


async def count(world: World) -> int:
    async with world.services.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Grievance)) or 0)


async def walk_to_check(world: World, *, recruiter: str = "Himalaya Manpower",
                        pick: str | None = None) -> Response:
    """Every step answered in Nepali; answers the check page."""
    c = world.client
    r = await c.get("/complain", headers=NEPALI)
    assert r.status_code == 200 and 'lang="ne"' in r.text
    r = await post(c, answer(r, role="worker"))
    assert 'name="recruiter_name"' in r.text, r.text[:300]
    if pick:
        r = await post(c, answer(r, recruiter_name=recruiter, action="search"))
        assert f'value="{pick}"' in r.text
        r = await post(c, answer(r, recruiter_lrn=pick, origin="NP", destination="QA"))
    else:
        r = await post(c, answer(r, recruiter_name=recruiter, origin="NP", destination="QA"))
    assert 'name="narrative"' in r.text, field_errors(r)
    r = await post(c, answer(r, narrative=NARRATIVE, happened=["asked_to_pay", "lied_to"]))
    assert 'name="fee_amount"' in r.text, field_errors(r)
    r = await post(c, answer(r, paid="yes", fee_amount=devanagari("1,50,000"), fee_currency="NPR",
                             documents_kept="yes"))
    assert 'name="contact_email"' in r.text, field_errors(r)
    r = await post(c, answer(r, contact_name="Sita Gurung", contact_email="sita@mail.example",
                             contact_channel="email", consent_contact="yes", consent_refer="yes",
                             in_danger="no"))
    assert r.status_code == 200 and 'action="/complain/send"' in r.text, field_errors(r)
    return r


async def test_a_worker_files_in_nepali_step_by_step(
        world: World, cast: Cast, gcast: GrievanceCast) -> None:
    await walk_to(cast, "accredited")
    lrn = (await world.client.get("/api/v1/roster", params={"q": "Everest"})).json()["items"][0]["lrn"]
    check = await walk_to_check(world, recruiter="everest", pick=lrn)
    assert "Everest Fair Recruitment" in check.text and "Sita Gurung" in check.text
    assert check.headers["cache-control"] == "no-store"
    r = await post(world.client, form_of(check), "/complain/send")
    assert r.status_code == 201, field_errors(r)
    assert "location" not in r.headers and r.headers["cache-control"] == "no-store"
    reference = re.search(r'id="reference" dir="ltr">([^<]+)<', r.text)
    code = re.search(r'id="access-code" dir="ltr">([^<]+)<', r.text)
    assert reference and code
    assert 'href="/track"' in r.text and 'src="/static/complaint.js"' in r.text

    follow = await world.client.get(f"/api/v1/grievances/{reference.group(1)}",
                                    headers={"IRIS-Access-Code": code.group(1)})
    assert follow.status_code == 200, follow.text
    async with world.services.db.read() as session:
        case_id = (await session.scalars(select(Grievance.case_id).where(
            Grievance.reference == reference.group(1)))).one()
    staff = (await gcast.supervisor.get(f"/api/v1/grievance-cases/{case_id}")).json()
    assert staff["language"] == "ne" and staff["complainant_role"] == "worker"
    assert (staff["origin_country"], staff["destination_country"]) == ("NP", "QA")
    assert staff["recruiter_lrn"] == lrn and staff["recruiter_case_id"] is not None
    assert set(staff["allegations"]) == {"recruitment_fees", "deception", "document_retention"}
    assert set(staff["principles"]) == {"1", "2", "3"}
    assert (staff["fees_amount"], staff["fees_currency"]) == ("150000", "NPR")
    assert staff["documents_retained"] is True and staff["in_danger"] is False
    assert staff["identity_on_file"] is True
    assert staff["consents"] == {"be_contacted": True, "refer_to_authority": True,
                                 "share_identity_with_recruiter": False}
    told = await gcast.supervisor.get(f"/api/v1/grievance-cases/{case_id}/narrative",
                                      params={"purpose": "review"})
    assert told.status_code == 200 and told.json()["narrative"] == NARRATIVE


async def test_an_anonymous_complaint_about_an_unknown_recruiter(world: World) -> None:
    c = world.client
    r = await c.get("/complain")
    for given in ({"role": "family_member"},
                  {"recruiter_unknown": "yes", "origin": "BD", "destination": "MY"},
                  {"narrative": "They took my brother's passport."},
                  {"paid": "no", "documents_kept": "yes"},
                  {"in_danger": "yes"}):
        r = await post(c, answer(r, **given), language="en")
    assert "I do not know who recruited me" in r.text and "anonymous" in r.text
    r = await post(c, form_of(r), "/complain/send", language="en")
    assert r.status_code == 201 and "in danger" in r.text
    async with world.services.db.read() as session:
        g = (await session.scalars(select(Grievance))).one()
    # the language is the one the complaint was sent in
    assert (g.language, g.recruiter_name, g.recruiter_lrn, g.identity_sealed) == ("en", None, None, None)
    assert g.in_danger and g.documents_retained and g.allegations == ["document_retention"]


async def test_change_from_the_check_page_returns_to_it(world: World) -> None:
    check = await walk_to_check(world)
    fields = [*form_of(check), ("change", "what")]
    r = await post(world.client, fields)
    assert r.status_code == 200 and 'name="return_to_check"' in r.text
    assert NARRATIVE.split("\n")[0] in r.text  # what was typed is shown again
    r = await post(world.client, answer(r, narrative="Another account.", happened=[]))
    assert 'action="/complain/send"' in r.text and "Another account." in r.text
    assert "Himalaya Manpower" in r.text  # the other answers travelled on


@pytest.mark.parametrize(("step_answers", "field"), [
    ({"role": "boss"}, "role"),
    ({"role": "worker\x00"}, "role"),
])
async def test_the_first_step_refuses_what_it_does_not_offer(
        world: World, step_answers: dict[str, str], field: str) -> None:
    r = await world.client.get("/complain")
    r = await post(world.client, answer(r, **step_answers))
    assert_error_at(r, field)


async def test_hostile_input_is_answered_at_its_field_keeping_what_was_typed(world: World) -> None:
    c = world.client
    r = await c.get("/complain")
    r = await post(c, answer(r))
    assert_error_at(r, "role")
    r = await post(c, answer(r, role="worker"))
    r = await post(c, answer(r, origin="ZZ", destination="QA"))
    assert_error_at(r, "recruiter_name")
    assert_error_at(r, "origin")
    assert 'value="QA" selected' in r.text
    r = await post(c, answer(r, recruiter_name="Gulf\x00Jobs", origin="NP", destination="QA"))
    assert_error_at(r, "recruiter_name")
    r = await post(c, answer(r, recruiter_name="Gulf Jobs", origin="NP", destination="QA"))
    assert 'name="narrative"' in r.text
    for narrative, happened in (("x" * 100_000, ["asked_to_pay"]), ("Was it \x00 me", []),
                                ("   ", []), ("ok", ["asked_to_pay", "launder_money"])):
        r = await post(c, answer(r, narrative=narrative, happened=happened))
        assert_error_at(r, "happened" if narrative == "ok" else "narrative")
        if narrative.startswith("x"):
            assert 'value="asked_to_pay" checked' in r.text
    r = await post(c, answer(r, narrative="ok", happened=[]))
    r = await post(c, answer(r, paid="yes", fee_amount="a lot", fee_currency="NPR",
                             documents_kept="maybe"))
    assert_error_at(r, "fee_amount")
    assert_error_at(r, "documents_kept")
    assert 'value="a lot"' in r.text
    r = await post(c, answer(r, paid="yes", fee_amount="1500", fee_currency="XYZ", documents_kept="no"))
    assert_error_at(r, "fee_currency")
    r = await post(c, answer(r, paid="yes", fee_amount="1500", fee_currency="USD", documents_kept="no"))
    for fields, field in (
            ({"contact_email": "not an address", "in_danger": "no"}, "contact_email"),
            ({"contact_phone": "call me maybe", "in_danger": "no"}, "contact_phone"),
            ({"contact_channel": "email", "in_danger": "no"}, "contact_email"),
            ({"contact_channel": "pigeon", "in_danger": "no"}, "contact_channel"),
            ({"contact_name": "\u202eSita", "in_danger": "no"}, "contact_name"),
            ({}, "in_danger")):
        blank: dict[str, str | list[str]] = {"contact_name": "", "contact_email": "",
                                             "contact_phone": "", "contact_channel": [],
                                             "in_danger": []}
        r = await post(c, answer(r, **{**blank, **fields}))
        if field == "contact_name":  # the service refuses a name with a direction override
            r = await post(c, form_of(r), "/complain/send")
        assert_error_at(r, field)
    assert await count(world) == 0


#: a hidden field changed on its way to the final submit, and the field its step shows it at
TAMPERED = [
    ({"role": "recruiter"}, "role"),
    ({"origin": "XX"}, "origin"),
    ({"recruiter_lrn": "IRIS999999"}, "recruiter_name"),
    ({"narrative": "lies\x00"}, "narrative"),
    ({"narrative": "y" * 30_000}, "narrative"),
    ({"happened": "everything"}, "happened"),
    ({"fee_amount": "-5"}, "fee_amount"),
    ({"contact_email": "a@b"}, "contact_email"),
    ({"in_danger": "perhaps"}, "in_danger"),
]


async def test_a_tampered_hidden_field_is_shown_on_its_step_and_nothing_is_filed(
        world: World) -> None:
    check = await walk_to_check(world)
    for tampered, field in TAMPERED:
        r = await post(world.client, answer(check, **tampered), "/complain/send")
        assert_error_at(r, field)
        assert 'name="return_to_check"' in r.text
    assert await count(world) == 0


async def test_a_post_without_its_csrf_token_is_refused(world: World) -> None:
    check = await walk_to_check(world)
    without = [(k, v) for k, v in form_of(check) if k != "_csrf_token"]
    for path in ("/complain", "/complain/send"):
        r = await post(world.client, without, path)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    r = await post(world.client, [*without, ("_csrf_token", "forged")], "/complain/send")
    assert r.status_code == 403
    assert await count(world) == 0


async def test_the_steps_keep_nothing_in_a_url_or_a_cache(world: World) -> None:
    r = await world.client.get("/complain")
    assert r.headers["cache-control"] == "no-store"
    assert "csrftoken" in r.headers.get("set-cookie", "")
    for action in re.findall(r'(?:action|formaction)="([^"]+)"', r.text):
        assert "?" not in action
    r = await world.client.get("/complain", params={"narrative": "x"})
    # a parameter the page does not take is refused, on a page
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("settings_overrides", [{"public_rate_limit_per_minute": 2}])
async def test_sending_is_rate_limited_as_the_api_is(world: World) -> None:
    check = await walk_to_check(world)
    statuses = [(await post(world.client, form_of(check), "/complain/send")).status_code
                for _ in range(3)]
    assert statuses == [201, 201, 429]
    r = await world.client.post("/api/v1/grievances", json={})  # the same limit: "grievance"
    assert r.status_code == 429


# -- the server's log ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("complaint")
    running = start_server(tmp, f"sqlite+aiosqlite:///{Path(tmp) / 'iris.db'}")
    try:
        yield running
    finally:
        stop_server(running)


def test_nothing_of_the_complaint_reaches_the_server_log(server: Server) -> None:
    secret = "Only-the-caseworker-reads-this 7781"
    email = "hidden.person@mail.example"
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        def send(fields: list[tuple[str, str]], path: str = "/complain") -> Any:
            return c.post(path, content=str(httpx.QueryParams(fields)).encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})

        r = c.get("/complain")
        for given in ({"role": "worker"},
                      {"recruiter_name": "Secret Agency 7781", "origin": "NP", "destination": "QA"},
                      {"narrative": secret},
                      {"paid": "no", "documents_kept": "no"},
                      {"contact_email": email, "in_danger": "no"}):
            r = send(answer(r, **given))
            assert r.status_code == 200, r.text[:300]
        r = send(form_of(r), "/complain/send")
        assert r.status_code == 201
        code = re.search(r'id="access-code" dir="ltr">([^<]+)<', r.text)
        assert code
    log = server.log_text()
    assert "POST /complain/send" in log  # the access log is on: it simply holds none of it
    for text in (secret, "7781", email, code.group(1)):
        assert text not in log


async def test_what_a_worker_types_on_the_pages_is_never_stored_in_the_clear(world: World) -> None:
    """The words that enter through the pages (the narrative, a name and an address, a reply
    written on the follow pages) are sealed like the API's: no raw cell of any table holds
    them."""
    from tests.integration.test_grievances_public import _raw_cells

    check = await walk_to_check(world)
    r = await post(world.client, form_of(check), "/complain/send")
    assert r.status_code == 201, field_errors(r)
    reference = re.search(r'id="reference" dir="ltr">([^<]+)<', r.text)
    code = re.search(r'id="access-code" dir="ltr">([^<]+)<', r.text)
    assert reference and code
    reply = "The agent Bikash lives above the tea shop in Thamel"
    form = await world.client.get("/track")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert token
    signed = await world.client.post("/track", data={
        "_csrf_token": token.group(1), "reference": reference.group(1), "code": code.group(1)})
    assert signed.status_code == 303, signed.text
    case = await world.client.get("/track/case")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', case.text)
    assert token
    sent = await world.client.post("/track/case/reply", data={
        "_csrf_token": token.group(1), "message": reply})
    assert sent.status_code == 303, sent.text
    seen = await _raw_cells(world, ("kept my passport", "sita gurung", "sita@mail.example",
                                    "above the tea shop", code.group(1)))
    assert seen["grievance"] == 1 and seen["grievance_message"] == 1, seen
