"""`iris returns stats` against a real, migrated SQLite file: the figures print as a table and
as JSON, hidden counts as over HTTP; a bad range or country is a clean message, never a
traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from iris_engine.cli import main


@pytest.fixture
def iris(clean_environ: None, database_url: str) -> Any:
    def invoke(*args: str) -> Result:
        return CliRunner(env={"IRIS_DATABASE_URL": database_url}).invoke(
            main, ["returns", "stats", *args])

    return invoke


def test_stats_print_a_table_and_json(iris: Any) -> None:
    result = iris()
    assert result.exit_code == 0, result.output
    assert 'returns: 0 (counts under 5 shown as "<5"' in result.output
    assert "enquiry to departure: 0 departed, median - days" in result.output
    result = iris("--json", "--from", "2026-01-01", "--to", "2026-12-31", "--country", "RO")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["from"], figures["country"], figures["smallest_count"], figures["returns"]) == (
        "2026-01-01", "RO", 5, 0)


def test_a_bad_filter_is_a_clean_message(iris: Any) -> None:
    result = iris("--from", "2026-12-31", "--to", "2026-01-01")
    assert result.exit_code == 1 and "/query/to" in result.output
    assert iris("--from", "someday").exit_code == 2
    result = iris("--country", "ro")
    assert result.exit_code == 2 and "ISO 3166-1" in result.output
