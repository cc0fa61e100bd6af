"""Fixtures for unit tests: the bundled definitions and small workflow files on disk."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.databases import copy_sqlite

REPO = Path(__file__).resolve().parents[2]

#: The smallest useful workflow: a loop, a branch with a reason code, and a final state.
MINIMAL_WORKFLOW: dict[str, Any] = {
    "name": "sample",
    "version": 1,
    "title": "Sample workflow",
    "initial": "open",
    "reason_codes": {"spam": "The case is spam"},
    "access": {"owner": "organisation", "manager": "all"},
    "states": {
        "open": {"description": "Just opened"},
        "review": {"description": "Under review"},
        "closed": {"description": "Done", "final": True},
    },
    "transitions": [
        {"event": "edit", "from": "open", "to": "open", "roles": ["owner"]},
        {"event": "submit", "from": "open", "to": "review", "roles": ["owner"]},
        {"event": "close", "from": ["open", "review"], "to": "closed", "roles": ["manager"],
         "reason_codes": ["spam"]},
    ],
}

WriteWorkflow = Callable[..., Path]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def workflow_data() -> dict[str, Any]:
    """A fresh, deep copy of MINIMAL_WORKFLOW that a test may break."""
    return copy.deepcopy(MINIMAL_WORKFLOW)


@pytest.fixture
def write_workflow(tmp_path: Path) -> WriteWorkflow:
    """Write a definition (a dict, dumped as YAML, or raw text) to ``tmp_path/<name>``."""

    def write(content: dict[str, Any] | str, name: str = "sample.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove IRIS_* settings from the environment so the defaults apply."""
    import os

    for key in list(os.environ):
        if key.startswith("IRIS_"):
            monkeypatch.delenv(key)


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite file, for the command-line tests (SQLite only, unlike the shared
    fixture it overrides)."""
    return copy_sqlite(sqlite_template, tmp_path)
