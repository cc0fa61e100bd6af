"""``iris keys``: the data keys that seal personal data."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from iris_engine.settings import Settings

__all__ = ["keys", "seal_clear_notes"]


def _report_clear_notes(report: Any) -> None:
    if report.sealed:
        click.echo(f"sealed {report.sealed} personal notes stored in clear; the chains of "
                   f"{len(report.cases)} cases were re-hashed (old and new heads in chain_rewrite)")
    if report.broken:
        click.echo("NOT sealed: the chains of cases " + ", ".join(map(str, report.broken))
                   + " do not verify, so their notes were left as they are; run `iris audit "
                   "verify`, resolve the tampering, and run this again", err=True)


def seal_clear_notes(settings: Settings) -> bool:
    """Seal personal notes stored in clear before sealing existed (a data step of the upgrade,
    ``iris_engine.cases.clear_notes``); answers False when some chain did not verify."""
    from iris_engine.cases.clear_notes import seal_clear_notes as step
    from iris_engine.cli import _services

    services = _services(settings)

    async def run() -> Any:
        try:
            return await step(services.db, services.engine)
        finally:
            await services.db.dispose()

    report = asyncio.run(run())
    _report_clear_notes(report)
    return not report.broken


@click.group()
def keys() -> None:
    """Keys that seal complainants' personal data (IRIS_DATA_KEYS), and the key that signs
    training certificates (IRIS_CREDENTIAL_SIGNING_KEY)."""


@keys.command("generate")
@click.option("--id", "key_id", required=True, help="Key id, e.g. 2026b (letters, digits, _ or -).")
def keys_generate(key_id: str) -> None:
    """Print a new id:key entry. Put it FIRST in IRIS_DATA_KEYS, then run `iris keys rotate`."""
    from iris_engine.vault import generate_key

    try:
        click.echo(generate_key(key_id))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--id") from None


@keys.command("generate-credential-key")
def keys_generate_credential_key() -> None:
    """Print a new IRIS_CREDENTIAL_SIGNING_KEY (signs training certificates' credentials and
    their status list) and its public key, which /.well-known/jwks.json publishes."""
    from iris_engine.signing_keys import generate_signing_key, key_id_of

    private, public = generate_signing_key()
    click.echo(f"IRIS_CREDENTIAL_SIGNING_KEY={private}")
    click.echo(f"public key (kid {key_id_of(public)}): {public}")


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-seal every sealed value under the first key of IRIS_DATA_KEYS (safe to repeat).
    When it reports nothing left to move, older keys can be dropped from IRIS_DATA_KEYS.
    Personal notes still in clear (written before notes were sealed) are sealed first."""
    from iris_engine.cli import _services, _settings
    from iris_engine.rotation import rotate

    settings = _settings()
    notes_ok = seal_clear_notes(settings)
    services = _services(settings)

    async def run() -> dict[str, int]:
        try:
            return await rotate(services.db, services.vault, services.domains)
        finally:
            await services.db.dispose()

    moved = asyncio.run(run())
    for column, n in moved.items():
        click.echo(f"{column}: {n} re-sealed")
    click.echo(f"all sealed data is now under key {services.vault.current_id!r}")
    if not notes_ok:
        raise SystemExit(1)
