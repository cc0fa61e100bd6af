"""Every role against every certificate endpoint (beside test_role_matrix.py, whose rows are
for the case workflows). The public ones answer everyone; a certificate's copies answer its
learner (link token), the training coordinator and the coordinator of the learner's
organisation, and 404 to everyone else, exactly as for a number never issued."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.certificate_support import (
    ACTORS,
    certificate_world,
    course,
    issue,
    organisation,
    rows,
)
from tests.integration.conftest import World, assert_problem


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in certificate_world(database_url, tmp_path):
        yield w


async def test_every_role_against_every_certificate_endpoint(world: World) -> None:
    c = await course(world)
    police = await organisation(world, "Metropolitan Police")
    await organisation(world, "City Council")
    issued = await issue(world, c, organisation_id=police)
    other = await issue(world, c, name="Sita Rai", status_index=99)
    headers: dict[str, dict[str, str]] = {
        "anonymous": {},
        "learner": {"X-Learner-Token": issued.learner_token},
        "other_learner": {"X-Learner-Token": other.learner_token},
    }
    accounts = {
        "training_coordinator": ("IOM training", "audit_body"),
        "trainer": ("IOM training", "audit_body"),
        "organisation_coordinator": ("Metropolitan Police", "recruiter"),
        "other_organisation_coordinator": ("City Council", "recruiter"),
        "recruiter": ("Metropolitan Police", "recruiter"),
        "auditor": ("Audit Body", "audit_body"), "scheme_manager": ("Scheme", "scheme"),
        "caseworker": ("Scheme", "scheme"), "supervisor": ("Scheme", "scheme"),
        "admin": ("Scheme", "scheme"),
    }
    for actor, (org, kind) in accounts.items():
        role = "organisation_coordinator" if actor.endswith("organisation_coordinator") else actor
        headers[actor] = (await world.staff(f"{actor}@example.org", role, organisation=org,
                                            kind=kind)).headers
    assert set(headers) == set(ACTORS)

    mismatches = []
    for path, table in rows(issued.number):
        assert set(table) == set(ACTORS)
        for actor in ACTORS:
            r = await world.client.get(path, headers=headers[actor])
            if r.status_code != table[actor]:
                mismatches.append(f"{actor:>31} GET {path}: {r.status_code}, not {table[actor]}")
            elif r.status_code >= 400:
                assert_problem(r)
    assert not mismatches, "\n" + "\n".join(mismatches)
