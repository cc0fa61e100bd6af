"""Shared test fixtures: where the test databases are."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import (
    PostgresServer,
    copy_sqlite,
    make_postgres_template,
    make_sqlite_template,
    sqlite_url,
)

PG_ENV = "IRIS_TEST_DATABASE_URL"
REPO = Path(__file__).resolve().parent.parent


def _postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once per run (per xdist worker): tests copy it."""
    return make_sqlite_template(tmp_path_factory.mktemp("template") / "iris.db")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[PostgresServer, str]]:
    """A PostgreSQL database migrated to head once per run (per xdist worker), dropped at the
    end; tests get ``CREATE DATABASE ... TEMPLATE`` copies of it."""
    base = _postgres_url()
    assert base is not None, "database_url skips before asking for this"
    server = PostgresServer(base)
    name = make_postgres_template(server, f"iris_tmpl_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    try:
        yield server, name
    finally:
        server.drop(name)


def _skip_without_postgres() -> str:
    base = _postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}=postgresql+asyncpg://user@host/db "
                    "(.ci/run does)")
    return base


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A new PostgreSQL database with no schema at all (what a migration or ``iris serve``
    meets first), dropped afterwards."""
    server = PostgresServer(_skip_without_postgres())
    name = server.create("iris_empty")
    try:
        yield server.url(name)
    finally:
        server.drop(name)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each kind with no schema at all: a migration test's starting point."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "empty.db")
    else:
        yield request.getfixturevalue("empty_postgres")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of its own, already migrated to head: an SQLite file, or a new
    PostgreSQL database when IRIS_TEST_DATABASE_URL points at a server
    (postgresql+asyncpg://user@host/any_db; the user must be allowed to create databases)."""
    if request.param == "sqlite":
        yield copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    _skip_without_postgres()
    server, template = request.getfixturevalue("postgres_template")
    name = server.create("iris_t", template=template)
    try:
        yield server.url(name)
    finally:
        server.drop(name)
