"""`iris serve` on PostgreSQL does not migrate (a deployment upgrades once, not from every
process): it refuses to start on a database that is not at the newest migration, and says
what to run, instead of failing on the first request with "relation ... does not exist"."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result

from iris_engine.cli import main
from iris_engine.migrations import alembic_config, upgrade


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `iris serve` handed to uvicorn, if it got that far (nothing is served)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    return calls


def _serve(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["serve", "--port", "8999", *args],
                              env={"IRIS_DATABASE_URL": url})


def _head() -> str:
    (head,) = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return head


def test_an_empty_database_is_refused_with_what_to_run(empty_postgres: str,
                                                       served: list[dict[str, Any]]) -> None:
    result = _serve(empty_postgres, "--demo")
    assert result.exit_code == 1, result.output
    assert "no IRIS schema" in result.output
    assert "Run `iris db upgrade` first" in result.output
    assert f"needs migration {_head()}" in result.output
    assert not served


def test_a_database_one_migration_behind_is_refused(empty_postgres: str,
                                                     served: list[dict[str, Any]]) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_postgres))
    previous = script.get_revision(_head()).down_revision
    assert isinstance(previous, str)
    upgrade(empty_postgres, previous)
    result = _serve(empty_postgres)
    assert result.exit_code == 1, result.output
    assert f"has {previous}; this version needs migration {_head()}" in result.output
    assert not served


def test_a_database_at_the_newest_migration_is_served(empty_postgres: str,
                                                      served: list[dict[str, Any]]) -> None:
    upgrade(empty_postgres)
    result = _serve(empty_postgres)
    assert result.exit_code == 0, result.output
    assert [call["port"] for call in served] == [8999]


def test_an_unreachable_database_is_named_without_its_password(
        served: list[dict[str, Any]]) -> None:
    # a port nothing listens on: the error names the database, and hides the password
    result = _serve("postgresql+asyncpg://iris:hunter2-secret@127.0.0.1:1/iris")
    assert result.exit_code == 1, result.output
    assert "cannot open the database at postgresql+asyncpg://iris:***@127.0.0.1:1/iris" in \
        result.output
    assert "hunter2" not in result.output
    assert not served
