"""``iris returns stats`` (added to ``cli_returns``' group by ``cli``): return statistics
without identities from the command line, the same figures as ``GET /api/v1/returns/statistics``
(``iris_engine.returns.statistics``), small counts hidden the same way: whoever runs it holds
the database, but what it prints may leave the team."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from iris_engine.cli_support import run_with_services

if TYPE_CHECKING:
    from iris_engine.returns.statistics import Count, ReturnStatisticsView

__all__ = ["returns_stats"]


def _figures(query: Any) -> ReturnStatisticsView:
    from iris_engine.cases import Principal
    from iris_engine.returns.statistics import ReturnStatistics

    operator = Principal(user_id=0, organisation_id=0, roles=frozenset({"return_supervisor"}))
    figures: ReturnStatisticsView = run_with_services(
        lambda services: ReturnStatistics(services.db, services.engine).figures(operator, query))
    return figures


def _shown(value: Count | None) -> str:
    return "-" if value is None else str(value)


@click.command("stats")
@click.option("--from", "from_", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the range, YYYY-MM-DD (returns whose enquiry was on it count).")
@click.option("--to", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the range, YYYY-MM-DD.")
@click.option("--country", default=None, metavar="CC",
              help="Returns to this country only (ISO 3166-1 alpha-2, e.g. RO).")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
def returns_stats(from_: datetime | None, to: datetime | None, country: str | None,
                  as_json: bool) -> None:
    """Returns by country and stage, services and their cost, monitoring outcomes, time from
    enquiry to departure, endings by reason; counts under the workflow's
    statistics_smallest_count shown as "<N", never a name."""
    import msgspec

    from iris_engine.returns.statistics import ReturnStatisticsQuery

    if country is not None and (len(country) != 2 or not country.isascii()
                                or not country.isupper()):
        raise click.BadParameter("two capital letters (ISO 3166-1 alpha-2)", param_hint="--country")
    figures = _figures(ReturnStatisticsQuery(from_=from_.date() if from_ else None,
                                             to=to.date() if to else None, country=country))
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(figures), indent=2, ensure_ascii=False))
        return
    click.echo(f"returns: {_shown(figures.returns)} (counts under {figures.smallest_count} "
               f"shown as \"<{figures.smallest_count}\"; - : withheld)")
    for c in figures.by_country:
        stages = ", ".join(f"{s} {n}" for s, n in c.by_stage.items())
        click.echo(f"  {c.country}: {_shown(c.returns)} ({stages})")
    for s in figures.services:
        click.echo(f"service {s.kind}: {s.services} for {s.cases} cases, {s.delivered} delivered, "
                   f"planned {s.planned_cost or '-'} {s.currency}, actual "
                   f"{s.actual_cost or '-'} {s.currency}")
    for m in figures.monitoring:
        click.echo(f"monitoring {m.due}: {_shown(m.reports)} reports; re-trafficking concern "
                   f"{m.retrafficking_concern.get('concern', 0)}")
    t = figures.enquiry_to_departure
    click.echo(f"enquiry to departure: {t.departed} departed, median "
               f"{'-' if t.median_days is None else t.median_days} days")
    for e in figures.endings:
        reasons = ", ".join(f"{r} {n}" for r, n in e.by_reason.items())
        click.echo(f"{e.ending}: {_shown(e.cases)} ({reasons})")
