"""`iris workflows upgrade` on the accreditation workflow, as the next release will use it:
v1 kept in a sub-folder, v2 beside it, live applications moved, and `iris audit verify` still
rebuilding the public roster from events of both versions."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from iris_engine.cli import main
from tests.conftest import REPO
from tests.integration.conftest import TEST_DATA_KEYS, Cast, World, walk_to


def next_release(folder: Path) -> Path:
    """The workflows folder with accreditation v1 in a sub-folder and a v2 beside it whose
    certificate event has another name: replayed on v2, v1's events would lose the roster."""
    shutil.copytree(REPO / "workflows", folder)
    (folder / "accreditation").mkdir()
    v1 = folder / "accreditation.yaml"
    v1.rename(folder / "accreditation" / "accreditation-v1.yaml")
    text = (REPO / "workflows" / "accreditation.yaml").read_text()
    assert text.count("\nversion: 1\n") == 1 and text.count("- event: accredit\n") == 1
    v1.write_text(text.replace("\nversion: 1\n", "\nversion: 2\n")
                  .replace("- event: accredit\n", "- event: grant_accreditation\n"))
    return folder


async def iris(world: World, folder: Path, *args: str) -> Result:
    env = {"IRIS_DATABASE_URL": world.settings.database_url, "IRIS_WORKFLOWS_DIR": str(folder),
           "IRIS_DATA_KEYS": TEST_DATA_KEYS}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def test_live_applications_move_and_the_roster_still_verifies(world: World, cast: Cast,
                                                                     tmp_path: Path) -> None:
    accredited = await walk_to(cast, "accredited")
    other = Cast(await world.recruiter("Kathmandu Fair Jobs"), cast.manager, cast.auditor)
    submitted = await walk_to(other, "submitted")
    folder = next_release(tmp_path / "workflows")

    dry = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "2",
                     "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would move  case {accredited} (accredited): v1 -> v2; keeps " in dry.stdout
    assert f"would move  case {submitted} (submitted): v1 -> v2; keeps review_due" in dry.stdout
    assert dry.stdout.splitlines()[-1] == ("dry run, nothing written: 2 would move to "
                                           "accreditation v2, 0 refused, 0 already there")

    moved = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "2")
    assert moved.exit_code == 0, moved.output
    assert f"moved       case {accredited} (accredited): v1 -> v2, event #" in moved.stdout
    assert moved.stdout.splitlines()[-1] == ("2 moved to accreditation v2, 0 refused, "
                                             "0 already there")

    verify = await iris(world, folder, "audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert "read models rebuilt from the events and equal: roster" in verify.output

    again = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "2")
    assert (again.exit_code, again.stdout.splitlines()[-1]) == (
        0, "0 moved to accreditation v2, 0 refused, 0 already there")


async def test_it_exits_1_when_a_case_cannot_move(world: World, tmp_path: Path) -> None:
    folder = next_release(tmp_path / "workflows")
    result = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "2",
                        "--case", "999999")
    assert result.exit_code == 1
    assert "refused     case 999999: no case 999999" in result.stderr

    unknown = await iris(world, folder, "workflows", "upgrade", "accreditation", "--to", "3")
    assert unknown.exit_code == 1
    assert "no workflow 'accreditation' version 3" in unknown.output
