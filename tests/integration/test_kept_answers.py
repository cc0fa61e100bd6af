"""A roster read asked again with the same path and query string is answered from what its
handler left (``iris_engine.web.again.KeptAnswers``), without parsing or routing the
parameters again (issue #14): through the real app on each database, the answer is the same,
byte for byte, as the full path's; it follows a roster change; and what the full path refuses
or answers per client (a NUL in a header, a conditional GET, a refused query) still goes the
full path."""

from __future__ import annotations

from typing import Any

from httpx import Response

from iris_engine.web.again import KeptAnswers
from tests.integration.conftest import Cast, World, newcomer, statements, walk_to

NUL = "\x00"


def _answers(world: World) -> KeptAnswers:
    assert world.app is not None
    answers = world.app.state.kept_answers
    assert isinstance(answers, KeptAnswers)
    return answers


def _as_sent(r: Response) -> tuple[int, list[tuple[str, str]], bytes]:
    return r.status_code, sorted(r.headers.multi_items()), r.content


async def _accredited_lrn(cast: Cast) -> tuple[int, str]:
    case_id = await walk_to(cast, "accredited")  # "Everest Fair Recruitment"
    return case_id, (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"]


async def test_a_read_asked_again_is_answered_as_the_full_path_answered_it(
        world: World, cast: Cast) -> None:
    _, lrn = await _accredited_lrn(cast)
    await walk_to(await newcomer(world, cast, 0), "accredited")  # a page worth gzipping
    answers = _answers(world)
    client = world.client
    asks: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        ("/api/v1/roster", {}, {}),
        ("/api/v1/roster", {"q": "everest", "country": "NP"}, {}),
        ("/api/v1/roster", {"status": ["suspended", "accredited"], "limit": 5}, {}),
        (f"/api/v1/roster/{lrn}", {}, {}),
        ("/api/v1/roster", {"limit": 7}, {"Accept-Encoding": "gzip"}),
        # the same query, the other form (httpx asks for gzip unless told otherwise)
        ("/api/v1/roster", {"limit": 7}, {"Accept-Encoding": "identity"}),
    ]
    for path, params, headers in asks:
        before = answers.answered
        first = await client.get(path, params=params, headers=headers)
        assert first.status_code == 200, first.text
        with statements(world) as seen:
            again = await client.get(path, params=params, headers=headers)
        assert answers.answered == before + 1, (path, params)
        assert _as_sent(again) == _as_sent(first)
        # the kept page was current: the roster's version was read (the tests keep it for no
        # time), one statement outside any transaction, and nothing else
        assert len(seen) == 1 and "FROM roster_meta" in seen[0], seen
    gzipped = await client.get("/api/v1/roster?limit=7", headers={"Accept-Encoding": "gzip"})
    plain = await client.get("/api/v1/roster?limit=7", headers={"Accept-Encoding": "identity"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gzipped.headers["etag"] != plain.headers["etag"]
    assert gzipped.json() == plain.json()


async def test_an_answer_asked_again_shows_a_roster_change(world: World, cast: Cast) -> None:
    case_id, lrn = await _accredited_lrn(cast)
    client = world.client
    entry = f"/api/v1/roster/{lrn}"
    search = {"q": "everest"}
    for _ in range(2):
        assert (await client.get(entry)).json()["entry"]["status"] == "accredited"
        assert [i["status"] for i in (await client.get("/api/v1/roster", params=search))
                .json()["items"]] == ["accredited"]
    answered = _answers(world).answered
    assert answered >= 2
    r = await cast.manager.fire(case_id, "suspend", reason_code="other", note="x")
    assert r.status_code == 200, r.text
    for _ in range(2):
        assert (await client.get(entry)).json()["entry"]["status"] == "suspended"
        assert [i["status"] for i in (await client.get("/api/v1/roster", params=search))
                .json()["items"]] == ["suspended"]
    # the changed pages went the full path once (their first sending), then were answered again
    assert _answers(world).answered == answered + 2


async def test_what_the_full_path_refuses_or_decides_per_client_goes_the_full_path(
        world: World, cast: Cast) -> None:
    await _accredited_lrn(cast)
    answers = _answers(world)
    client = world.client
    first = await client.get("/api/v1/roster")
    assert (await client.get("/api/v1/roster")).status_code == 200
    answered = answers.answered
    # a conditional GET: 304 for a current copy, decided by the handler
    r = await client.get("/api/v1/roster", headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 304
    # a NUL in a header is refused, with its pointer, whatever the query
    r = await client.get("/api/v1/roster", headers={"X-Note": f"a{NUL}b"})
    assert r.status_code == 422, r.text
    assert "/header/x-note" in [e["pointer"] for e in r.json()["errors"]]
    # a refused query is refused every time: nothing was kept for it
    for params in ({"limit": 0}, {"colour": "red"}, {"limit": [1, 2]}, {"status": "pending"}):
        for _ in range(2):
            r = await client.get("/api/v1/roster", params=params)
            assert r.status_code == 422, (params, r.text)
    # an entry that is not there is not there every time
    for _ in range(2):
        assert (await client.get("/api/v1/roster/LRN99999999")).status_code == 404
    # another method goes the full path (HEAD is not served here)
    assert (await client.head("/api/v1/roster")).status_code == 405
    assert answers.answered == answered
    assert (await client.get("/api/v1/roster")).status_code == 200
    assert answers.answered == answered + 1


async def test_the_answers_kept_are_bounded(world: World, cast: Cast) -> None:
    await _accredited_lrn(cast)
    answers = _answers(world)
    answers.size = 3
    client = world.client
    for n in range(1, 7):  # six queries, each once: only the last three are kept
        assert (await client.get("/api/v1/roster", params={"limit": n})).status_code == 200
    assert len(answers) == 3
    answered = answers.answered
    for n in (1, 2, 3):
        await client.get("/api/v1/roster", params={"limit": n})
    assert answers.answered == answered  # pushed out: each went the full path
    await client.get("/api/v1/roster", params={"limit": 3})
    assert answers.answered == answered + 1


async def test_the_search_page_is_answered_again_in_the_askers_language(
        world: World, cast: Cast) -> None:
    case_id, _ = await _accredited_lrn(cast)
    answers = _answers(world)
    client = world.client
    search = {"q": "everest"}

    async def twice(headers: dict[str, str]) -> bytes:
        first = await client.get("/roster", params=search, headers=headers)
        assert first.status_code == 200, first.text
        before = answers.answered
        again = await client.get("/roster", params=search, headers=headers)
        assert answers.answered == before + 1
        assert _as_sent(again) == _as_sent(first)
        return first.content

    english = await twice({"Accept-Language": "en"})
    nepali = await twice({"Accept-Language": "ne"})
    assert nepali != english
    assert await twice({"Cookie": "lang=ne", "Accept-Language": "en"}) == nepali
    assert await twice({"Accept-Language": "en"}) == english
    r = await cast.manager.fire(case_id, "suspend", reason_code="other", note="x")
    assert r.status_code == 200, r.text
    assert await twice({"Accept-Language": "en"}) != english
