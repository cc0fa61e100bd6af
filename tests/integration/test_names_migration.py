"""Migration 0008 gives the recruiters already on the roster their look-alike digests, so a
name registered after the upgrade is compared with them too."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from iris_engine.migrations import upgrade
from iris_engine.names import look_alike_digests
from tests.integration.conftest import run_sql

LISTED = {"LRN00000001": "L\u043etus Manpower", "LRN00000002": "Sunrise Staffing"}


def test_the_roster_already_listed_gets_its_digests(empty_database: str) -> None:
    upgrade(empty_database, "0004")
    now, today = datetime.now(UTC), date.today()
    statements: list[tuple[str, dict[str, object]]] = []
    for i, (lrn, name) in enumerate(LISTED.items(), start=1):
        statements += [
            ("INSERT INTO organisation (id, kind, name, country, created_at) "
             "VALUES (:i, 'recruiter', :name, 'NP', :now)", {"i": i, "name": name, "now": now}),
            ("INSERT INTO case_file (id, workflow, workflow_version, state, revision, "
             "organisation_id, head_hash, created_at, updated_at) VALUES (:i, 'accreditation', 1, "
             "'accredited', 0, :i, '', :now, :now)", {"i": i, "now": now}),
            ("INSERT INTO roster_entry (lrn, case_id, name, name_key, country, countries, status, "
             "accredited_on, valid_until, status_since, updated_at) VALUES (:lrn, :i, :name, "
             ":key, 'NP', 'NP', 'accredited', :today, :today, :today, :now)",
             {"lrn": lrn, "i": i, "name": name, "key": name.casefold(), "today": today,
              "now": now}),
        ]
    asyncio.run(run_sql(empty_database, *statements))

    upgrade(empty_database)
    rows = asyncio.run(run_sql(empty_database, (
        "SELECT lrn, skeleton_digest, folded_skeleton_digest FROM roster_entry ORDER BY lrn", {})))
    assert rows == [(lrn, look_alike_digests(name).exact, look_alike_digests(name).folded)
                    for lrn, name in sorted(LISTED.items())]
    assert look_alike_digests("Lotus Manpower").exact == rows[0][1]  # the Latin name meets it
