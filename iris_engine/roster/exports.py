"""The whole roster as a file (``GET /api/v1/roster/export``), built once and served many times.

At a million entries an export is ~140 MB of CSV and 25-30 s of the process's CPU. Built for
each request, a few clients asking at once (the endpoint is public, and a roster export is
what a newspaper or a ministry downloads) kept the process busy for minutes, every other
request waiting its turn. So each process builds it once per roster version and format, in
one read transaction (every row as it was at one moment, the version with them), writes it to
a file of its own, and serves that file to every request until the roster changes. While the
roster keeps changing, a new one is built at most every ``IRIS_ROSTER_EXPORT_SECONDS`` (five
minutes: a build of a million entries is ~30 s of CPU) and the last one is served in between;
its ``ETag`` names the roster version it holds and ``Last-Modified`` says when it was read.
Requests that find a build under way wait for that one build, as concurrent misses of a
roster page do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from uuid import uuid4

from iris_engine.clock import Clock
from iris_engine.failures import traceback_of
from iris_engine.roster.service import Roster, version_in
from iris_engine.web.csv_export import csv_chunks

__all__ = ["FIELDS", "ExportFormat", "RosterExports", "Snapshot"]

log = logging.getLogger(__name__)

ExportFormat = Literal["csv", "json"]
#: the CSV's columns, in order
FIELDS = ["lrn", "name", "country", "countries_of_operation", "status", "current",
          "under_appeal", "accredited_on", "valid_until", "status_since", "corridors", "sectors"]
#: characters gathered before they are written (in a thread: the loop goes on meanwhile)
_WRITE_CHARS = 1 << 20
#: snapshots kept per format: the newest, and the one before it, which a response that began
#: before the newest was built may still be sending (an open file outlives its name anyway)
_KEPT = 2


@dataclass(frozen=True, slots=True)
class Snapshot:
    path: Path
    #: the roster version its rows were read at
    version: int
    #: when they were read (the clock's time)
    taken_at: datetime
    #: when it was built, in seconds that only move forward
    built: float


class RosterExports:
    def __init__(self, roster: Roster, *, seconds: float, clock: Clock,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.roster = roster
        #: the least time between two builds of one format while the roster keeps changing
        self.seconds = seconds
        self.clock = clock
        self.monotonic = monotonic
        #: removed by ``close``, or when this object is collected or the process exits
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        #: the snapshots kept per format, newest last
        self._kept: dict[str, list[Snapshot]] = {}
        self._building: dict[str, asyncio.Future[Snapshot]] = {}

    async def latest(self, format: ExportFormat) -> Snapshot:
        """The export to send: the last one built if it holds the roster's current version or
        is younger than ``seconds``, else a new one (the build under way, if any)."""
        version = await self.roster.version()
        kept = self._kept.get(format)
        if kept and (kept[-1].version >= version or self.monotonic() - kept[-1].built
                     < self.seconds):
            return kept[-1]
        building = self._building.get(format)
        if building is None:
            building = self._building[format] = asyncio.ensure_future(self._build(format))
            building.add_done_callback(lambda done: self._built(format, done))
        # a client that goes away leaves the build to finish for the others (and the next)
        return await asyncio.shield(building)

    def _built(self, format: str, done: asyncio.Future[Snapshot]) -> None:
        del self._building[format]
        if not done.cancelled() and done.exception() is not None:
            log.error("the roster's %s export could not be built\n%s", format,
                      traceback_of(done.exception()))  # type: ignore[arg-type]

    async def _build(self, format: ExportFormat) -> Snapshot:
        folder = self._folder_now()
        partial = folder / f".{format}-{uuid4().hex}.partial"
        try:
            async with self.roster.db.snapshot() as session:
                version = await version_in(session)
                taken_at = self.clock()
                rows = self.roster.export(session)
                chunks = (_json_chunks(rows) if format == "json"
                          else csv_chunks(FIELDS, _csv_rows(rows)))
                await _write(partial, chunks)
            path = folder / f"roster-{version}-{uuid4().hex[:8]}.{format}"
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        snapshot = Snapshot(path, version, taken_at, self.monotonic())
        kept = self._kept.setdefault(format, [])
        kept.append(snapshot)
        while len(kept) > _KEPT:
            kept.pop(0).path.unlink(missing_ok=True)
        return snapshot

    def _folder_now(self) -> Path:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="iris-roster-export-",
                                                       ignore_cleanup_errors=True)
        return Path(self._folder.name)

    async def close(self) -> None:
        """Remove the files (the app's shutdown), after any build under way."""
        for building in list(self._building.values()):
            await asyncio.wait([building])
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
        self._kept.clear()


async def _write(path: Path, chunks: AsyncIterator[str]) -> None:
    """Write the text ``chunks`` to ``path`` in UTF-8, a megabyte at a time from a thread."""
    gathered: list[str] = []
    size = 0
    with path.open("wb") as out:
        async for chunk in chunks:
            gathered.append(chunk)
            size += len(chunk)
            if size >= _WRITE_CHARS:
                await asyncio.to_thread(out.write, "".join(gathered).encode())
                gathered, size = [], 0
        await asyncio.to_thread(out.write, "".join(gathered).encode())


async def _csv_rows(entries: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    async for entry in entries:
        yield {**entry, "countries_of_operation": " ".join(entry["countries_of_operation"]),
               "corridors": " ".join(f"{c['origin']}>{c['destination']}" for c in entry["corridors"]),
               "sectors": " ".join(entry["sectors"])}


async def _json_chunks(entries: AsyncIterator[dict[str, Any]]) -> AsyncIterator[str]:
    yield '{"items":['
    first = True
    async for entry in entries:
        yield ("" if first else ",") + json.dumps(entry, separators=(",", ":"))
        first = False
    yield "]}"
