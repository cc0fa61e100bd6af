"""The public roster: search, stable cursor pages, ETag/304, exports, no personal data."""

from __future__ import annotations

import csv
import io

from tests.integration.conftest import Cast, World, newcomer, walk_to


async def _accredit(world: World, cast: Cast, n: int) -> list[str]:
    """``n`` organisations accredited: the cast's recruiter, then newcomers (an organisation
    has one application, and one roster entry)."""
    lrns = []
    for i in range(n):
        case_id = await walk_to(cast if i == 0 else await newcomer(world, cast, i), "accredited")
        lrns.append((await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"])
    return lrns


async def test_search_filters_and_pagination(world: World, cast: Cast) -> None:
    other = await world.recruiter("Harbour Staffing", country="PH")
    lrns = await _accredit(world, cast, 3)
    cast_other = Cast(other, cast.manager, cast.auditor)
    other_lrn = (await _accredit(world, cast_other, 1))[0]
    roster = world.client
    body = (await roster.get("/api/v1/roster", params={"q": "harbour"})).json()
    assert [e["lrn"] for e in body["items"]] == [other_lrn]
    body = (await roster.get("/api/v1/roster", params={"country": "qa"})).json()
    assert {e["lrn"] for e in body["items"]} == {*lrns, other_lrn}  # all operate NP -> QA
    body = (await roster.get("/api/v1/roster", params={"country": "PH"})).json()
    assert [e["lrn"] for e in body["items"]] == [other_lrn]  # its home country
    body = (await roster.get("/api/v1/roster", params={"lrn": lrns[0]})).json()
    assert [e["lrn"] for e in body["items"]] == [lrns[0]]

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await roster.get("/api/v1/roster", params=params)).json()
        seen += [e["lrn"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([*lrns, other_lrn]) and len(set(seen)) == 4
    # a cursor names the last entry seen; one that names no entry is refused, not ignored
    r = await roster.get("/api/v1/roster", params={"limit": 1, "cursor": "LRN99999999"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    names = [(await roster.get(f"/api/v1/roster/{lrn}")).json()["entry"]["name"] for lrn in seen]
    assert names == sorted(names, key=str.casefold)


async def test_etag_and_304(world: World, cast: Cast) -> None:
    await _accredit(world, cast, 1)
    first = await world.client.get("/api/v1/roster")
    etag = first.headers["etag"]
    again = await world.client.get("/api/v1/roster", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    case_id = await walk_to(await newcomer(world, cast, 0), "accredited")
    assert case_id
    changed = await world.client.get("/api/v1/roster", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_a_client_that_takes_gzip_gets_the_page_compressed_with_its_own_etag(
        world: World, cast: Cast) -> None:
    await _accredit(world, cast, 3)  # a page big enough to be worth compressing
    plain = await world.client.get("/api/v1/roster", headers={"Accept-Encoding": "identity"})
    packed = await world.client.get("/api/v1/roster", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.json() == plain.json()  # httpx decodes it: the same document
    assert int(packed.headers["content-length"]) < len(plain.content)
    for r in (plain, packed):  # a cache in between keeps the two apart
        assert r.headers["vary"] == "Accept-Encoding"
    assert packed.headers["etag"] != plain.headers["etag"]  # two representations, two tags
    again = await world.client.get("/api/v1/roster", headers={
        "Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == packed.headers["etag"]
    refused = await world.client.get("/api/v1/roster", headers={
        "Accept-Encoding": "gzip;q=0", "If-None-Match": packed.headers["etag"]})
    assert refused.status_code == 200 and "content-encoding" not in refused.headers
    assert refused.headers["etag"] == plain.headers["etag"]


async def test_status_filter_and_history_entries(world: World, cast: Cast) -> None:
    case_id = await walk_to(cast, "accredited")
    await cast.manager.fire(case_id, "withdraw", reason_code="licence_lost", note="Revoked")
    await cast.manager.fire(case_id, "confirm_withdrawal", note="No representations")
    await walk_to(await newcomer(world, cast, 0), "accredited")
    current = (await world.client.get("/api/v1/roster",
                                      params={"status": "accredited"})).json()["items"]
    history = (await world.client.get("/api/v1/roster",
                                      params={"status": ["withdrawn", "expired"]})).json()["items"]
    assert len(current) == 1 and len(history) == 1
    assert history[0]["status"] == "withdrawn" and history[0]["current"] is False


async def test_invalid_queries_are_422(world: World) -> None:
    # a cursor naming no entry is a 404 (see test_search_filters_and_pages); one too long for an
    # LRN is malformed
    for params in ({"status": "pending"}, {"country": "Nepal"}, {"limit": 0}, {"limit": 201},
                   {"cursor": "g" * 21}):
        r = await world.client.get("/api/v1/roster", params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["pointer"].startswith("/")


async def test_exports_and_no_personal_data(world: World, cast: Cast) -> None:
    lrns = await _accredit(world, cast, 2)
    r = await world.client.get("/api/v1/roster/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(row["lrn"] for row in rows) == sorted(lrns)
    r = await world.client.get("/api/v1/roster/export", params={"format": "json"})
    items = r.json()["items"]
    assert sorted(i["lrn"] for i in items) == sorted(lrns)
    text = r.text + (await world.client.get("/api/v1/roster")).text
    assert "@" not in text and "email" not in text and "password" not in text
