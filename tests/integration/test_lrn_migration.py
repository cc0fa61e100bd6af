"""Migration 0010 gives each organisation that already holds an LRN its one reference: the
earliest it was given. An organisation given two before keeps the later on that case as
history; the case's copy is no longer unique, so its next accreditation can carry the
reference."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError

from iris_engine.migrations import upgrade
from tests.integration.conftest import run_sql

#: (case id, organisation id, LRN, accredited on)
ACCREDITED = [(1, 1, "LRN00000007", date(2024, 3, 1)), (2, 1, "LRN00000003", date(2025, 5, 1)),
              (3, 2, "LRN00000005", date(2025, 1, 1)), (4, 2, None, None)]


def test_each_organisation_gets_its_earliest_lrn_as_its_reference(empty_database: str) -> None:
    upgrade(empty_database, "0007")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    statements: list[tuple[str, dict[str, object]]] = [
        ("INSERT INTO organisation (id, kind, name, country, created_at) "
         "VALUES (:i, 'recruiter', :name, 'NP', :now)", {"i": i, "name": f"Agency {i}", "now": now})
        for i in (1, 2, 3)]
    for case_id, org, lrn, on in ACCREDITED:
        statements += [
            ("INSERT INTO case_file (id, workflow, workflow_version, state, revision, "
             "organisation_id, head_hash, created_at, updated_at) VALUES (:i, 'accreditation', 1, "
             "'accredited', 0, :org, '', :now, :now)", {"i": case_id, "org": org, "now": now}),
            ("INSERT INTO accreditation (case_id, code_of_conduct, lrn, accredited_on, valid_until) "
             "VALUES (:i, 'iris-standard/1.2', :lrn, :on, :on)",
             {"i": case_id, "lrn": lrn, "on": on}),
        ]
    asyncio.run(run_sql(empty_database, *statements))

    upgrade(empty_database)
    rows = asyncio.run(run_sql(empty_database, (
        "SELECT organisation_id, lrn, case_id FROM recruiter_reference ORDER BY organisation_id",
        {})))
    # organisation 1: the LRN of 2024, though its number is the larger; 3 never held one
    assert rows == [(1, "LRN00000007", 1), (2, "LRN00000005", 3)]
    # a case's copy is no longer unique: the organisation's next case carries the same number
    asyncio.run(run_sql(empty_database, ("UPDATE accreditation SET lrn = 'LRN00000005' "
                                      "WHERE case_id = 4", {})))
    try:
        asyncio.run(run_sql(empty_database, (
            "INSERT INTO recruiter_reference (organisation_id, lrn, issued_at, case_id) "
            "VALUES (3, 'LRN00000005', :now, 4)", {"now": now})))
    except IntegrityError:
        pass
    else:
        raise AssertionError("two organisations were given one reference")
