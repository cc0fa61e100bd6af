"""An accreditation's scope: the corridors (origin -> destination countries) and sectors it
covers. Pure: the shape the case keeps, the checks a stated or added scope must pass, and the
one way a scope grows, shared by the effects and by the roster's replay (``scope_replay``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from iris_engine import bounds
from iris_engine.countries import is_country
from iris_engine.errors import FieldError

__all__ = ["EMPTY", "Scope", "canonical", "corridor_key", "extended", "of", "problems", "show"]

#: {"corridors": [{"origin", "destination"}, ...], "sectors": [...]}, sorted, each once
Scope = dict[str, list[Any]]
EMPTY: Scope = {"corridors": [], "sectors": []}


def corridor_key(corridor: Mapping[str, Any]) -> tuple[str, str]:
    return str(corridor.get("origin")), str(corridor.get("destination"))


def canonical(corridors: Iterable[Mapping[str, Any]] = (), sectors: Iterable[str] = ()) -> Scope:
    """The scope in its one stored form: corridors and sectors sorted, each once."""
    return {"corridors": [{"origin": o, "destination": d}
                          for o, d in sorted({corridor_key(c) for c in corridors})],
            "sectors": sorted(set(sectors))}


def of(data: Mapping[str, Any] | None) -> Scope:
    """The canonical scope held in a transition's data (absent members are empty)."""
    data = data or {}
    return canonical(data.get("corridors") or (), data.get("sectors") or ())


def extended(scope: Mapping[str, Any], extension: Mapping[str, Any] | None) -> Scope:
    """``scope`` with ``extension`` added."""
    extension = extension or EMPTY
    return canonical([*scope.get("corridors", ()), *extension.get("corridors", ())],
                     [*scope.get("sectors", ()), *extension.get("sectors", ())])


def problems(data: Mapping[str, Any], *, base: str = "/data",
             granted: Mapping[str, Any] | None = None) -> list[FieldError]:
    """What is wrong with the corridors and sectors in ``data`` (already of the transition's
    schema): a country that is not an ISO 3166-1 code, a corridor from a country to itself,
    an item given twice, and with ``granted`` (an extension), an item the scope already
    covers or a scope that would grow beyond its bounds."""
    errors: list[FieldError] = []
    covered = {corridor_key(c) for c in (granted or EMPTY).get("corridors", ())}
    seen: dict[tuple[str, str], int] = {}
    corridors: Sequence[Mapping[str, Any]] = data.get("corridors") or ()
    for i, corridor in enumerate(corridors):
        at = f"{base}/corridors/{i}"
        for end in ("origin", "destination"):
            code = str(corridor.get(end))
            if not is_country(code):
                errors.append(FieldError(f"{at}/{end}", f"{code!r} is not an ISO 3166-1 alpha-2 "
                                         "country code (two capitals, e.g. NP, QA)"))
        key = corridor_key(corridor)
        if key[0] == key[1]:
            errors.append(FieldError(at, f"a corridor goes from one country to another, not "
                                     f"from {key[0]} to itself"))
        elif key in seen:
            errors.append(FieldError(at, f"{key[0]} -> {key[1]} is given twice (also at "
                                     f"{base}/corridors/{seen[key]})"))
        elif key in covered:
            errors.append(FieldError(at, f"{key[0]} -> {key[1]} is already in the scope"))
        seen.setdefault(key, i)
    sectors: Sequence[str] = data.get("sectors") or ()
    covered_sectors = set((granted or EMPTY).get("sectors", ()))
    first: dict[str, int] = {}
    for i, sector in enumerate(sectors):
        at = f"{base}/sectors/{i}"
        if sector in first:
            errors.append(FieldError(at, f"{sector} is given twice (also at "
                                     f"{base}/sectors/{first[sector]})"))
        elif sector in covered_sectors:
            errors.append(FieldError(at, f"{sector} is already in the scope"))
        first.setdefault(sector, i)
    total = extended(granted or EMPTY, data)
    for member, bound in (("corridors", bounds.SCOPE_CORRIDORS), ("sectors", bounds.SCOPE_SECTORS)):
        if len(total[member]) > bound:
            errors.append(FieldError(f"{base}/{member}", f"a scope holds at most {bound} {member}"
                                     + (" in all, extensions included" if granted else "")))
    return errors


def show(scope: Mapping[str, Any]) -> str:
    """The scope in a few words, for a refusal or a log line: ``NP>QA, NP>AE; construction``."""
    corridors = ", ".join(f"{o}>{d}" for o, d in map(corridor_key, scope.get("corridors", ())))
    return f"{corridors or 'no corridor'}; {', '.join(scope.get('sectors', ())) or 'no sector'}"
