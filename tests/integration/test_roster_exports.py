"""The roster's export, built once and served many times (``iris_engine.roster.exports``): one
build per roster version and format, however many ask at once; a snapshot of one moment even
while the roster changes under the build; a conditional GET; at most one build per
``roster_export_seconds`` while the roster keeps changing; its files gone with the app."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from iris_engine.roster.exports import RosterExports
from iris_engine.roster.service import Roster
from tests.integration.conftest import Cast, World
from tests.integration.test_roster import _accredit


def _counting_builds(monkeypatch: pytest.MonkeyPatch, *, batch: int = 2000,
                     after_first_row: Any = None) -> list[int]:
    """Count the exports read from the database (one per build); read ``batch`` entries at a
    time, and run ``after_first_row`` once the build has read its first row."""
    builds: list[int] = []
    real = Roster.export

    async def export(self: Roster, session: Any, *args: Any, **kwargs: Any
                     ) -> AsyncIterator[dict[str, Any]]:
        builds.append(1)
        first = True
        async for row in real(self, session, *args, **{**kwargs, "batch": batch}):
            yield row
            if first and after_first_row is not None:
                await after_first_row()
            first = False

    monkeypatch.setattr(Roster, "export", export)
    return builds


async def _rename(world: World, lrn: str, name: str) -> None:
    """A roster change committed by another transaction: the entry renamed, the version moved."""
    async with world.services.db.write() as session:
        await session.execute(text("UPDATE roster_entry SET name = :name WHERE lrn = :lrn"),
                              {"name": name, "lrn": lrn})
        await session.execute(text("UPDATE roster_meta SET version = version + 1"))
    world.services.roster.invalidate()


def _names(csv_text: str) -> dict[str, str]:
    return {row["lrn"]: row["name"] for row in csv.DictReader(io.StringIO(csv_text))}


async def test_an_export_is_built_once_for_everyone_who_asks(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    lrns = await _accredit(world, cast, 2)
    builds = _counting_builds(monkeypatch)
    answers = await asyncio.gather(*(world.client.get("/api/v1/roster/export")
                                     for _ in range(6)))
    assert [r.status_code for r in answers] == [200] * 6
    assert len({r.text for r in answers}) == 1 and sorted(_names(answers[0].text)) == sorted(lrns)
    assert len(builds) == 1  # six at once: one build, the others waited for it
    again = await world.client.get("/api/v1/roster/export")
    assert again.text == answers[0].text and len(builds) == 1  # the roster did not change
    as_json = await world.client.get("/api/v1/roster/export", params={"format": "json"})
    assert sorted(i["lrn"] for i in as_json.json()["items"]) == sorted(lrns)
    assert len(builds) == 2  # one per format
    assert answers[0].headers["content-disposition"] == 'attachment; filename="iris-roster.csv"'
    assert answers[0].headers["content-type"] == "text/csv; charset=utf-8"
    assert as_json.headers["content-type"] == "application/json"


async def test_an_export_says_its_version_and_answers_a_conditional_get(
        world: World, cast: Cast) -> None:
    [lrn] = await _accredit(world, cast, 1)
    r = await world.client.get("/api/v1/roster/export")
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    version = (await world.client.get(f"/api/v1/roster/{lrn}")).json()["roster_version"]
    assert etag == f'"roster-{version}-csv"' and modified.endswith(" GMT")
    same = await world.client.get("/api/v1/roster/export", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    await _rename(world, lrn, "Renamed Manpower")
    changed = await world.client.get("/api/v1/roster/export", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert _names(changed.text) == {lrn: "Renamed Manpower"}


async def test_an_export_is_one_moment_while_the_roster_changes_under_it(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read a row at a time, the build sees a change committed after its first row: neither the
    rename nor the new version is in it; the next export (the version moved) has both."""
    lrns = sorted(await _accredit(world, cast, 3))
    names = _names((await world.client.get("/api/v1/roster/export")).text)
    last = max(lrns, key=lambda lrn: (names[lrn].casefold(), lrn))  # read after the change
    await _rename(world, lrns[0], "Another Name Ltd.")  # so that the next request builds

    async def change() -> None:
        await _rename(world, last, "Changed During The Build")

    builds = _counting_builds(monkeypatch, batch=1, after_first_row=change)
    during = await world.client.get("/api/v1/roster/export")
    assert len(builds) == 1
    assert _names(during.text)[last] == names[last]  # as it was when the build began
    after = await world.client.get("/api/v1/roster/export")
    assert len(builds) == 2 and after.headers["etag"] != during.headers["etag"]
    assert _names(after.text)[last] == "Changed During The Build"


async def test_while_the_roster_keeps_changing_a_process_builds_at_most_once_a_period(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    [lrn] = await _accredit(world, cast, 1)
    now = [1000.0]
    exports = RosterExports(world.services.roster, seconds=60, clock=world.clock,
                            monotonic=lambda: now[0])
    builds = _counting_builds(monkeypatch)
    try:
        first = await exports.latest("csv")
        await _rename(world, lrn, "Renamed Once")
        now[0] += 59
        assert await exports.latest("csv") is first and len(builds) == 1  # within the period
        now[0] += 2
        second = await exports.latest("csv")
        assert second.version > first.version and len(builds) == 2
        assert _names(second.path.read_text()) == {lrn: "Renamed Once"}
        for _ in range(2):  # older files go: two are kept per format
            await _rename(world, lrn, f"Renamed at {now[0]}")
            now[0] += 61
            await exports.latest("csv")
        assert not first.path.exists() and not second.path.exists()
        kept = list(first.path.parent.iterdir())
        assert len(kept) == 2, kept
    finally:
        await exports.close()
    assert not first.path.parent.exists()


async def test_the_apps_export_files_are_removed_when_it_stops(
        world: World, cast: Cast) -> None:
    await _accredit(world, cast, 1)
    assert (await world.client.get("/api/v1/roster/export")).status_code == 200
    folder = next(iter(world.services.roster_exports._kept.values()))[-1].path.parent
    assert isinstance(folder, Path) and any(folder.iterdir())
    await world.services.roster_exports.close()
    assert not folder.exists()
