"""The public pages' languages: gettext catalogs (Babel's PO files), read at start, and the
choice of a language for a request.

Catalogs live in ``iris_engine/web/locales/<language>/LC_MESSAGES/<area>.po``, one file per
area of the site (``areas()``: the shared layout, the portal and the roster, then each
domain's pages: the complaint, the follow-up pages, the certificate check), merged into one
catalog per language when the app starts. English is the source language and has no
catalog. Adding a language is adding its directory of catalogs and a line to ``LANGUAGES``;
``iris i18n update`` writes every message the templates and page modules use into every
catalog (new ones untranslated), and a test fails while any catalog misses one.

A message in Python is marked ``N_("...")`` (nothing is translated where it is written) and
translated where a template shows it: ``{{ _(value) }}``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from gettext import NullTranslations
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from iris_engine.countries import ISO_3166_ALPHA_2

__all__ = [
    "AREAS",
    "DEFAULT",
    "LANGUAGES",
    "LOCALES",
    "N_",
    "Language",
    "catalog_path",
    "countries_by_name",
    "extract",
    "from_accept_language",
    "languages_of",
    "load",
    "missing_translations",
    "update_catalogs",
]

WEB = Path(__file__).parent
LOCALES = WEB / "locales"
DEFAULT = "en"


@dataclass(frozen=True, slots=True)
class Language:
    code: str  #: BCP 47, as recorded on a grievance filed in it
    name: str  #: in the language itself, for the switcher
    direction: str = "ltr"


#: every language the public pages speak, in the switcher's order
LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("en", "English"),
    Language("ar", "العربية", "rtl"),
    Language("ne", "नेपाली"),
    Language("hi", "हिन्दी"),
    Language("bn", "বাংলা"),
    Language("fil", "Filipino"),
)}
#: tags a browser may send for a language we speak under another code
_ALIASES = {"tl": "fil", "npi": "ne"}

PACKAGE = WEB.parent
#: the platform's areas of the site, each with its own catalog: the files its messages come
#: from (a folder: its templates, Jinja2, and modules, Python). A domain adds its own with its
#: pages (``Domain.pages``); ``areas()`` lists them all.
AREAS: dict[str, tuple[Path, ...]] = {
    "common": (WEB / "templates/base.html", WEB / "templates/error.html",
               WEB / "pages/rendering.py", WEB / "i18n.py"),
    "portal": (WEB / "templates/portal", WEB / "pages/portal.py", WEB / "helplines.py"),
    "roster": (WEB / "templates/roster", WEB / "pages/roster.py"),
    "staff": (WEB / "templates/staff", WEB / "staff"),
}
#: the areas translated into only some languages (every other area: into all of them); a page
#: of such an area is shown in English in any other language, and no catalog is asked of it
AREA_LANGUAGES: dict[str, tuple[str, ...]] = {
    # the staff workspace speaks English until its first translation lands
    "staff": (DEFAULT,),
}


def languages_of(area: str) -> tuple[str, ...]:
    """The languages an area of the site is translated into (English, the source, always)."""
    return AREA_LANGUAGES.get(area, tuple(LANGUAGES))


def areas() -> dict[str, tuple[Path, ...]]:
    """Every area of the site: the platform's, then each domain's pages."""
    from iris_engine.domains import DOMAINS  # the domains' pages use this module

    found = dict(AREAS)
    for domain in DOMAINS:
        for area in domain.pages:
            if area.name in found:
                raise ValueError(f"two areas of the site are named {area.name!r}")
            found[area.name] = area.sources
    return found


def N_(message: str) -> str:
    """Mark a message for the catalogs; it is translated where a template shows it."""
    return message


@lru_cache(maxsize=1024)  # browsers send a few distinct headers; a flood of others is bounded
def from_accept_language(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header we speak, by its q-values."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if quality > 0 and tag:
            ranked.append((-quality, index, tag.strip().lower()))
    for _q, _i, tag in sorted(ranked):
        for candidate in (tag, tag.split("-")[0]):
            code = _ALIASES.get(candidate, candidate)
            if code in LANGUAGES:
                return code
    return None


def _files(area: str) -> Iterator[Path]:
    for path in areas()[area]:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.html"))
            yield from sorted(p for p in path.rglob("*.py"))
        elif path.exists():
            yield path


def extract(area: str) -> Catalog:
    """Every message an area's templates and modules use, as a template catalog."""
    catalog = Catalog(project="IRIS Engine", domain=area, fuzzy=False)
    for path in _files(area):
        method = "jinja2" if path.suffix == ".html" else "python"
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"} if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(
                method, str(path), options=options):
            catalog.add(message, locations=[(str(path.relative_to(PACKAGE)), lineno)],
                        auto_comments=comments, context=context)
    return catalog


def catalog_path(language: str, area: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{area}.po"


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=language)


def update_catalogs(languages: Iterable[str] | None = None,
                    only: Iterable[str] | None = None) -> list[Path]:
    """Bring the catalogs up to date with what the pages use: new messages added
    untranslated, vanished ones dropped. Returns the files written."""
    written = []
    for area in only or list(areas()):
        template = extract(area)
        for language in languages or [c for c in LANGUAGES if c != DEFAULT]:
            if language not in languages_of(area) or language == DEFAULT:
                continue
            path = catalog_path(language, area)
            if path.exists():
                catalog = read_catalog(path, language)
            else:
                catalog = Catalog(locale=language, domain=area, project="IRIS Engine")
            created = catalog.creation_date  # a file changes only where its messages do
            catalog.update(template, no_fuzzy_matching=True)
            catalog.creation_date = created
            catalog.obsolete.clear()
            catalog.fuzzy = False
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fp:
                write_po(fp, catalog, width=100, sort_output=False, include_lineno=False)
            written.append(path)
    return written


def _translations(language: str) -> NullTranslations:
    merged: Translations | None = None
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        buffer = io.BytesIO()
        write_mo(buffer, read_catalog(path, language), use_fuzzy=False)
        buffer.seek(0)
        part = Translations(buffer, domain="messages")
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged if merged is not None else NullTranslations()


def load() -> dict[str, NullTranslations]:
    """Every language's merged catalog (English: the messages as written)."""
    return {code: (NullTranslations() if code == DEFAULT else _translations(code))
            for code in LANGUAGES}


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def missing_translations() -> list[str]:
    """Every message a page uses that a catalog does not translate (or translates with other
    placeholders than the message's), as ``language/area: "message"``."""
    problems = []
    for area in areas():
        wanted = extract(area)
        for language in languages_of(area):
            if language == DEFAULT:
                continue
            path = catalog_path(language, area)
            have = read_catalog(path, language) if path.exists() else Catalog(locale=language)
            for message in wanted:
                if not message.id:
                    continue
                found = have.get(message.id, message.context)
                where = f"{language}/{area}"
                if found is None or not found.string or found.fuzzy:
                    problems.append(f'{where}: no translation of "{message.id}"')
                elif (set(_PLACEHOLDER.findall(str(message.id)))
                      != set(_PLACEHOLDER.findall(str(found.string)))):
                    problems.append(f'{where}: "{message.id}" translated with other placeholders')
    return problems


@cache
def countries_by_name(language: str) -> tuple[str, ...]:
    """Every ISO 3166-1 country code, in the order of its name in ``language`` (a country
    choice in any form)."""
    names = Locale.parse(language).territories
    return tuple(sorted(ISO_3166_ALPHA_2, key=lambda c: str(names.get(c, c)).casefold()))
