"""What every answer tells a browser and a cache, what /schema loads, what the access log keeps.

- Every answer, errors and unrouted 404s included, carries a Content-Security-Policy (JSON:
  nothing may load; the documentation page: only this origin, no inline script or style),
  nosniff, frame denial and no referrer.
- Grievance, identity, token and filing answers (and every error) carry ``no-store``; the
  roster, which the public may cache, says so.
- /schema references no other host: it works offline.
- The access log of a real server (uvicorn, configured as ``iris serve`` configures it) shows
  no grievance reference, access code or identity-read query.
"""

from __future__ import annotations

import asyncio
import copy
import io
import logging
import logging.config
import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser

import httpx
import pytest
import uvicorn
import uvicorn.config

from iris_engine.app import create_app
from iris_engine.web.headers import API_POLICY, PAGE_POLICY
from tests.integration.conftest import (
    Actor,
    Cast,
    World,
    file_grievance,
    grievance_filing,
)
from tests.integration.test_outbox import accredited_lrn, free_port


def assert_secured(r: httpx.Response) -> None:
    where = f"{r.request.method} {r.request.url} -> {r.status_code}"
    page = r.headers.get("content-type", "").startswith("text/html")
    assert r.headers.get("content-security-policy") == (PAGE_POLICY if page else API_POLICY), where
    assert r.headers.get("x-content-type-options") == "nosniff", where
    assert r.headers.get("x-frame-options") == "DENY", where
    assert r.headers.get("referrer-policy") == "no-referrer", where
    assert "camera=()" in r.headers.get("permissions-policy", ""), where


def assert_not_stored(r: httpx.Response) -> None:
    where = f"{r.request.method} {r.request.url} -> {r.status_code}"
    assert r.headers.get_list("cache-control") == ["no-store"], where


def test_the_policies_forbid_what_they_should() -> None:
    for policy in (API_POLICY, PAGE_POLICY):
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"
        assert "unsafe" not in policy and "*" not in policy and "http" not in policy
    assert "script-src" not in API_POLICY


async def test_every_answer_carries_the_security_headers(world: World, cast: Cast) -> None:
    c = world.client
    _, lrn = await accredited_lrn(cast)
    roster = await c.get("/api/v1/roster")
    answers = [
        roster,
        await c.get("/api/v1/roster", headers={"If-None-Match": roster.headers["etag"]}),  # 304
        await c.get(f"/api/v1/roster/{lrn}"),
        await c.get("/api/v1/roster/export"),
        await c.get("/health"),
        await c.post("/api/v1/grievances", json=grievance_filing()),  # 201
        await c.get("/nowhere"),  # unrouted 404
        await c.get("/api/v1/grievances/GRV-00000-00000", headers={"IRIS-Access-Code": "x"}),
        await c.get("/api/v1/me"),  # 401 from the auth middleware
        await c.delete("/api/v1/roster"),  # 405
        await c.post("/api/v1/auth/token", content=b"{not json",
                     headers={"Content-Type": "application/json"}),  # 400
        await c.post("/api/v1/auth/token", content=b"email=x",
                     headers={"Content-Type": "text/plain"}),  # 415 from the request gate
        await c.post("/api/v1/auth/token", json={"email": "x@example.org"}),  # 422
        await cast.recruiter.get("/api/v1/authorities"),  # 403
        await c.options("/api/v1/roster"),
        await c.get("/schema"),
        await c.get("/schema/swagger"),
        await c.get("/schema/openapi.json"),
        await c.get("/schema/assets/swagger-ui-bundle.js"),
        await c.get("/schema/nowhere"),  # Litestar's HTML 404 for the docs
    ]
    statuses = {r.status_code for r in answers}
    assert statuses >= {200, 201, 204, 304, 400, 401, 403, 404, 405, 415, 422}, statuses
    for r in answers:
        assert_secured(r)


async def test_private_answers_are_not_stored_and_the_roster_may_be(
        world: World, cast: Cast) -> None:
    c = world.client
    caseworker = await world.staff("case@scheme.example", "caseworker", organisation="Scheme")
    filed = await c.post("/api/v1/grievances", json=grievance_filing())
    filing = await file_grievance(world)
    code = {"IRIS-Access-Code": filing.access_code}
    case = f"/api/v1/grievance-cases/{filing.case_id}"
    private = [
        filed,  # the reference and access code
        await c.get(f"/api/v1/grievances/{filing.reference}", headers=code),
        await c.get(f"/api/v1/grievances/{filing.reference}", headers={"IRIS-Access-Code": "no"}),
        await c.post(f"/api/v1/grievances/{filing.reference}/messages", json={"body": "Hello"},
                     headers=code),
        await c.post("/api/v1/auth/token", json={"email": "case@scheme.example",
                                                 "password": "correct horse battery"}),
        await c.post("/api/v1/auth/token", json={"email": "case@scheme.example",
                                                 "password": "wrong"}),
        await caseworker.get("/api/v1/me"),
        await caseworker.get("/api/v1/grievance-cases"),
        await caseworker.get(case),
        await caseworker.get(f"{case}/history"),
        await caseworker.get(f"{case}/messages"),
        await caseworker.get(f"{case}/identity", params={"purpose": "contact_about_remedy"}),
        await cast.manager.get("/api/v1/grievance-stats"),
        await cast.recruiter.get("/api/v1/referrals/1/identity"),
        await cast.recruiter.get("/api/v1/applications"),
    ]
    assert {r.status_code for r in private} >= {200, 201, 401, 403, 404}
    for r in private:
        assert_not_stored(r)
    for r in (await c.get("/api/v1/roster"), await c.get("/api/v1/roster", params={"q": "x"})):
        assert r.status_code == 200
        assert r.headers.get_list("cache-control") == ["max-age=5, public"], r.headers


# -- /schema works offline -------------------------------------------------------------------

class _References(HTMLParser):
    """Every URL a page references, and any inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in {"src", "href", "action", "data-openapi-url"}
                      and v is not None]
        if "style" in values or tag == "style" or any(k.startswith("on") for k in values):
            self.inline.append(tag)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script")


_ABSOLUTE = re.compile(r"(?i)\b(?:https?:)?//[a-z0-9.-]+")


async def test_schema_page_loads_nothing_from_another_host(world: World) -> None:
    for path in ("/schema", "/schema/swagger"):
        r = await world.client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert _ABSOLUTE.findall(r.text) == [], r.text  # no CDN, no favicon from elsewhere
        page = _References()
        page.feed(r.text)
        assert page.inline == [], page.inline  # the CSP forbids inline script and style
        assert page.urls and all(u.startswith("/schema/") for u in page.urls), page.urls
        for url in page.urls:
            asset = await world.client.get(url)
            assert asset.status_code == 200, url
    init = (await world.client.get("/schema/assets/swagger-init.js")).text
    assert "validatorUrl: null" in init and _ABSOLUTE.findall(init) == []
    css = (await world.client.get("/schema/assets/swagger-ui.css")).text
    assert re.findall(r"url\((?!['\"]?data:)", css) == []  # images are inline data
    licence = await world.client.get("/schema/assets/LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text
    for missing in ("/schema/assets/swagger-editor-bundle.js", "/schema/assets/..%2Fcore.py",
                    "/schema/oauth2-redirect.html"):
        assert (await world.client.get(missing)).status_code == 404, missing


# -- the access log of a real server -----------------------------------------------------------

@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """uvicorn's logging as ``iris serve`` configures it, the access lines written here; the
    loggers are put back as they were afterwards."""
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level,
                 logging.getLogger(n).propagate) for n in names}
    buffer = io.StringIO()
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["handlers"]["access"] = {"formatter": "access",
                                    "()": lambda: logging.StreamHandler(buffer)}
    logging.config.dictConfig(config)
    try:
        yield buffer
    finally:
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


@pytest.fixture
async def server(world: World, access_log: io.StringIO) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a real uvicorn server on this event loop (the world's database)."""
    app = create_app(world.settings, services=world.services)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None,
                            log_level="info")
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve())
    while not running.started:
        assert not task.done(), task
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        running.should_exit = True
        await task


async def test_the_access_log_masks_references_codes_and_identity_queries(
        world: World, server: httpx.AsyncClient, access_log: io.StringIO) -> None:
    r = await server.post("/api/v1/grievances", json=grievance_filing())
    assert r.status_code == 201, r.text
    reference, code = r.json()["reference"], r.json()["access_code"]
    case_id = (await file_grievance(world)).case_id
    caseworker = await world.staff("case@scheme.example", "caseworker", organisation="Scheme")
    staff = Actor(server, caseworker.token, caseworker.user_id, caseworker.organisation_id)

    requests = [
        server.get(f"/api/v1/grievances/{reference}", headers={"IRIS-Access-Code": code}),
        server.get(f"/api/v1/grievances/{reference.lower().replace('-', '')}",
                   headers={"IRIS-Access-Code": code}),  # typed loosely, still the reference
        server.get(f"/api/v1/grievances/{reference}", params={"access_code": code}),  # misplaced
        server.post(f"/api/v1/grievances/{reference}/messages", json={"body": "Any news?"},
                    headers={"IRIS-Access-Code": code}),
        server.get(f"/api/v1/grievances/{reference}/no-such-thing"),  # a mistyped URL
        staff.get(f"/api/v1/grievance-cases/{case_id}/identity",
                  params={"purpose": "contact_sita_gurung"}),
        staff.get("/api/v1/referrals/1/identity", params={"purpose": "ring_the_worker"}),
        server.get("/api/v1/roster", params={"q": "Everest"}),
        server.get(f"/api/v1/grievance-cases/{case_id}", headers=staff.headers),
    ]
    statuses = [(await request).status_code for request in requests]
    assert statuses[0] == 200 and statuses[3] == 201, statuses
    await asyncio.sleep(0)
    log = access_log.getvalue()
    lines = log.splitlines()
    assert len(lines) == 1 + len(requests), log

    secrets = [reference, reference.replace("-", ""), reference.lower().replace("-", ""), code,
               code.replace("-", ""), "contact_sita_gurung", "ring_the_worker"]
    assert [s for s in secrets if s.lower() in log.lower()] == [], log
    assert '"POST /api/v1/grievances HTTP/1.1" 201' in lines[0]
    assert '"GET /api/v1/grievances/*** HTTP/1.1" 200' in lines[1]
    assert '"GET /api/v1/grievances/*** HTTP/1.1"' in lines[2]
    assert '"GET /api/v1/grievances/***?*** HTTP/1.1"' in lines[3]
    assert '"POST /api/v1/grievances/***/messages HTTP/1.1" 201' in lines[4]
    assert '"GET /api/v1/grievances/***/no-such-thing HTTP/1.1" 404' in lines[5]
    assert f'"GET /api/v1/grievance-cases/{case_id}/identity?*** HTTP/1.1"' in lines[6]
    assert '"GET /api/v1/referrals/1/identity?*** HTTP/1.1"' in lines[7]
    # what is not secret stays readable
    assert '"GET /api/v1/roster?q=Everest HTTP/1.1" 200' in lines[8]
    assert f'"GET /api/v1/grievance-cases/{case_id} HTTP/1.1" 200' in lines[9]

