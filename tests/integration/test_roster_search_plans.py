"""The roster search answers exactly what a plain scan answers, whichever plan reads the page
(sort index walk or trigram index first): same rows, same order, same cursors, same escaping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import exists, insert, select, tuple_
from sqlmodel import SQLModel, col

from iris_engine.cases.audit import GENESIS
from iris_engine.roster import search
from iris_engine.roster.models import RosterCountry, RosterEntry, RosterSector
from iris_engine.roster.search import like_pattern
from iris_engine.roster.service import PUBLIC_STATUSES, RosterQuery
from tests.integration.conftest import World

#: names that trip case folding, escaping and the trigram tokenizers
TRICKY = [
    "Straße Recruitment GmbH", "STRASSE Manpower", "100% Fair_Trade Ltd", "100 Fair Trade Ltd",
    "Back\\Slash Staffing", "Back/Slash Staffing", "Under_Score Jobs", "UnderXScore Jobs",
    "ΣΊΣΥΦΟΣ Εργασία", "σίσυφος placement", "İstanbul İnsan Kaynakları", "istanbul hr",  # noqa: RUF001
    "नेपाल मैनपावर प्रा. लि.", "Ångström Overseas", "ANGSTROM overseas", "Ab", "a", "Zz Top Jobs",
    "Émigré Services", "emigre services", "Fair%Trade", "Fair Trade", "Global Manpower Ltd",
    "Global  Manpower  Ltd", "Crème Brûlée Staff", "日本人材 Jobs", "ŁÓDŹ Praca", "Mañana S.A. de C.V.",
]
FRAGMENTS = [
    "straße", "strasse", "STRASSE", "%", "_", "\\", "100%", "r_t", "fair_trade", "fair%trade",
    "\\slash", "k\\s", "/", "ab", "a", "b", "x", "zz", "σίσυφος", "ΣΊΣΥΦΟΣ", "σ", "i̇stanbul",  # noqa: RUF001
    "istanbul", "नेपाल", "मैन", "ångström", "angstrom", "émigré", "ltd", "manpower ltd",
    "global  man", "l manp", "é", "人材", "łódź", "s.a. de", "a. de c", "ñana", "e s", "  ",
    "staffing", "jobs", "nothing here at all",
]


async def _seed(world: World) -> list[str]:
    """Roster rows written directly (many, cheaply): each tricky name several times over, in
    three countries, with statuses and sectors in rotation."""
    tables = SQLModel.metadata.tables
    now = datetime.now(UTC)
    orgs, cases, entries, countries, sectors = [], [], [], [], []
    lrns = []
    names = [f"{n} {i}" if i else n for i in range(8) for n in TRICKY]
    async with world.services.db.read() as session:
        base = int(await session.scalar(select(col(RosterEntry.case_id)).order_by(
            col(RosterEntry.case_id).desc()).limit(1)) or 0) + 10_000
    for i, name in enumerate(names):
        lrn = f"LRN9{i:07d}"
        lrns.append(lrn)
        home = ("NP", "PH", "KE")[i % 3]
        operate = sorted({home, ("QA", "AE")[i % 2]})
        orgs.append({"id": base + i, "kind": "recruiter", "name": name, "country": home,
                     "created_at": now})
        cases.append({"id": base + i, "workflow": "accreditation", "workflow_version": 1,
                      "state": "accredited", "revision": 0, "organisation_id": base + i,
                      "assignee_id": None, "head_hash": GENESIS, "created_at": now,
                      "updated_at": now})
        entries.append({"lrn": lrn, "case_id": base + i, "name": name, "name_key": name.casefold(),
                        "skeleton_digest": "x", "folded_skeleton_digest": "x", "country": home,
                        "countries": " ".join(operate),
                        "status": PUBLIC_STATUSES[i % len(PUBLIC_STATUSES)],
                        "under_appeal": False, "accredited_on": date(2026, 1, 1),
                        "valid_until": date(2029, 1, 1), "status_since": date(2026, 1, 1),
                        "updated_at": now})
        countries += [{"lrn": lrn, "country": c, "name_key": name.casefold()} for c in operate]
        if i % 4 == 0:
            sectors.append({"lrn": lrn, "sector": "construction"})
    async with world.services.db.write() as session:
        conn = await session.connection()
        for table, rows in (("organisation", orgs), ("case_file", cases),
                            ("roster_entry", entries), ("roster_country", countries),
                            ("roster_sector", sectors)):
            await conn.execute(insert(tables[table]), rows)
    return lrns


async def _reference(world: World, q: RosterQuery) -> dict[str, Any]:
    """The search as it was before the trigram indexes: one statement, a LIKE scan."""
    stmt = select(col(RosterEntry.lrn), col(RosterEntry.name_key)).where(
        col(RosterEntry.status).in_(q.status))
    if q.country:
        stmt = stmt.join(RosterCountry, (col(RosterCountry.lrn) == col(RosterEntry.lrn))
                         & (col(RosterCountry.country) == q.country))
    if q.sector:
        stmt = stmt.where(exists().where(col(RosterSector.lrn) == col(RosterEntry.lrn),
                                         col(RosterSector.sector) == q.sector))
    if q.q:
        stmt = stmt.where(col(RosterEntry.name_key).like(like_pattern(q.q), escape="\\"))
    async with world.services.db.read() as session:
        if q.cursor:
            after = await session.scalar(select(col(RosterEntry.name_key)).where(
                col(RosterEntry.lrn) == q.cursor))
            stmt = stmt.where(tuple_(col(RosterEntry.name_key), col(RosterEntry.lrn))
                              > (after, q.cursor))
        rows = (await session.execute(stmt.order_by(col(RosterEntry.name_key),
                                                    col(RosterEntry.lrn)).limit(q.limit + 1))).all()
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    return {"lrns": [r.lrn for r in rows], "next_cursor": rows[-1].lrn if more else None}


async def _pages(world: World, query: RosterQuery, *, reference: bool) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):  # bounded
        q = RosterQuery(**{**{f: getattr(query, f) for f in query.__slots__},  # type: ignore[attr-defined]
                           "cursor": cursor}).checked()
        if reference:
            page = await _reference(world, q)
        else:
            body, _reach = await world.services.roster._search(q)
            page = {"lrns": [e["lrn"] for e in body["items"]], "next_cursor": body["next_cursor"]}
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize(("few_matches", "walk"), [(search.FEW_MATCHES, search.WALK), (4, 1000),
                                                    (4, 10)])
async def test_every_plan_answers_what_a_scan_answers(world: World, few_matches: int, walk: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # the default reads every fragment of 3+ characters from the trigram index first (this
    # roster is small); with 4, most fragments walk the sort index; with a walk of 10 entries,
    # most walks fall back to the trigram index
    monkeypatch.setattr(search, "FEW_MATCHES", few_matches)
    monkeypatch.setattr(search, "WALK", walk)
    await _seed(world)
    queries = [RosterQuery(q=f, limit=limit) for f in FRAGMENTS for limit in (7, 200)]
    queries += [RosterQuery(q=f, country=c, limit=5) for f in FRAGMENTS[::3] for c in ("QA", "KE")]
    queries += [RosterQuery(q=f, status=("suspended",), limit=4) for f in FRAGMENTS[::4]]
    queries += [RosterQuery(q=f, status=("expired", "withdrawn"), country="NP", limit=3)
                for f in FRAGMENTS[::5]]
    queries += [RosterQuery(q=f, sector="construction", limit=6) for f in FRAGMENTS[::6]]
    queries += [RosterQuery(country="PH", limit=9), RosterQuery(limit=50),
                RosterQuery(status=("accredited",), limit=11)]
    matched = 0
    for query in queries:
        expected = await _pages(world, query, reference=True)
        assert await _pages(world, query, reference=False) == expected, query
        matched += sum(len(p["lrns"]) for p in expected)
    assert matched > 1000  # the fragments do match rows (a test of nothing would pass too)
