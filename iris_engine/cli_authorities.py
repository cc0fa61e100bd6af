"""``iris authorities``: the directory of authorities cases are referred to."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

__all__ = ["authorities"]


@click.group()
def authorities() -> None:
    """The authorities directory (where grievances are referred)."""


@authorities.command("add")
@click.option("--name", required=True)
@click.option("--country", "countries", multiple=True, required=True,
              help="ISO 3166-1 code of its jurisdiction; repeat for several.")
@click.option("--remit", "remits", multiple=True, required=True,
              help="trafficking, labour_exploitation, child_protection, licensing, wages, "
                   "immigration or data_protection; repeat for several.")
@click.option("--webhook-url", default=None, help="Deliver referral notices by webhook "
              "(default: the authority reads them in its IRIS inbox).")
def authorities_add(name: str, countries: tuple[str, ...], remits: tuple[str, ...],
                    webhook_url: str | None) -> None:
    """Add an authority and its organisation. Add its users with
    `iris users add --role authority --organisation NAME --kind authority`."""
    import msgspec

    from iris_engine.cli import _services, _settings
    from iris_engine.disclosure.schemas import AuthorityCreate
    from iris_engine.errors import ApplicationError

    try:
        data = msgspec.convert({"name": name, "countries": list(countries), "remits": list(remits),
                                "channel": "webhook" if webhook_url else "inbox",
                                "webhook_url": webhook_url}, AuthorityCreate)
    except msgspec.ValidationError as exc:
        raise click.ClickException(str(exc)) from None
    services = _services(_settings())

    async def run() -> Any:
        try:
            return await services.authorities.add(None, data)
        finally:
            await services.db.dispose()

    try:
        view = asyncio.run(run())
    except ApplicationError as exc:
        raise click.ClickException(exc.detail + "".join(f"; {e.pointer}: {e.message}"
                                                        for e in exc.errors)) from None
    click.echo(json.dumps(msgspec.to_builtins(view), indent=2))
    if view.webhook_secret:
        click.echo("Give the webhook_secret to the authority now: it is not shown again.")


@authorities.command("list")
def authorities_list() -> None:
    """List the directory: id, channel, jurisdiction, remits, name."""
    from iris_engine.cli import _services, _settings

    services = _services(_settings())

    async def run() -> Any:
        try:
            return await services.authorities.list()
        finally:
            await services.db.dispose()

    for a in asyncio.run(run()):
        click.echo(f"{a.id:>4}  {a.channel:8} {' '.join(a.countries):12} {' '.join(a.remits):40} "
                   f"{a.name}")
