"""Schema migrations (Alembic) and the helpers ``iris db upgrade`` and ``iris serve`` use."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

__all__ = ["alembic_config", "include_name", "upgrade"]

#: search indexes the migrations make that no model describes (0015, 0018): PostgreSQL's
#: trigram indexes, SQLite's FTS5 tables and the shadow tables FTS5 keeps beside each
_UNMODELLED = frozenset({
    "ix_roster_name_trgm", "ix_roster_country_trgm",
    *(f"{fts}{shadow}" for fts in ("roster_search", "roster_country_search")
      for shadow in ("", "_data", "_idx", "_docsize", "_config", "_content")),
})


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's ``include_name``: leave the unmodelled search indexes out of comparisons."""
    return name not in _UNMODELLED


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``; safe to run again (does nothing when current)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(database_url), revision)
        return
    raise RuntimeError("call upgrade() outside a running event loop (Alembic runs its own)")
