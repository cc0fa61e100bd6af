"""`iris training` against a real, migrated SQLite file: courses are added and revised as a
training coordinator's account only, listed and shown by version; statistics print; refusals
are clean messages naming the pointer, never a traceback."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from iris_engine.cli import main
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import Organisation, User
from iris_engine.training.courses import DEMO_COURSES

FRONTLINE = DEMO_COURSES / "trafficking-awareness-frontline.json"
RECRUITERS = DEMO_COURSES / "iris-ethical-recruitment-foundations.json"
COORDINATOR = "coordinator@training.example"


def _accounts(database_url: str) -> None:
    """A training coordinator, a trainer and a deactivated coordinator (made as rows: the roles
    come with the training workflows)."""
    async def go() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.write() as session:
                org = Organisation(kind="scheme", name="Training Provider", country="GB",
                                   created_at=datetime.now(UTC))
                session.add(org)
                await session.flush()
                for email, roles, active in [(COORDINATOR, "training_coordinator", True),
                                             ("trainer@training.example", "trainer", True),
                                             ("gone@training.example", "training_coordinator", False)]:
                    session.add(User(email=email, name=email, password_hash="x",
                                     organisation_id=org.id or 0, roles=roles, active=active,
                                     created_at=datetime.now(UTC)))
        finally:
            await database.dispose()

    asyncio.run(go())


@pytest.fixture
def iris(clean_environ: None, database_url: str) -> Any:
    _accounts(database_url)

    def invoke(*args: str, stdin: str | None = None) -> Result:
        runner = CliRunner(env={"IRIS_DATABASE_URL": database_url})
        return runner.invoke(main, ["training", *args], input=stdin)

    return invoke


def test_add_list_show_and_revise(iris: Any, tmp_path: Path) -> None:
    result = iris("courses", "add", str(FRONTLINE), "--as", COORDINATOR)
    assert result.exit_code == 0, result.output
    added = json.loads(result.output)
    assert (added["key"], added["version"], added["cpd_hours"]) == (
        "trafficking-awareness-frontline", 1, 3.0)
    assert added["created_by"] is not None
    result = iris("courses", "add", "-", "--as", COORDINATOR.upper(), stdin=RECRUITERS.read_text())
    assert result.exit_code == 0, result.output

    revised = json.loads(FRONTLINE.read_text()) | {"title": "Frontline awareness, revised"}
    path = tmp_path / "revised.json"
    path.write_text(json.dumps(revised))
    result = iris("courses", "revise", "trafficking-awareness-frontline", str(path), "--as", COORDINATOR)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["version"] == 2

    result = iris("courses", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("iris-ethical-recruitment-foundations") and "[accreditation" in lines[0]
    assert "v2" in lines[1] and "Frontline awareness, revised" in lines[1]

    shown = json.loads(iris("courses", "show", "trafficking-awareness-frontline").output)
    assert (shown["version"], shown["title"]) == (2, "Frontline awareness, revised")
    result = iris("courses", "show", "trafficking-awareness-frontline", "--version", "1")
    assert json.loads(result.output)["title"] == json.loads(FRONTLINE.read_text())["title"]


@pytest.mark.parametrize("as_email, message", [
    ("trainer@training.example", "training coordinator"),
    ("gone@training.example", "no active account"),
    ("nobody@training.example", "no active account"),
])
def test_only_a_training_coordinator_writes(iris: Any, as_email: str, message: str) -> None:
    result = iris("courses", "add", str(FRONTLINE), "--as", as_email)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert iris("courses", "list").output == ""


def test_refusals_are_clean_messages(iris: Any, tmp_path: Path) -> None:
    bad = json.loads(FRONTLINE.read_text()) | {"cpd_hours": 4, "format": "hybrid"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = iris("courses", "add", str(path), "--as", COORDINATOR)
    assert result.exit_code == 1
    assert "/format:" in result.output and "Traceback" not in result.output
    path.write_text("{not json")
    result = iris("courses", "add", str(path), "--as", COORDINATOR)
    assert result.exit_code == 1 and "is not JSON" in result.output
    result = iris("courses", "add", str(tmp_path / "missing.json"), "--as", COORDINATOR)
    assert result.exit_code == 2
    result = iris("courses", "add", str(FRONTLINE))  # --as is required
    assert result.exit_code == 2 and "--as" in result.output
    assert iris("courses", "add", str(FRONTLINE), "--as", COORDINATOR).exit_code == 0
    result = iris("courses", "add", str(FRONTLINE), "--as", COORDINATOR)
    assert result.exit_code == 1 and "exists" in result.output
    result = iris("courses", "show", "no-such-course")
    assert result.exit_code == 1 and "no course" in result.output
    result = iris("courses", "revise", "no-such-course", str(RECRUITERS), "--as", COORDINATOR)
    assert result.exit_code == 1 and "/key" in result.output


def test_stats_print_a_table_and_json(iris: Any) -> None:
    result = iris("stats")
    assert result.exit_code == 0, result.output
    assert "all courses" in result.output and "learners by sector: none" in result.output
    result = iris("stats", "--json", "--from", "2026-01-01", "--to", "2026-12-31",
                  "--course", "trafficking-awareness-frontline")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["from"], figures["sessions_held"], figures["attendance_rate"]) == (
        "2026-01-01", 0, None)
    result = iris("stats", "--from", "2026-12-31", "--to", "2026-01-01")
    assert result.exit_code == 1 and "/query/to" in result.output
    assert iris("stats", "--from", "someday").exit_code == 2
