"""`iris users` against a real, migrated SQLite file: every change to an account ends its
tokens (the token version moves), and refusals are clean messages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from iris_engine.cli import main
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import User

EMAIL = "auditor@audit.example"
PASSWORD = "correct horse battery"


@pytest.fixture
def iris(clean_environ: None, database_url: str) -> Any:
    def invoke(*args: str, stdin: str | None = None) -> Result:
        runner = CliRunner(env={"IRIS_DATABASE_URL": database_url,
                                "IRIS_PASSWORD_HASH_PROFILE": "test"})
        return runner.invoke(main, ["users", *args], input=stdin)

    return invoke


def _account(database_url: str) -> User | None:
    async def go() -> User | None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.read() as session:
                return (await session.scalars(select(User).where(User.email == EMAIL))).first()
        finally:
            await database.dispose()

    return asyncio.run(go())


@pytest.fixture
def auditor(iris: Any, database_url: str) -> User:
    result = iris("add", "--email", EMAIL, "--name", "Lead Auditor", "--role", "auditor",
                  "--organisation", "Audit Body", "--kind", "audit_body", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    user = _account(database_url)
    assert user is not None and user.token_version == 0 and user.active
    return user


def test_deactivate_and_reactivate(iris: Any, database_url: str, auditor: User) -> None:
    result = iris("deactivate", EMAIL.upper())  # as typed by a person
    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output
    user = _account(database_url)
    assert user is not None and not user.active and user.token_version == 1
    result = iris("reactivate", EMAIL)
    assert result.exit_code == 0 and "active" in result.output
    user = _account(database_url)
    assert user is not None and user.active and user.token_version == 2


def test_roles_replace_the_accounts_roles(iris: Any, database_url: str, auditor: User) -> None:
    result = iris("roles", EMAIL, "--role", "caseworker", "--role", "supervisor")
    assert result.exit_code == 0, result.output
    assert "caseworker, supervisor" in result.output
    user = _account(database_url)
    assert user is not None and user.role_set == {"caseworker", "supervisor"}
    assert user.token_version == 1


def test_set_password_checks_the_new_one(iris: Any, database_url: str, auditor: User) -> None:
    result = iris("set-password", EMAIL, "--password", "qwertyuiop")
    assert result.exit_code == 1 and "most common" in result.output
    assert _account(database_url) == auditor  # nothing changed
    result = iris("set-password", EMAIL, stdin="a new long passphrase\na new long passphrase\n")
    assert result.exit_code == 0, result.output
    user = _account(database_url)
    assert user is not None and user.password_hash != auditor.password_hash
    assert user.token_version == 1


def test_an_unknown_account_is_a_clean_error(iris: Any) -> None:
    for args in (("deactivate", "nobody@nowhere.example"),
                 ("roles", "nobody@nowhere.example", "--role", "admin")):
        result = iris(*args)
        assert result.exit_code == 1, result.output
        assert "nobody@nowhere.example" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_add_refuses_a_common_password(iris: Any) -> None:
    result = iris("add", "--email", "x@scheme.example", "--name", "X", "--role", "admin",
                  "--organisation", "Scheme", "--password", "1234567890")
    assert result.exit_code == 1 and "/password" in result.output


def test_confirm_lets_a_registration_log_in(iris: Any, database_url: str, auditor: User) -> None:
    async def pend() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.write() as session:
                row = (await session.scalars(select(User).where(User.email == EMAIL))).one()
                row.confirmation_hash = "0" * 64
        finally:
            await database.dispose()

    asyncio.run(pend())
    assert "waiting for e-mail confirmation" in iris("deactivate", EMAIL).output
    iris("reactivate", EMAIL)
    result = iris("confirm", EMAIL)
    assert result.exit_code == 0 and "active" in result.output and "waiting" not in result.output
    user = _account(database_url)
    assert user is not None and user.confirmation_hash is None


def test_the_roles_are_the_workflows_not_a_list_in_the_cli(iris: Any, database_url: str,
                                                           auditor: User) -> None:
    """A role is one some workflow file gives access to: a new workflow's roles are accepted
    without touching the command line, and an unknown one is refused with the known ones."""
    result = iris("roles", EMAIL, "--role", "auditorr")
    assert result.exit_code == 1, result.output
    assert "auditorr" not in _account(database_url).role_set  # type: ignore[union-attr]
    assert "scheme_manager" in result.output and "supervisor" in result.output
    result = iris("list", "--role", "auditorr")
    assert result.exit_code == 1 and "supervisor" in result.output
    result = iris("roles", EMAIL, "--role", "authority")
    assert result.exit_code == 0, result.output
