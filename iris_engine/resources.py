"""Where the bundled workflow definitions and codes of conduct live.

In a source checkout they sit at the repository root; in an installed wheel they are packed
under ``iris_engine/_data``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["default_codes_dir", "default_workflows_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_data" / name):
        if candidate.is_dir():
            return candidate
    return _PACKAGE.parent / name


def default_workflows_dir() -> Path:
    return _find("workflows")


def default_codes_dir() -> Path:
    return _find("codes_of_conduct")
