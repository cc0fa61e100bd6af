"""Example self-assessments that do not go stale.

A code's valid examples are written as of one day, the manifest's ``examples_as_of``: licences
run from before it to after it, policies were adopted and checks made before it. A committed
file therefore stops passing ``submit`` the day its licence ends. ``dated_example`` moves every
date in an example by the days between ``examples_as_of`` and the day asked for, so the story it
tells (adopted 8 months ago, licence valid for 2 more years) holds on any day.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from iris_engine.errors import NotFound, WorkflowDefinitionError

if TYPE_CHECKING:
    from pathlib import Path

    from iris_engine.documents.codes import CodeOfConduct

__all__ = ["dated_example", "example_names", "examples_as_of"]

#: a value that is a whole calendar date (JSON Schema ``format: date``), and nothing else: a
#: file name such as ``training/2024-01-20.pdf`` is left as written
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _folder(code: CodeOfConduct) -> Path:
    return code.folder / "examples" / "valid"


def example_names(code: CodeOfConduct) -> list[str]:
    """Names of the code's valid examples (file names without ``.json``), sorted."""
    return sorted(p.stem for p in _folder(code).glob("*.json"))


def examples_as_of(code: CodeOfConduct) -> date:
    """The day the code's valid examples were written for (``examples_as_of`` in its manifest)."""
    manifest = code.folder / "manifest.json"
    value = json.loads(manifest.read_text(encoding="utf-8")).get("examples_as_of")
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise WorkflowDefinitionError(str(manifest), "/examples_as_of",
                                      f"must be the day the examples were written for, as "
                                      f"YYYY-MM-DD, not {json.dumps(value)}") from None


def dated_example(code: CodeOfConduct, name: str, today: date) -> dict[str, Any]:
    """The valid example ``name`` with every date moved as if it had been written ``today``."""
    if name not in example_names(code):
        raise NotFound(f"{code.key} has no valid example {name!r}; it has: "
                       f"{', '.join(example_names(code)) or 'none'}")
    document = json.loads((_folder(code) / f"{name}.json").read_text(encoding="utf-8"))
    shift = today - examples_as_of(code)

    def moved(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: moved(value) for key, value in node.items()}
        if isinstance(node, list):
            return [moved(value) for value in node]
        if isinstance(node, str) and _DATE.fullmatch(node):
            try:
                return (date.fromisoformat(node) + shift).isoformat()
            except ValueError:  # not a real day (2024-02-30): an example of a bad date, kept
                return node
        return node

    result: dict[str, Any] = moved(document)
    return result
