"""When one name may pass for another: look-alike keys and words that mix scripts.

Two names look alike when one of their keys is equal. The first is the UTS #39 skeleton of the
name as written (``Lotus`` with a Cyrillic o, U+043E, meets ``Lotus``; ``SERVlCES`` meets
``SERVICES``); the second the skeleton of the case-folded name, folded and skeletoned again
(``LOTUS``, ``lotus`` and ``L0TUS`` meet ``Lotus``). One key cannot do both: a capital ``I``
looks like a small ``l`` and is the capital of ``i``. Spaces are collapsed in both. Names that
only share words (``Lotus Manpower``, ``Lotus Global``) do not meet. A word whose letters come
from scripts never written together (Latin and that Cyrillic o) mixes scripts; a name
may still use several scripts word by word (``Himalaya मानव संसाधन``).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from iris_engine.names.uts39 import ALL_SCRIPTS, resolved_script_set, script_extensions, script_name, skeleton

__all__ = ["LookAlikeKeys", "MixedWord", "look_alike_digests", "look_alike_keys", "mixed_script_words"]

_JOINERS = frozenset("\u200c\u200d")


@dataclass(frozen=True, slots=True)
class LookAlikeKeys:
    """Two names look alike when either key is equal (see the module's docstring)."""

    #: the UTS #39 skeleton of the name as written
    exact: str
    #: the skeleton of the case-folded name, folded and skeletoned again
    folded: str


def _spaced(text: str) -> str:
    return " ".join(text.split())


def look_alike_keys(name: str) -> LookAlikeKeys:
    return LookAlikeKeys(exact=_spaced(skeleton(name)),
                         folded=_spaced(skeleton(skeleton(name.casefold()).casefold())))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def look_alike_digests(name: str) -> LookAlikeKeys:
    """The keys as fixed-size digests, to store and index (a skeleton may be far longer than
    its name: one ligature can stand for a phrase)."""
    keys = look_alike_keys(name)
    return LookAlikeKeys(exact=_digest(keys.exact), folded=_digest(keys.folded))


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
