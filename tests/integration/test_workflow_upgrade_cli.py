"""`iris workflows upgrade` on the accreditation workflow as released: cases opened while only
version 1 was served (`workflows/accreditation/accreditation-v1.yaml`) move to version 2
(`workflows/accreditation.yaml`: renewal, restoration, appeals, licences, scope), and
`iris audit verify` still rebuilds the public roster from events of both versions."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlmodel import col

from iris_engine.cli import main
from iris_engine.store.models import Case, Timer
from tests.conftest import REPO
from tests.integration.conftest import TEST_DATA_KEYS, Cast, World, walk_to

RELEASED = REPO / "workflows"


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    """The release before: accreditation v1 as the only accreditation file."""
    before = tmp_path / "release-1"
    shutil.copytree(RELEASED, before)
    shutil.rmtree(before / "accreditation")
    shutil.copy(RELEASED / "accreditation" / "accreditation-v1.yaml", before / "accreditation.yaml")
    return {"workflows_dir": before}


async def walk_v1(cast: Cast, target: str) -> int:
    """An application walked on version 1 (no scope to state there)."""
    case_id = await walk_to(cast, target, scope=False)
    assert (await cast.recruiter.get(f"/api/v1/applications/{case_id}")).json()[
        "workflow_version"] == 1
    return case_id


async def iris(world: World, folder: Path, *args: str) -> Result:
    env = {"IRIS_DATABASE_URL": world.settings.database_url, "IRIS_WORKFLOWS_DIR": str(folder),
           "IRIS_DATA_KEYS": TEST_DATA_KEYS}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def test_live_applications_move_and_the_roster_still_verifies(world: World,
                                                                     cast: Cast) -> None:
    accredited = await walk_v1(cast, "accredited")
    other = Cast(await world.recruiter("Kathmandu Fair Jobs"), cast.manager, cast.auditor)
    submitted = await walk_v1(other, "submitted")
    third = Cast(await world.recruiter("Lumbini Overseas"), cast.manager, cast.auditor)
    rejected = await walk_v1(third, "submitted")
    r = await cast.manager.fire(rejected, "reject_application", reason_code="not_eligible",
                                note="Not a recruiter")
    assert r.status_code == 200 and r.json()["state"] == "rejected", r.text
    folder = RELEASED

    dry = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "2",
                     "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would move  case {accredited} (accredited): v1 -> v2; keeps " in dry.stdout
    assert f"would move  case {submitted} (submitted): v1 -> v2; keeps review_due" in dry.stdout
    assert dry.stdout.splitlines()[-1] == ("dry run, nothing written: 2 would move to "
                                           "accreditation v2, 0 refused, 0 already there; "
                                           "1 closed left on their version")

    moved = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "2")
    assert moved.exit_code == 0, moved.output
    assert f"moved       case {accredited} (accredited): v1 -> v2, event #" in moved.stdout
    assert moved.stdout.splitlines()[-1] == ("2 moved to accreditation v2, 0 refused, "
                                             "0 already there; 1 closed left on their version")

    verify = await iris(world, folder, "audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert "read models rebuilt from the events and equal: roster" in verify.output

    async with world.services.db.read() as session:
        cases = {c.id: c for c in (await session.scalars(select(Case))).all()}
        watched = (await session.scalars(select(Timer).where(
            col(Timer.case_id) == accredited, col(Timer.name) == "licence_expiry",
            col(Timer.kind) == "deadline", col(Timer.status) == "pending"))).all()
    assert (cases[accredited].workflow_version, cases[submitted].workflow_version) == (2, 2)
    # v2 watches the accredited recruiter's licence from the upgrade on
    assert len(watched) == 1
    # a rejection was final on v1 and stays so: v2's appeal period is not given to it after
    # the fact, and the organisation may apply again
    assert (cases[rejected].workflow_version, cases[rejected].state) == (1, "rejected")

    again = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "2")
    assert (again.exit_code, again.stdout.splitlines()[-1]) == (
        0, "0 moved to accreditation v2, 0 refused, 0 already there; "
        "1 closed left on their version")


async def test_it_exits_1_when_a_case_cannot_move(world: World) -> None:
    folder = RELEASED
    result = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "2",
                        "--case", "999999")
    assert result.exit_code == 1
    assert "refused     case 999999: no case 999999" in result.stderr

    unknown = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "4")
    assert unknown.exit_code == 1
    assert "no workflow 'accreditation' version 4" in unknown.output
