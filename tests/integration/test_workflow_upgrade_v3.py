"""Accreditation version 3 adds the training prerequisite to ``submit``: cases opened on version
2 (`workflows/accreditation/accreditation-v2.yaml`) keep running on it, untouched, until
`iris workflows upgrade accreditation --to 3` moves them; a draft moved on then needs the
training before it is submitted, and one already submitted is not asked again."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient

from iris_engine.app import create_app
from iris_engine.services import build_services
from tests.integration.conftest import (
    PASSWORD,
    Actor,
    World,
    state_scope,
    valid_self_assessment,
)
from tests.integration.conftest import test_settings as settings_for
from tests.integration.test_accreditation_prerequisite import certify, course, refusal_of
from tests.integration.test_workflow_upgrade_cli import RELEASED, iris


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    """The release before: accreditation v2 the latest, v1 kept beside it."""
    before = tmp_path / "release-2"
    shutil.copytree(RELEASED, before)
    (before / "accreditation" / "accreditation-v2.yaml").replace(before / "accreditation.yaml")
    return {"workflows_dir": before}


@asynccontextmanager
async def released(world: World) -> AsyncIterator[AsyncClient]:
    """The app as released (v3 beside v1 and v2) over the world's database."""
    settings = settings_for(world.settings.database_url, anchor_dir=world.settings.anchor_dir)
    services = build_services(settings, clock=world.clock)
    try:
        async with AsyncClient(transport=ASGITransport(app=create_app(settings, services=services)),
                               base_url="http://testserver") as client:
            yield client
    finally:
        await services.db.dispose()


async def login(client: AsyncClient, email: str) -> Actor:
    r = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    return Actor(client, body["access_token"], body["user_id"], body["organisation_id"])


async def test_a_v2_draft_moved_to_v3_needs_the_training_to_submit(world: World) -> None:
    recruiter = await world.recruiter("Everest Fair Recruitment", certified=False)
    r = await recruiter.post("/api/v1/applications", {"self_assessment": valid_self_assessment()})
    draft = r.json()["id"]
    await state_scope(recruiter, draft)
    submitter = await world.recruiter("Kathmandu Placement", certified=False)
    r = await submitter.post("/api/v1/applications", {"self_assessment": valid_self_assessment()})
    submitted = r.json()["id"]
    await state_scope(submitter, submitted)
    r = await submitter.fire(submitted, "submit")  # v2 asks no training
    assert r.status_code == 200 and r.json()["workflow_version"] == 2, r.text

    moved = await iris(world, RELEASED, "workflows", "upgrade", "accreditation", "--to", "3")
    assert moved.exit_code == 0, moved.output
    assert f"moved       case {draft} (draft): v2 -> v3, event #" in moved.stdout
    assert f"moved       case {submitted} (submitted): v2 -> v3, event #" in moved.stdout
    assert "keeps review_due" in moved.stdout
    verify = await iris(world, RELEASED, "audit", "verify")
    assert verify.exit_code == 0, verify.output

    async with released(world) as client:
        owner = await login(client, "everest.fair.recruitment@agency.example")
        message = refusal_of(await owner.fire(draft, "submit"))
        assert "iris-ethical-recruitment-foundations" in message
        await certify(world, owner.organisation_id, await course(world))
        r = await owner.fire(draft, "submit")
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["workflow_version"]) == ("submitted", 3)

