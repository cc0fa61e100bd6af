"""The README's copy of a workflow diagram is the diagram the workflow file draws today."""

from __future__ import annotations

import re

import pytest

from iris_engine.workflow import WorkflowCatalog
from tests.conftest import REPO

BLOCK = re.compile(r"<!-- diagram: (?P<name>\w+) \(generated: iris workflows diagram \w+\) -->\n"
                   r"```mermaid\n(?P<body>.*?)```\n<!-- end diagram -->", re.S)


def diagrams() -> list[tuple[str, str]]:
    return [(m["name"], m["body"]) for m in BLOCK.finditer((REPO / "README.md").read_text())]


def test_the_readme_shows_the_accreditation_diagram() -> None:
    assert "accreditation" in [name for name, _ in diagrams()]


@pytest.mark.parametrize(("name", "body"), diagrams())
def test_each_diagram_in_the_readme_is_current(name: str, body: str) -> None:
    drawn = WorkflowCatalog.from_dir(REPO / "workflows").machine(name).mermaid()
    assert body.strip() == drawn.strip(), (
        f"README's {name} diagram is out of date: paste `iris workflows diagram {name}`")
