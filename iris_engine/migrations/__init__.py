"""Schema migrations (Alembic) and the helpers ``iris db upgrade`` and ``iris serve`` use."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["SchemaBehind", "alembic_config", "check_at_head", "include_name", "upgrade"]

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


class SchemaBehind(Exception):
    """The database's schema is not the one this version of IRIS Engine was written for."""


def check_at_head(database_url: str) -> None:
    """Raise :class:`SchemaBehind`, saying what to run, unless the database is at the newest
    migration (``iris serve`` on PostgreSQL, which does not migrate by itself: a deployment
    upgrades once, not from every process). An unreachable database says so too."""
    config = alembic_config(database_url)
    heads = set(ScriptDirectory.from_config(config).get_heads())

    async def current() -> set[str]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_heads()))
        finally:
            await engine.dispose()

    where = make_url(database_url).render_as_string(hide_password=True)
    try:
        found = asyncio.run(current())
    except (OSError, DBAPIError) as error:  # refused, unknown host or database, no rights
        raise SchemaBehind(f"cannot open the database at {where}: {error}") from error
    if found == heads:
        return
    now = ", ".join(sorted(found)) if found else "no IRIS schema (an empty database)"
    raise SchemaBehind(
        f"the database at {where} has {now}; this version needs migration "
        f"{', '.join(sorted(heads))}. Run `iris db upgrade` first (once per deployment, "
        "before the service starts), then `iris serve` again.")
