"""``iris codes``: the codes of conduct a self-assessment is checked against, and examples of
self-assessments that are valid on the day they are printed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from iris_engine.documents import CodeLibrary

__all__ = ["codes"]


def _library() -> CodeLibrary:
    from iris_engine.cli import _settings
    from iris_engine.documents import CodeLibrary
    from iris_engine.errors import ApplicationError

    try:
        return CodeLibrary(_settings().codes_dir)
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None


@click.group()
def codes() -> None:
    """Codes of conduct (IRIS_CODES_DIR) and their example self-assessments."""


@codes.command("list")
def codes_list() -> None:
    """List each code of conduct (CODE/VERSION, title) and the names of its valid examples."""
    from iris_engine.documents import example_names

    for code in _library():
        click.echo(f"{code.key}  {code.title}")
        for name in example_names(code):
            click.echo(f"    {name}")


@codes.command("example")
@click.argument("code")
@click.argument("name", required=False)
@click.option("--on", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date the example for this day, YYYY-MM-DD. Default: today (UTC).")
def codes_example(code: str, name: str | None, day: datetime | None) -> None:
    """Print a valid self-assessment for CODE (e.g. iris-standard/1.2): the example NAME (default:
    the first in `iris codes list`) with every date moved to today, so its licences are valid
    now and its policies were adopted before now. Send it as `self_assessment`."""
    from iris_engine.clock import utcnow
    from iris_engine.documents import dated_example, example_names
    from iris_engine.errors import ApplicationError

    try:
        found = _library().get(code)
        names = example_names(found)
        if not names:
            raise click.ClickException(f"{found.key} has no valid examples")
        on = day.date() if day is not None else utcnow().date()
        document = dated_example(found, name or names[0], on)
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
