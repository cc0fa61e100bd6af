"""The certificate check as a page: what the API's verification says, in words and in the
reader's language, never the learner's e-mail, and a mistyped number told apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.certificate_support import certificate_world, course, issue, revoke
from tests.integration.conftest import World

HTML = {"Accept": "text/html"}


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in certificate_world(database_url, tmp_path):
        yield w


async def test_a_certificate_is_checked_by_its_number_then_seen_revoked(world: World) -> None:
    c = await course(world)
    issued = await issue(world, c)
    replacement = await issue(world, c, name="Anita Gurung Sherpa", status_index=8)
    typed = issued.number.lower().replace("-", " ")
    form = await world.client.get("/certificates", params={"number": typed}, headers=HTML)
    assert form.status_code == 303 and form.headers["location"] == f"/certificates/{issued.number}"
    r = await world.client.get(form.headers["location"], headers=HTML)
    assert r.status_code == 200 and "This certificate is genuine and in force." in r.text
    assert issued.name in r.text and issued.email not in r.text
    assert "set-cookie" not in r.headers

    await revoke(world, issued.number, superseded_by=replacement.number)
    r = await world.client.get(f"/certificates/{issued.number}", headers=HTML)
    assert "Revoked" in r.text and f'href="/certificates/{replacement.number}"' in r.text
    assert issued.name not in r.text  # a revoked certificate names nobody


async def test_a_mistyped_number_is_told_apart_from_one_never_issued(world: World) -> None:
    issued = await issue(world, await course(world))
    wrong = issued.number[:-2] + ("X" if issued.number[-2] != "X" else "Y") + issued.number[-1]
    r = await world.client.get(f"/certificates/{wrong}", headers=HTML)
    assert "Look for a mistyped character" in r.text
    never = await world.client.get("/certificates/IRIS-TC-0000000000", headers=HTML)
    assert "Not found" in never.text


async def test_the_page_speaks_the_readers_language(world: World) -> None:
    issued = await issue(world, await course(world))
    r = await world.client.get(f"/certificates/{issued.number}",
                               headers={**HTML, "Accept-Language": "ne"})
    assert '<html lang="ne"' in r.text and "This certificate is genuine" not in r.text


async def test_hostile_numbers_get_a_page(world: World) -> None:
    for hostile in ("x", "' OR 1=1 --", "%F0%9F%92%A5", "A" * 100, "<script>alert(1)<"):
        r = await world.client.get(f"/certificates/{hostile}", headers=HTML)
        assert r.status_code == 200 and "Not found" in r.text, hostile
        assert "<script>" not in r.text
    for refused in ("%00", "A" * 101):
        r = await world.client.get(f"/certificates/{refused}", headers=HTML)
        assert r.status_code in (400, 422) and r.headers["content-type"].startswith("text/html")
    r = await world.client.get("/certificates", params={"number": "../../etc/passwd"}, headers=HTML)
    assert r.status_code == 303 and r.headers["location"].startswith("/certificates/IRIS-TC-")
    assert "/" not in r.headers["location"][len("/certificates/"):]
