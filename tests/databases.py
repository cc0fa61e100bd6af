"""Test databases: the real migrations build one template per test run; each test gets a copy.

Running Alembic on a fresh database costs a large share of a test's set-up; copying a migrated
one costs milliseconds. The template is made by ``upgrade`` (what ``iris db upgrade`` runs), so
every test still runs on the schema a deployment gets.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

from sqlalchemy import make_url

from iris_engine.migrations import upgrade

__all__ = [
    "PostgresServer", "copy_sqlite", "driver_dsn", "make_postgres_template", "make_sqlite_template",
    "sqlite_url",
]


def driver_dsn(url: str, database: str | None = None) -> str:
    """asyncpg's DSN for a SQLAlchemy PostgreSQL URL (or for another ``database`` on its
    server): host and port, or a socket directory given as ``?host=/var/run/postgresql``."""
    found = make_url(url).set(drivername="postgresql")
    if database is not None:
        found = found.set(database=database)
    return found.render_as_string(hide_password=False)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def make_sqlite_template(path: Path) -> Path:
    """Migrate a new SQLite file at ``path`` to head, ready to be copied file by file."""
    upgrade(sqlite_url(path))
    # a copy of the main file alone must hold every page: leave write-ahead logging (which
    # checkpoints the log into the file and deletes it); the app turns WAL on again per copy
    with closing(sqlite3.connect(path)) as conn:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    leftovers = [p.name for p in path.parent.glob(path.name + "-*")]
    assert mode == "delete" and not leftovers, f"template not self-contained: {mode}, {leftovers}"
    return path


def copy_sqlite(template: Path, directory: Path) -> str:
    """A private copy of the template in ``directory``; returns its URL."""
    target = directory / template.name
    shutil.copyfile(template, target)
    return sqlite_url(target)


def make_postgres_template(server: PostgresServer, prefix: str) -> str:
    """Create a database and migrate it to head; returns its name."""
    name = server.create(prefix)
    try:
        # upgrade() disposes of its engine, so no connection is left to block copying
        upgrade(server.url(name))
    except BaseException:
        server.drop(name)
        raise
    return name


class PostgresServer:
    """Creates and drops databases on the server that ``base_url`` (any database on it) names."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._dsn = driver_dsn(base_url)

    def url(self, name: str) -> str:
        return make_url(self._base_url).set(database=name).render_as_string(hide_password=False)

    def create(self, prefix: str, *, template: str | None = None) -> str:
        """A new database named ``prefix`` and a random suffix (test runs may overlap on one
        server); a copy of ``template`` when given, which nobody may be connected to."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{clause}')
        return name

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import asyncpg

        async def run() -> None:
            conn = await asyncpg.connect(self._dsn)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(run())
