"""`iris keys` and `iris authorities` against a real, migrated SQLite file."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from iris_engine.cli import main
from iris_engine.disclosure.models import Authority
from iris_engine.outbox.store import authority_secret_place
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.vault import Vault, generate_key, parse_keys

K1 = generate_key("k1")
K2 = generate_key("k2")
PUBLIC_HOOK = "https://authority.example/iris/referrals"


@pytest.fixture
def iris(clean_environ: None, database_url: str) -> Any:
    def invoke(*args: str, keys: str = K1) -> Result:
        runner = CliRunner(env={"IRIS_DATABASE_URL": database_url, "IRIS_DATA_KEYS": keys})
        return runner.invoke(main, list(args))

    return invoke


def _authorities(database_url: str) -> list[Authority]:
    async def go() -> list[Authority]:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.read() as session:
                return list((await session.scalars(select(Authority).order_by(Authority.id))).all())
        finally:
            await database.dispose()

    return asyncio.run(go())


def test_keys_generate_prints_an_entry_the_settings_accept(iris: Any) -> None:
    result = iris("keys", "generate", "--id", "2027a")
    assert result.exit_code == 0, result.output
    [(key_id, key)] = parse_keys(result.output.strip())
    assert key_id == "2027a" and len(key) == 32


def test_keys_generate_refuses_a_bad_id(iris: Any) -> None:
    result = iris("keys", "generate", "--id", "not ok")
    assert result.exit_code == 2 and "--id" in result.output


def test_authorities_add_and_list(iris: Any, database_url: str) -> None:
    result = iris("authorities", "add", "--name", "Labour Inspectorate", "--country", "QA",
                  "--country", "AE", "--remit", "labour_exploitation", "--remit", "wages")
    assert result.exit_code == 0, result.output
    added = json.loads(result.output)
    assert added["channel"] == "inbox" and added["countries"] == ["QA", "AE"]
    listed = iris("authorities", "list")
    assert listed.exit_code == 0 and "Labour Inspectorate" in listed.output
    assert "QA AE" in listed.output


def test_authorities_add_refuses_bad_input_and_writes_nothing(iris: Any, database_url: str) -> None:
    for args in (["--country", "Qatar", "--remit", "wages"],
                 ["--country", "QA", "--remit", "everything"],
                 ["--country", "QA", "--remit", "wages", "--webhook-url", "https://127.0.0.1/x"]):
        result = iris("authorities", "add", "--name", "X", *args)
        assert result.exit_code == 1, (args, result.output)
        assert "Error" in result.output
    assert _authorities(database_url) == []


def test_a_webhook_secret_is_shown_once_and_sealed(iris: Any, database_url: str) -> None:
    result = iris("authorities", "add", "--name", "Police", "--country", "NP", "--remit",
                  "trafficking", "--webhook-url", PUBLIC_HOOK)
    assert result.exit_code == 0, result.output
    secret = json.loads(result.output.split("\nGive the")[0])["webhook_secret"]
    [row] = _authorities(database_url)
    assert row.webhook_secret_sealed and secret not in row.webhook_secret_sealed
    place = authority_secret_place(row.id or 0)
    assert Vault(K1).open(row.webhook_secret_sealed, place=place) == secret


def test_keys_rotate_moves_sealed_values_to_the_first_key(iris: Any, database_url: str) -> None:
    iris("authorities", "add", "--name", "Police", "--country", "NP", "--remit", "trafficking",
         "--webhook-url", PUBLIC_HOOK)
    [before] = _authorities(database_url)
    place = authority_secret_place(before.id or 0)
    secret = Vault(K1).open(before.webhook_secret_sealed or "", place=place)

    result = iris("keys", "rotate", keys=f"{K2},{K1}")
    assert result.exit_code == 0, result.output
    assert "authority.webhook_secret_sealed: 1 re-sealed" in result.output
    [after] = _authorities(database_url)
    assert Vault(K2).key_id(after.webhook_secret_sealed or "") == "k2"
    assert Vault(K2).open(after.webhook_secret_sealed or "", place=place) == secret  # no k1
    again = iris("keys", "rotate", keys=f"{K2},{K1}")
    assert "authority.webhook_secret_sealed: 0 re-sealed" in again.output


def test_rotation_seals_a_secret_stored_in_clear_before_sealing_existed() -> None:
    vault = Vault(K1)
    sealed = vault.reseal("legacy-secret", place="subscription:1:secret", plaintext_ok=True)
    assert vault.is_sealed(sealed)
    assert vault.open(sealed, place="subscription:1:secret") == "legacy-secret"
