"""What the complaint pages offer and how they read it, apart from the pages: the countries and
currencies in the page's language, an amount as people type it, a value checked against the
API's own schema, and the roster's entries a worker chooses the recruiter from."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from typing import Any, get_type_hints

import msgspec
from babel.numbers import get_currency_name, get_territory_currencies

from iris_engine.countries import ISO_3166_ALPHA_2
from iris_engine.errors import NotFound
from iris_engine.grievances.schemas import NamedRecruiter
from iris_engine.roster.service import Roster, RosterQuery
from iris_engine.web.i18n import countries_by_name as countries

__all__ = ["amount_of", "countries", "currencies", "currency_codes", "fits", "home_currency",
           "roster_entry", "roster_matches"]

#: at most this many roster entries answer a search
MATCHES = 10
_LOOKS_LIKE_LRN = re.compile(r"[A-Za-z]{2,5}[0-9]{1,12}")


@cache
def currencies(language: str) -> tuple[tuple[str, str], ...]:
    """The currencies in use somewhere (ISO 4217), with their names in ``language``."""
    codes = {c for country in ISO_3166_ALPHA_2 for c in get_territory_currencies(country)}
    named = [(c, str(get_currency_name(c, locale=language))) for c in codes if re.fullmatch("[A-Z]{3}", c)]
    return tuple(sorted(named, key=lambda pair: pair[1].casefold()))


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(code for code, _name in currencies("en"))


@cache
def member_type(struct: type, member: str) -> Any:
    return get_type_hints(struct, include_extras=True)[member]


def fits(struct: type, member: str, value: str) -> bool:
    """Whether the API's schema takes ``value`` for ``struct.member`` (one rule, both places)."""
    try:
        msgspec.convert(value, member_type(struct, member))
    except msgspec.ValidationError:
        return False
    return True


def amount_of(typed: str) -> str | None:
    """An amount as people write it (``1,500``; in Devanagari or Arabic-Indic digits, with
    Arabic separators) in the API's form (``1500``, ``1500.5``), or None if it is not one."""
    out = []
    for ch in typed:
        if ch in ", '\u066c\u00a0\u202f":  # thousands separators, Arabic's included
            continue
        if ch in ".\u066b":
            out.append(".")
        elif ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        else:
            return None
    amount = "".join(out)
    return amount if re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,2})?", amount) else None


def home_currency(country: str) -> str:
    """The currency of ``country`` (the one a worker recruited there most likely paid in)."""
    found = get_territory_currencies(country) if country in ISO_3166_ALPHA_2 else []
    return found[0] if found else ""


async def roster_entry(roster: Roster, lrn: str) -> dict[str, Any] | None:
    """The roster's entry with certificate number ``lrn``, or None."""
    lrn = lrn.strip().upper()
    if not fits(NamedRecruiter, "lrn", lrn):
        return None
    try:
        found: dict[str, Any] = json.loads((await roster.entry(lrn)).body)["entry"]
    except NotFound:
        return None
    return found


async def roster_matches(roster: Roster, typed: str) -> list[dict[str, Any]]:
    """The roster entries a name or a certificate number (or its start) finds."""
    typed = typed.strip()
    query = (RosterQuery(lrn=typed, limit=MATCHES) if _LOOKS_LIKE_LRN.fullmatch(typed)
             else RosterQuery(q=typed, limit=MATCHES))
    items: list[dict[str, Any]] = json.loads((await roster.search(query)).body)["items"]
    return items
