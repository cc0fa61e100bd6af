"""Storage: tables, engines, migrations."""

from __future__ import annotations

from iris_engine.store.db import Database

__all__ = ["Database"]
