"""``iris keys``: the data keys that seal personal data."""

from __future__ import annotations

import asyncio

import click

__all__ = ["keys"]


@click.group()
def keys() -> None:
    """Keys that seal complainants' personal data (IRIS_DATA_KEYS)."""


@keys.command("generate")
@click.option("--id", "key_id", required=True, help="Key id, e.g. 2026b (letters, digits, _ or -).")
def keys_generate(key_id: str) -> None:
    """Print a new id:key entry. Put it FIRST in IRIS_DATA_KEYS, then run `iris keys rotate`."""
    from iris_engine.vault import generate_key

    try:
        click.echo(generate_key(key_id))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--id") from None


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-seal every sealed value under the first key of IRIS_DATA_KEYS (safe to repeat).
    When it reports nothing left to move, older keys can be dropped from IRIS_DATA_KEYS."""
    from iris_engine.cli import _services, _settings
    from iris_engine.rotation import rotate

    services = _services(_settings())

    async def run() -> dict[str, int]:
        try:
            return await rotate(services.db, services.vault, services.domains)
        finally:
            await services.db.dispose()

    moved = asyncio.run(run())
    for column, n in moved.items():
        click.echo(f"{column}: {n} re-sealed")
    click.echo(f"all sealed data is now under key {services.vault.current_id!r}")
