"""``iris audit``: verify the tamper-evident trail, take and check its anchors, and the key
that signs them."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from iris_engine.errors import ApplicationError

if TYPE_CHECKING:
    from iris_engine.audit import AuditTrail, TrailReport

__all__ = ["audit"]

T = TypeVar("T")
#: findings printed before the rest are only counted
_SHOWN = 50


def _with_trail(work: Callable[[AuditTrail], Awaitable[T]]) -> T:
    from iris_engine.cli import _services, _settings

    services = _services(_settings())

    async def run() -> T:
        try:
            return await work(services.audit)
        finally:
            await services.db.dispose()

    try:
        return asyncio.run(run())
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None


@click.group()
def audit() -> None:
    """The tamper-evident audit trail and its anchors."""


@audit.command("verify")
@click.option("--anchor", "anchor_path", type=click.Path(exists=True, path_type=Path),
              default=None, help="An anchor file, or a folder of them (its latest is used; "
              "e.g. IRIS_ANCHOR_DIR or a copy kept elsewhere): every case and event it "
              "remembers must still be in the trail.")
@click.option("--public-key", "public_keys", multiple=True, metavar="KEY",
              help="Public key (base64url) trusted to have signed the anchor; repeat for "
                   "several. Default: the public half of IRIS_ANCHOR_SIGNING_KEY.")
def audit_verify(anchor_path: Path | None, public_keys: tuple[str, ...]) -> None:
    """Recompute every case's hash chain, replay each chain to its case row (state, revision,
    head, assignee, workflow and version), rebuild every read model from the events (the
    public roster and its change feed), and with --anchor check that no case or event the
    anchor remembers was deleted. Exit 1 and list what was tampered with."""
    from iris_engine.audit import read_anchor
    from iris_engine.audit.signing import DEVELOPMENT_PUBLIC_KEY

    anchor = None
    if anchor_path is not None:
        try:
            anchor = read_anchor(anchor_path)
        except ApplicationError as exc:
            raise click.ClickException(exc.detail) from None

    async def run(trail: AuditTrail) -> tuple[TrailReport, str | None]:
        signed_by = None
        if anchor is not None:  # an altered or forged anchor stops here
            signed_by = anchor.check_signature(list(public_keys) or [trail.signer.public_key])
        return await trail.verify(anchor), signed_by

    report, signed_by = _with_trail(run)
    for finding in report.findings[:_SHOWN]:
        click.echo(f"BROKEN: {finding}", err=True)
    hidden = len(report.findings) - _SHOWN + report.more
    if hidden > 0:
        click.echo(f"BROKEN: ... and {hidden} more", err=True)
    if signed_by == DEVELOPMENT_PUBLIC_KEY:
        click.echo("warning: the anchor is signed with the built-in development key, with which "
                   "anyone can sign: its signature proves nothing", err=True)
    if not report.intact:
        sys.exit(1)
    click.echo(f"ok: {report.events} events in {report.cases} cases verified")
    if report.read_models:
        click.echo(f"read models rebuilt from the events and equal: {', '.join(report.read_models)}")
    if report.anchor is not None:
        click.echo(f"anchor {report.anchor.seq} ({report.anchor.taken_at}, "
                   f"{report.anchor.cases} cases) holds: nothing it remembers was removed")
    else:
        click.echo("no anchor checked: a deleted case, or events deleted with their head "
                   "rewound, show only against an anchor (--anchor)")


@audit.command("anchor")
@click.option("--force", is_flag=True, help="Anchor even though the trail no longer holds the "
              "last anchor (after an investigation; the older anchor files still show the loss).")
def audit_anchor(force: bool) -> None:
    """Take an audit anchor now: every case's chain head, signed, written to IRIS_ANCHOR_DIR,
    published at GET /api/v1/audit/anchors/latest and sent to webhook subscribers. Refused
    (exit 1) when the trail no longer holds the last anchor in IRIS_ANCHOR_DIR."""
    anchor, path = _with_trail(lambda trail: trail.take_anchor(force=force))
    click.echo(f"anchor {anchor.seq}: {anchor.cases} cases, {anchor.events} events at "
               f"{anchor.taken_at}, digest {anchor.heads_digest}, key {anchor.key_id}")
    click.echo(f"written to {path}")


@audit.command("public-key")
def audit_public_key() -> None:
    """Print the public key that verifies the anchors (of IRIS_ANCHOR_SIGNING_KEY): publish
    it where those who hold your anchors can find it apart from this server."""
    from iris_engine.audit import AnchorSigner
    from iris_engine.cli import _settings

    try:
        signer = AnchorSigner(_settings().anchor_signing_key)
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"{signer.public_key}  (Ed25519, key id {signer.key_id}"
               + (", the built-in DEVELOPMENT key)" if signer.is_development else ")"))


@audit.command("generate-key")
def audit_generate_key() -> None:
    """Print a new anchor signing key for IRIS_ANCHOR_SIGNING_KEY, and its public key."""
    from iris_engine.audit import generate_signing_key

    private, public = generate_signing_key()
    click.echo(f"IRIS_ANCHOR_SIGNING_KEY={private}")
    click.echo(f"public key (for verifiers): {public}")
