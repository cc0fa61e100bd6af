"""The roster search answers exactly what a plain scan answers, whichever plan reads the page
(sort index walk or trigram index first): same rows, same order, same cursors, same escaping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete, exists, insert, select, text, tuple_, update
from sqlmodel import SQLModel, col

from iris_engine.cases.audit import GENESIS
from iris_engine.roster import search
from iris_engine.roster.models import RosterCountry, RosterEntry, RosterSector
from iris_engine.roster.search import like_pattern
from iris_engine.roster.service import PUBLIC_STATUSES, RosterQuery
from tests.integration.conftest import Cast, World, walk_to

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
        countries += [{"lrn": lrn, "country": c, "name_key": name.casefold(),
                       "status": entries[-1]["status"]} for c in operate]
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
    if q.lrn:
        stmt = stmt.where(col(RosterEntry.lrn).startswith(q.lrn, autoescape=True))
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
    # one status in a country, and statuses not side by side in the partitions (two ranges)
    queries += [RosterQuery(q=f, status=("withdrawn",), country="QA", limit=4)
                for f in FRAGMENTS[1::5]]
    queries += [RosterQuery(q=f, status=("suspended", "expired"), country=c, limit=3)
                for f in FRAGMENTS[2::5] for c in (None, "AE")]
    queries += [RosterQuery(q=f, sector="construction", limit=6) for f in FRAGMENTS[::6]]
    # a name and the beginning of a certificate number (every seeded one, then a hundred)
    queries += [RosterQuery(q=f, lrn=prefix, country=c, limit=3) for f in FRAGMENTS[::4]
                for prefix in ("LRN90000", "lrn900001") for c in (None, "QA")]
    queries += [RosterQuery(country="PH", limit=9), RosterQuery(limit=50),
                RosterQuery(status=("accredited",), limit=11)]
    matched = 0
    for query in queries:
        expected = await _pages(world, query, reference=True)
        assert await _pages(world, query, reference=False) == expected, query
        matched += sum(len(p["lrns"]) for p in expected)
    assert matched > 1000  # the fragments do match rows (a test of nothing would pass too)


async def _name_indexes(world: World) -> None:
    """SQLite: each FTS5 table holds exactly the names its rowids say (partition and case id,
    as ``search`` computes them), and passes FTS5's own integrity check."""
    async with world.services.db.read() as session:
        entries = {search.entry_key(r.status, r.case_id): (r.name_key, r.lrn)
                   for r in (await session.execute(select(
                       col(RosterEntry.status), col(RosterEntry.case_id),
                       col(RosterEntry.name_key), col(RosterEntry.lrn)))).all()}
        in_countries = {search.country_key(r.country, r.status, r.case_id): (r.name_key, r.lrn)
                        for r in (await session.execute(select(
                            col(RosterCountry.country), col(RosterEntry.status),
                            col(RosterEntry.case_id), col(RosterCountry.name_key),
                            col(RosterCountry.lrn)).join(
                            RosterEntry, col(RosterEntry.lrn) == col(RosterCountry.lrn)))).all()}
        for table, expected in (("roster_search", entries),
                                ("roster_country_search", in_countries)):
            filed = {r.rowid: (r.name_key, r.lrn) for r in (await session.execute(text(
                f"SELECT rowid, name_key, lrn FROM {table}"))).all()}
            assert filed == expected, table
    async with world.services.db.write() as session:
        for table in ("roster_search", "roster_country_search"):
            await session.execute(text(
                f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))


async def test_the_name_indexes_follow_every_change_to_the_roster(
        world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever writes the roster (the projection of a transition, or a statement on the tables
    themselves), the partitioned name indexes follow: a status change moves a name to another
    partition, a rename, a country added or gone, an entry that follows another case, an entry
    removed. The searches then still answer what a scan answers, by every plan."""
    lrns = await _seed(world)
    case_id = await walk_to(cast, "accredited")
    r = await cast.manager.fire(case_id, "suspend", reason_code="other", note="x")
    assert r.status_code == 200, r.text
    tables = SQLModel.metadata.tables
    now = datetime.now(UTC)
    async with world.services.db.write() as session:
        moved = (await session.execute(text("SELECT id FROM case_file ORDER BY id DESC LIMIT 1"))
                 ).scalar_one() + 1
        await session.execute(insert(tables["case_file"]), {
            "id": moved, "workflow": "accreditation", "workflow_version": 1,
            "state": "accredited", "revision": 0, "organisation_id": None, "assignee_id": None,
            "head_hash": GENESIS, "created_at": now, "updated_at": now})
        entry, country = tables["roster_entry"], tables["roster_country"]
        for i, lrn in enumerate(lrns[:40]):  # statuses rotate the other way
            await session.execute(update(entry).where(entry.c.lrn == lrn).values(
                status=PUBLIC_STATUSES[-1 - i % len(PUBLIC_STATUSES)]))
        renamed = "global manpower renamed pvt. ltd"
        await session.execute(update(entry).where(entry.c.lrn == lrns[41]).values(
            name="Global Manpower Renamed Pvt. Ltd", name_key=renamed))
        await session.execute(update(country).where(country.c.lrn == lrns[41]).values(
            name_key=renamed))
        await session.execute(delete(country).where(country.c.lrn == lrns[42],
                                                    country.c.country != "QA"))
        # a writer that names another status than the entry's: the database keeps the entry's
        await session.execute(insert(country), {"lrn": lrns[43], "country": "MX",
                                                "name_key": (await session.execute(select(
                                                    entry.c.name_key).where(
                                                    entry.c.lrn == lrns[43]))).scalar_one(),
                                                "status": "withdrawn"})
        await session.execute(update(entry).where(entry.c.lrn == lrns[44]).values(
            case_id=moved, status="expired"))
        await session.execute(delete(country).where(country.c.lrn == lrns[45]))
        await session.execute(delete(entry).where(entry.c.lrn == lrns[45]))
    async with world.services.db.read() as session:
        assert not (await session.execute(select(col(RosterCountry.lrn)).join(
            RosterEntry, col(RosterEntry.lrn) == col(RosterCountry.lrn)).where(
            col(RosterCountry.status) != col(RosterEntry.status)))).all()
        assert (await session.execute(select(col(RosterCountry.status)).where(
            col(RosterCountry.lrn) == lrns[43], col(RosterCountry.country) == "MX"))
                ).scalar_one() != "withdrawn"
    if world.services.db.is_sqlite:
        await _name_indexes(world)
    queries = [RosterQuery(q=f, country=c, status=s, limit=6)
               for f in ("global", "manpower", "renamed", "ltd", "fair", "everest", "jobs")
               for c in (None, "QA", "MX", "NP")
               for s in ((), ("suspended",), ("expired", "accredited"))]
    for few_matches in (search.FEW_MATCHES, 4):
        monkeypatch.setattr(search, "FEW_MATCHES", few_matches)
        for query in queries:
            assert await _pages(world, query, reference=False) == await _pages(
                world, query, reference=True), query
