"""``iris returns``: the origin-country partners directory and referring organisations.

A partner receives survivors in its countries and provides some of the workflow's services; a
referrer (a charity, the police, a local authority, an NRM first responder) opens enquiries and
follows them. Both are organisations; their people are added with ``iris users add``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from iris_engine.cli_support import run_with_services

if TYPE_CHECKING:

    from iris_engine.services import Services

__all__ = ["returns"]




@click.group()
def returns() -> None:
    """Return referrals: origin-country partners and referring organisations."""


@returns.group()
def partners() -> None:
    """The origin-country partners directory (who receives survivors where)."""


@partners.command("add")
@click.option("--name", required=True, help="The partner organisation's name.")
@click.option("--country", "countries", multiple=True, required=True,
              help="ISO 3166-1 alpha-2 code of a country it receives survivors in; repeat "
                   "for several.")
@click.option("--service", "services", multiple=True, required=True,
              help="A service it provides (travel_documents, flight, land_transport, shelter, "
                   "medical_care, psychosocial_care, labour_market_orientation, education, "
                   "family, legal); repeat for several.")
def partners_add(name: str, countries: tuple[str, ...], services: tuple[str, ...]) -> None:
    """Add a partner and its organisation. Add its users with
    `iris users add --role partner --kind partner --organisation NAME`."""
    import msgspec

    from iris_engine.returns.partners import ReturnPartners
    from iris_engine.returns.schemas import ReturnPartnerCreate

    try:
        data = msgspec.convert({"name": name, "countries": list(countries),
                                "services": list(services)}, ReturnPartnerCreate)
    except msgspec.ValidationError as exc:
        raise click.ClickException(str(exc)) from None
    view = run_with_services(lambda s: s.get(ReturnPartners).add(None, data))
    click.echo(json.dumps(msgspec.to_builtins(view), indent=2))


@partners.command("list")
@click.option("--country", default=None, help="Only those receiving survivors in this country.")
def partners_list(country: str | None) -> None:
    """List the directory: id, organisation, active, countries, services, name."""
    from iris_engine.returns.partners import ReturnPartners

    found = run_with_services(lambda s: s.get(ReturnPartners).list(None, country=country))
    if not found:
        click.echo("no partners")
    for p in found:
        click.echo(f"{p.id:>4}  org {p.organisation_id:<5} {'active' if p.active else 'inactive':8} "
                   f"{' '.join(p.countries):12} {' '.join(p.services):60} {p.name}")


@returns.group()
def referrers() -> None:
    """Referring organisations (charities, police, local authorities, NRM first responders)."""


@referrers.command("add")
@click.option("--name", required=True, help="The referring organisation's name.")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code of where it works.")
def referrers_add(name: str, country: str) -> None:
    """Add a referring organisation (kind referrer). Add its users with
    `iris users add --role referrer --kind referrer --organisation NAME`."""
    from iris_engine.countries import is_country

    if not is_country(country):
        raise click.BadParameter("an ISO 3166-1 alpha-2 code in capitals, e.g. GB",
                                 param_hint="--country")

    async def work(s: Services) -> Any:
        async with s.db.write() as session:
            return await s.people.add_organisation(session, kind="referrer", name=name,
                                                   country=country)

    org = run_with_services(work)
    click.echo(f"organisation {org.id} created: {org.name} (referrer, {org.country})")
