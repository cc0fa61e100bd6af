"""The public roster: no login, cacheable, ETag and 304."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter
from litestar.response import Stream

from iris_engine.roster.service import CachedPage, Roster, RosterQuery
from iris_engine.web.problems import problem_responses

__all__ = ["roster_handlers"]

IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match", required=False)]
_PUBLIC = {"exclude_from_auth": True}
_FIELDS = ["lrn", "name", "country", "countries_of_operation", "status", "current",
           "accredited_on", "valid_until", "status_since"]


def _page_response(page: CachedPage, if_none_match: str | None) -> Response[bytes]:
    headers = {"ETag": page.etag, "Cache-Control": "public, max-age=5"}
    if if_none_match and page.etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(b"", status_code=304, headers=headers)
    return Response(page.body, media_type="application/json", headers=headers)


@get("/api/v1/roster", operation_id="searchRoster", tags=["roster"], opt=_PUBLIC,
     responses=problem_responses(422))
async def search_roster(
    roster: NamedDependency[Roster],
    if_none_match: IfNoneMatch = None,
    q: FromQuery[str | None] = None,
    lrn: FromQuery[str | None] = None,
    country: FromQuery[str | None] = None,
    status: FromQuery[list[str] | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = 20,
) -> Response[bytes]:
    """Search accredited, suspended, withdrawn and expired recruiters, ordered by name.

    ``q`` matches part of the name, ``lrn`` a certificate number or its start, ``country`` a
    country of operation; ``status`` may repeat. Follow ``next_cursor`` for the next page.
    """
    query = RosterQuery(q=q, lrn=lrn, country=country, status=tuple(status or ()), cursor=cursor,
                        limit=limit)
    return _page_response(await roster.search(query), if_none_match)


@get("/api/v1/roster/{lrn:str}", operation_id="getRosterEntry", tags=["roster"], opt=_PUBLIC,
     responses=problem_responses(404))
async def get_roster_entry(roster: NamedDependency[Roster], lrn: FromPath[str],
                           if_none_match: IfNoneMatch = None) -> Response[bytes]:
    """One recruiter's public entry by certificate number (LRN)."""
    return _page_response(await roster.entry(lrn), if_none_match)


@get("/api/v1/roster/export", operation_id="exportRoster", tags=["roster"], opt=_PUBLIC,
     responses=problem_responses(422))
async def export_roster(roster: NamedDependency[Roster],
                        format: FromQuery[Literal["csv", "json"]] = "csv") -> Stream:
    """The whole roster as CSV or JSON (a time-stamped public snapshot)."""
    entries = roster.export()
    if format == "json":
        return Stream(_json_lines(entries), media_type="application/json",
                      headers={"Content-Disposition": 'attachment; filename="iris-roster.json"'})
    return Stream(_csv_lines(entries), media_type="text/csv; charset=utf-8",
                  headers={"Content-Disposition": 'attachment; filename="iris-roster.csv"'})


async def _csv_lines(entries: AsyncIterator[dict[str, Any]]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_FIELDS, lineterminator="\n")
    writer.writeheader()
    async for entry in entries:
        writer.writerow({**entry, "countries_of_operation": " ".join(entry["countries_of_operation"])})
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


async def _json_lines(entries: AsyncIterator[dict[str, Any]]) -> AsyncIterator[str]:
    yield '{"items":['
    first = True
    async for entry in entries:
        yield ("" if first else ",") + json.dumps(entry, separators=(",", ":"))
        first = False
    yield "]}"


roster_handlers = [search_roster, get_roster_entry, export_roster]
