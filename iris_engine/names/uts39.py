"""UTS #39, Unicode Security Mechanisms: the skeleton (when two strings look alike) and the
resolved script set (when one mixes scripts), over the table ``unicode/generate.py`` compiles
from the Unicode data files into ``uts39.json`` (Unicode's confusables.txt, Scripts.txt,
ScriptExtensions.txt and DerivedCoreProperties.txt; see ``unicode/README.md``)."""

from __future__ import annotations

import json
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = ["ALL_SCRIPTS", "is_default_ignorable", "resolved_script_set", "script_extensions",
           "script_name", "skeleton", "unicode_version"]

#: Common and Inherited characters (digits, punctuation, most marks) go with every script
ALL_SCRIPTS = frozenset({"Zyyy", "Zinh"})
_UNKNOWN = frozenset({"Zzzz"})
#: UTS #39 5.1: scripts written together count as one writing system (Japanese, Korean, Chinese)
_AUGMENTED = {"Hani": {"Hanb", "Jpan", "Kore"}, "Hira": {"Jpan"}, "Kana": {"Jpan"},
              "Hang": {"Kore"}, "Bopo": {"Hanb"}}


@dataclass(frozen=True, slots=True)
class _Tables:
    version: str
    prototypes: dict[str, str]
    script_starts: list[int]
    script_ends: list[int]
    script_sets: list[frozenset[str]]
    ignorable_starts: list[int]
    ignorable_ends: list[int]
    script_names: dict[str, str]


@cache
def _tables() -> _Tables:
    raw = json.loads(files("iris_engine.names").joinpath("uts39.json").read_text(encoding="utf-8"))
    scripts = raw["script_extensions"]
    ignorable = raw["default_ignorable"]
    return _Tables(
        version=raw["unicode_version"],
        prototypes={chr(int(cp, 16)): "".join(chr(int(p, 16)) for p in target.split())
                    for cp, target in raw["prototypes"].items()},
        script_starts=[r[0] for r in scripts], script_ends=[r[1] for r in scripts],
        script_sets=[frozenset(r[2].split()) for r in scripts],
        ignorable_starts=[r[0] for r in ignorable], ignorable_ends=[r[1] for r in ignorable],
        script_names=raw["script_names"],
    )


def unicode_version() -> str:
    """The Unicode version of the security data."""
    return _tables().version


def _find(starts: list[int], ends: list[int], cp: int) -> int | None:
    i = bisect_right(starts, cp) - 1
    return i if i >= 0 and cp <= ends[i] else None


def is_default_ignorable(char: str) -> bool:
    """Default_Ignorable_Code_Point: drawn as nothing (joiners, fillers, variation selectors)."""
    t = _tables()
    return _find(t.ignorable_starts, t.ignorable_ends, ord(char)) is not None


def script_extensions(char: str) -> frozenset[str]:
    """The scripts a character is used with (ISO 15924 codes; ``Zzzz`` when unassigned)."""
    t = _tables()
    i = _find(t.script_starts, t.script_ends, ord(char))
    return t.script_sets[i] if i is not None else _UNKNOWN


def script_name(code: str) -> str:
    """``Cyrl`` -> ``Cyrillic``."""
    return _tables().script_names.get(code, code).replace("_", " ")


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, without default-ignorables, each character replaced by its
    prototype, NFD again. Two strings look alike when their skeletons are equal."""
    prototypes = _tables().prototypes
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(prototypes.get(c, c) for c in decomposed if not is_default_ignorable(c))
    return unicodedata.normalize("NFD", mapped)


def resolved_script_set(text: str) -> frozenset[str] | None:
    """UTS #39 5.1: the scripts every character of ``text`` belongs to (augmented for Han, Kana
    and Hangul); None when every character is Common or Inherited (any script), empty when
    ``text`` mixes scripts."""
    resolved: frozenset[str] | None = None
    for char in text:
        scripts = script_extensions(char)
        if scripts <= ALL_SCRIPTS:
            continue
        augmented = frozenset(scripts.union(*(_AUGMENTED.get(s, ()) for s in scripts)))
        resolved = augmented if resolved is None else resolved & augmented
    return resolved
