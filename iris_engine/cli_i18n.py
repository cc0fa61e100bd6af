"""``iris i18n``: the public pages' catalogs (``iris_engine.web.i18n``)."""

from __future__ import annotations

import click

__all__ = ["i18n"]


@click.group()
def i18n() -> None:
    """The public pages' translations: one gettext catalog per language and area of the site."""


@i18n.command()
@click.option("--language", "languages", multiple=True,
              help="Only this language (repeat for several); default: every language but English.")
@click.option("--area", "areas", multiple=True,
              help="Only this area of the site (repeat for several); default: every area.")
def update(languages: tuple[str, ...], areas: tuple[str, ...]) -> None:
    """Write every message the pages use into the catalogs: new ones untranslated, ones no
    page uses any more dropped. Translate the empty msgstr entries, then run `iris i18n check`."""
    from iris_engine.web.i18n import LANGUAGES, update_catalogs
    from iris_engine.web.i18n import areas as site_areas

    unknown = [code for code in languages if code not in LANGUAGES]
    if unknown:
        raise click.UsageError(f"not a language of the pages: {', '.join(unknown)} "
                               f"(add it to LANGUAGES in iris_engine/web/i18n.py first)")
    known = site_areas()
    if set(areas) - set(known):
        raise click.UsageError(f"areas are {', '.join(known)}")
    for path in update_catalogs(languages or None, areas or None):
        click.echo(f"wrote {path}")


@i18n.command()
def check() -> None:
    """Fail while any catalog misses a translation, or a translation breaks its placeholders."""
    from iris_engine.web.i18n import missing_translations

    problems = missing_translations()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("every catalog translates every message")
