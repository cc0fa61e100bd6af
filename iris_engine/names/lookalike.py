"""When one name may pass for another: look-alike keys and words that mix scripts.

Two names look alike when their keys are equal: the UTS #39 skeleton, case-folded, skeleton
again (so ``LOTUS``, ``Lotus``, ``L0tus`` and ``Lоtus`` with a Cyrillic ``о`` meet), spaces
collapsed. Names that only share words (``Lotus Manpower``, ``Lotus Global``) do not. A word
whose letters come from scripts never written together (Latin and Cyrillic in ``Lоtus``) mixes
scripts; a name may still use several scripts word by word (``Himalaya मानव संसाधन``).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from iris_engine.names.uts39 import ALL_SCRIPTS, resolved_script_set, script_extensions, script_name, skeleton

__all__ = ["MixedWord", "look_alike_digest", "look_alike_key", "mixed_script_words"]

_JOINERS = frozenset("\u200c\u200d")


def look_alike_key(name: str) -> str:
    """Equal for names that look alike (see the module's docstring)."""
    return " ".join(skeleton(skeleton(name).casefold()).split())


def look_alike_digest(name: str) -> str:
    """The look-alike key as a fixed-size digest, to store and index (a skeleton may be far
    longer than its name: one ligature can stand for a phrase)."""
    return hashlib.sha256(look_alike_key(name).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class MixedWord:
    word: str
    #: the scripts its letters come from, by name (e.g. Cyrillic, Latin)
    scripts: tuple[str, ...]

    def describe(self) -> str:
        return f"“{self.word}” mixes {' and '.join(self.scripts)} letters"


def _words(name: str) -> list[str]:
    words, current = [], ""
    for char in name:
        if unicodedata.category(char)[0] in "LMN" or char in _JOINERS:
            current += char
        elif current:
            words.append(current)
            current = ""
    return [*words, current] if current else words


def mixed_script_words(name: str) -> list[MixedWord]:
    """The words of ``name`` whose letters share no script (UTS #39 resolved script set)."""
    mixed = []
    for word in _words(name):
        if resolved_script_set(word) != frozenset():
            continue
        single = {next(iter(s)) for c in word if len(s := script_extensions(c) - ALL_SCRIPTS) == 1}
        codes = single if len(single) > 1 else {
            s for c in word for s in script_extensions(c) - ALL_SCRIPTS}
        mixed.append(MixedWord(word, tuple(sorted(script_name(s) for s in codes))))
    return mixed
