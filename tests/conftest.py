"""Shared test fixtures: where the test databases are."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ENV = "IRIS_TEST_DATABASE_URL"
REPO = Path(__file__).resolve().parent.parent


def _postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a new PostgreSQL database when
    IRIS_TEST_DATABASE_URL points at a server (postgresql+asyncpg://user@host/any_db)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'iris.db'}"
        return
    base = _postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}=postgresql+asyncpg://user@host/db "
                    "(.ci/run does)")
    import asyncio

    import asyncpg

    name = f"iris_t_{uuid.uuid4().hex[:12]}"
    dsn = base.replace("postgresql+asyncpg://", "postgresql://")

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
