"""A roster change drops only the kept pages it can touch (issue #14), through the real app on
each database: once one recruiter is suspended, another's entry, a search that cannot list the
suspended one and the search page made from it are served as they were (same bytes, same ETag,
no read of the roster), while every page that shows the change is read again."""

from __future__ import annotations

from tests.integration.conftest import Cast, World, newcomer, statements, walk_to


async def test_a_suspension_leaves_the_pages_it_cannot_touch(world: World, cast: Cast) -> None:
    everest = await walk_to(cast, "accredited")  # "Everest Fair Recruitment"
    kathmandu = await walk_to(await newcomer(world, cast, 0), "accredited")
    lrns = {}
    for case_id in (everest, kathmandu):
        lrns[case_id] = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"]
    client = world.client

    async def read() -> dict[str, tuple[int, str, bytes]]:
        pages = {
            "kathmandu entry": await client.get(f"/api/v1/roster/{lrns[kathmandu]}"),
            "kathmandu search": await client.get("/api/v1/roster", params={"q": "kathmandu"}),
            "kathmandu page": await client.get("/roster", params={"q": "kathmandu"}),
            "everest entry": await client.get(f"/api/v1/roster/{lrns[everest]}"),
            "everyone": await client.get("/api/v1/roster"),
            "suspended": await client.get("/api/v1/roster", params={"status": "suspended"}),
            "everyone page": await client.get("/roster"),
        }
        assert all(r.status_code == 200 for r in pages.values())
        return {name: (r.status_code, r.headers.get("etag", ""), r.content)
                for name, r in pages.items()}

    before = await read()
    assert b"suspended" not in before["everest entry"][2]
    revision = (await cast.manager.get(f"/api/v1/applications/{everest}")).json()["revision"]
    r = await cast.manager.fire(everest, "suspend", revision, reason_code="other", note="x")
    assert r.status_code == 200, r.text

    with statements(world) as seen:
        after = await read()
    kept = {name for name in before if after[name] == before[name]}
    assert kept == {"kathmandu entry", "kathmandu search", "kathmandu page"}
    assert b'"status":"suspended"' in after["everest entry"][2]
    assert lrns[everest].encode() in after["suspended"][2]
    # the kept pages cost the roster's version, the entries changed since (once), and no more:
    # what was read again was for the pages the suspension touched
    reads = [s for s in seen if s.startswith("SELECT")]
    assert sum("changed_in >" in s for s in reads) == 1
    by_lrn = [s for s in reads  # the entry's statement (a page's scopes: lrn = any(...))
              if "FROM roster_entry WHERE roster_entry.lrn =" in s and "any(" not in s]
    assert len(by_lrn) == 1, by_lrn  # the suspended one's entry; not the other's
