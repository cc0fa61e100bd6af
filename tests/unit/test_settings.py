"""Settings come from IRIS_* variables only, are all documented, and reject what they
cannot understand."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from iris_engine.errors import ConfigurationError
from iris_engine.settings import Settings

REPO = Path(__file__).resolve().parents[2]
VARIABLES = sorted(f"IRIS_{f.name.upper()}" for f in fields(Settings))


def test_defaults_without_variables() -> None:
    settings = Settings.from_env({})
    assert settings == Settings(database_url=settings.database_url)
    assert settings.is_sqlite
    assert settings.workflows_dir.is_dir()
    assert settings.codes_dir.is_dir()


def test_parses_every_kind() -> None:
    settings = Settings.from_env({
        "IRIS_DATABASE_URL": "postgresql+asyncpg://iris@db/iris",
        "IRIS_SECRET_KEY": "s3cret-of-at-least-thirty-two-bytes",
        "IRIS_TOKEN_TTL_SECONDS": "60",
        "IRIS_PASSWORD_HASH_PROFILE": "test",
        "IRIS_WORKFLOWS_DIR": "/srv/workflows",
        "IRIS_CODES_DIR": "/srv/codes",
        "IRIS_ROSTER_CACHE_SECONDS": "0.25",
        "IRIS_SQLITE_BUSY_TIMEOUT_MS": "250",
        "IRIS_DB_POOL_SIZE": "3",
        "IRIS_ECHO_SQL": "true",
    })
    assert settings.database_url == "postgresql+asyncpg://iris@db/iris"
    assert not settings.is_sqlite
    assert settings.secret_key == "s3cret-of-at-least-thirty-two-bytes"
    assert settings.signing_key() == "s3cret-of-at-least-thirty-two-bytes"
    assert settings.token_ttl_seconds == 60
    assert settings.password_hash_profile == "test"
    assert settings.workflows_dir == Path("/srv/workflows")
    assert settings.codes_dir == Path("/srv/codes")
    assert settings.roster_cache_seconds == 0.25
    assert settings.sqlite_busy_timeout_ms == 250
    assert settings.db_pool_size == 3
    assert settings.echo_sql is True


@pytest.mark.parametrize(("raw", "value"), [
    ("1", True), ("true", True), ("YES", True), ("on", True),
    ("0", False), ("false", False), ("No", False), ("off", False), ("", False),
])
def test_bool_spellings(raw: str, value: bool) -> None:
    assert Settings.from_env({"IRIS_ECHO_SQL": raw}).echo_sql is value


def test_empty_secret_key_uses_a_process_key() -> None:
    settings = Settings.from_env({"IRIS_SECRET_KEY": ""})
    assert settings.signing_key()
    assert settings.signing_key() == Settings.from_env({}).signing_key()


def test_unknown_iris_variable_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({"IRIS_DATABASE_ULR": "sqlite+aiosqlite:///x.db"})
    assert "IRIS_DATABASE_ULR" in caught.value.detail
    assert "IRIS_DATABASE_URL" in caught.value.detail  # lists what is known


@pytest.mark.parametrize(("key", "raw"), [
    ("IRIS_TOKEN_TTL_SECONDS", "an hour"),
    ("IRIS_TOKEN_TTL_SECONDS", "1.5"),
    ("IRIS_DB_POOL_SIZE", ""),
    ("IRIS_SQLITE_BUSY_TIMEOUT_MS", "5s"),
    ("IRIS_ROSTER_CACHE_SECONDS", "fast"),
    ("IRIS_ECHO_SQL", "maybe"),
    ("IRIS_ECHO_SQL", "2"),
    ("IRIS_ROSTER_EXPORT_SECONDS", "-5"),
    ("IRIS_ROSTER_EXPORT_SECONDS", "nan"),
    ("IRIS_ANCHOR_INTERVAL_SECONDS", "inf"),
    ("IRIS_ANCHOR_INTERVAL_SECONDS", "1e400"),
    ("IRIS_DB_POOL_SIZE", "-1"),
])
def test_malformed_value_is_refused(key: str, raw: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({key: raw})
    assert key in caught.value.detail


def test_test_and_foreign_variables_are_ignored() -> None:
    settings = Settings.from_env({
        "IRIS_TEST_DATABASE_URL": "postgresql+asyncpg://t@localhost/t",
        "IRIS_TEST_ANYTHING": "x",
        "PATH": "/usr/bin",
        "iris_echo_sql": "maybe",
    })
    assert settings == Settings(database_url=settings.database_url)
    assert settings.is_sqlite


def test_every_setting_is_documented() -> None:
    documented = Settings.documented()
    assert sorted(name for name, _, _ in documented) == VARIABLES
    for name, _default, doc in documented:
        assert doc.strip(), f"{name} has no doc"


def test_documented_defaults_are_the_real_defaults() -> None:
    defaults = Settings.from_env({})
    for (name, default, _doc), f in zip(Settings.documented(), fields(Settings), strict=True):
        assert name == f"IRIS_{f.name.upper()}"
        assert default == str(getattr(defaults, f.name)), name


def test_readme_mentions_every_setting() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"IRIS_[A-Z0-9_]+", readme))
    assert [v for v in VARIABLES if v not in mentioned] == []


@pytest.mark.parametrize("key", ["s3cret", "x" * 31, "é" * 15 + "x"])  # 31 bytes at most
def test_a_short_secret_key_is_refused(key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({"IRIS_SECRET_KEY": key})
    assert "IRIS_SECRET_KEY" in caught.value.detail and "32" in caught.value.detail


@pytest.mark.parametrize("key", ["x" * 32, "é" * 16, "k" * 64])  # bytes, not characters
def test_a_secret_key_of_32_bytes_or_more_is_accepted(key: str) -> None:
    assert Settings.from_env({"IRIS_SECRET_KEY": key}).signing_key() == key


def test_the_development_signing_key_is_announced_loudly(caplog: pytest.LogCaptureFixture,
                                                         tmp_path: Path) -> None:
    """No IRIS_SECRET_KEY: the service still starts (iris serve --demo), with a warning."""
    from iris_engine.app import create_app

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'iris.db'}")
    with caplog.at_level("WARNING"):
        create_app(settings)
    assert any("IRIS_SECRET_KEY is not set" in r.getMessage() and r.levelname == "WARNING"
               for r in caplog.records)


@pytest.mark.parametrize(("env", "named"), [
    ({"IRIS_RATE_LIMIT_STORE": "memcached"}, "IRIS_RATE_LIMIT_STORE"),
    ({"IRIS_RATE_LIMIT_STORE": "redis"}, "IRIS_REDIS_URL"),
])
def test_a_rate_limit_store_must_be_known_and_reachable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(env)
    assert named in caught.value.detail
