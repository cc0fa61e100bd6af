"""Where a worker can get help, per destination country: data, not code.

A deployment names its own vetted list with ``IRIS_HELPLINES_FILE``: a YAML document

    demonstration: false          # true: the page says the numbers are not real
    helplines:
      - country: QA               # ISO 3166-1 alpha-2 of the destination ("*": everywhere)
        name: "..."               # the service, as it names itself
        phone: "+974 ..."         # optional, as dialled
        url: "https://..."        # optional
        languages: [ar, en, ne]   # optional: languages the line answers in
        hours: "24 hours"         # optional

Without it the pages show the packaged demonstration list (``helplines.demo.yaml``), whose
numbers are fictional and are labelled so on every page that shows them: a wrong number given
to a worker in danger is worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from iris_engine.countries import is_country
from iris_engine.errors import ConfigurationError

__all__ = ["Helpline", "Helplines", "load_helplines"]

DEMO_FILE = Path(__file__).parent / "helplines.demo.yaml"
_FIELDS = {"country", "name", "phone", "url", "languages", "hours"}


@dataclass(frozen=True, slots=True)
class Helpline:
    country: str
    name: str
    phone: str | None = None
    url: str | None = None
    languages: tuple[str, ...] = ()
    hours: str | None = None


@dataclass(frozen=True, slots=True)
class Helplines:
    entries: tuple[Helpline, ...]
    demonstration: bool

    def countries(self) -> list[str]:
        """The destination countries with a helpline of their own (codes)."""
        return sorted({h.country for h in self.entries if h.country != "*"})

    def for_country(self, country: str | None) -> list[Helpline]:
        """A country's own helplines, then those that answer anywhere."""
        own = [h for h in self.entries if country and h.country == country]
        return own + [h for h in self.entries if h.country == "*"]


def load_helplines(path: Path | None) -> Helplines:
    """Read and check a helplines file; a mistake in it stops the start, with its place."""
    source = path or DEMO_FILE
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"IRIS_HELPLINES_FILE {source}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("helplines"), list):
        raise ConfigurationError(f"{source}: expected a mapping with a 'helplines' list")
    entries = []
    for index, item in enumerate(document["helplines"]):
        where = f"{source}: helplines[{index}]"
        if not isinstance(item, dict) or not _FIELDS.issuperset(item) or not item.get("name"):
            raise ConfigurationError(f"{where}: needs a name, and only {sorted(_FIELDS)}")
        country = str(item.get("country", ""))
        if country != "*" and not is_country(country):
            raise ConfigurationError(f"{where}: country {country!r} is no ISO 3166-1 alpha-2 code")
        if not item.get("phone") and not item.get("url"):
            raise ConfigurationError(f"{where}: give a phone number or a URL")
        url = item.get("url")
        if url is not None and not str(url).startswith("https://"):
            raise ConfigurationError(f"{where}: url must start with https://")
        entries.append(Helpline(country=country, name=str(item["name"]),
                                phone=str(item["phone"]) if item.get("phone") else None,
                                url=str(url) if url else None,
                                languages=tuple(str(x) for x in item.get("languages") or ()),
                                hours=str(item["hours"]) if item.get("hours") else None))
    return Helplines(tuple(entries), demonstration=bool(document.get("demonstration", False)))
