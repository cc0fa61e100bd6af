"""What a name of a person or an organisation may hold, checked where it comes in.

A name is stored in NFC with its spaces trimmed and runs of spaces made one. It is refused when
it holds a control character, a bidirectional control (which can make a name read backwards:
U+202E), an invisible formatting character, a private-use or unassigned code point, a filler
drawn as nothing, or when nothing in it is visible. The zero-width joiner and non-joiner stay
where a script needs them (RFC 5892's CONTEXTJ rules: after a virama, as in Devanagari, or
between joining letters, as in Persian), and are refused anywhere else.
"""

from __future__ import annotations

import re
import unicodedata

import idna

from iris_engine.errors import FieldError, InvalidInput
from iris_engine.names.uts39 import is_default_ignorable

__all__ = ["NameRefused", "checked_name", "clean_name", "normalise_name"]

ZWNJ, ZWJ = "\u200c", "\u200d"
#: embeddings, overrides, isolates and marks: they reorder what is shown, never a name's letters
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
#: letters (Lo) that are drawn as nothing: the favourite blank "name"
FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
_SPACES = re.compile(r"\s+")
_SHOWN_AT_MOST = 3


class NameRefused(ValueError):
    """A name that may not be stored; the message says what to change."""


def _label(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _why_refused(text: str, i: int) -> str | None:
    """What is wrong with the character at ``i`` in a name, or None."""
    char = text[i]
    category = unicodedata.category(char)
    if char in BIDI_CONTROLS:
        return "a bidirectional control"
    if category == "Cc":
        return "a control character"
    if category in ("Zl", "Zp"):
        return "a line break"
    if char in (ZWNJ, ZWJ):
        try:
            if idna.valid_contextj(text, i):
                return None
        except ValueError:  # a neighbour unknown to this Python's Unicode: refused on its own
            pass
        return "a joiner where no script needs one"
    if category == "Cf":
        return "an invisible formatting character"
    if category == "Co":
        return "a private-use character"
    if category in ("Cs", "Cn"):
        return f"not a character of Unicode {unicodedata.unidata_version}"
    if char in FILLERS:
        return "a filler drawn as nothing"
    return None


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS" and not is_default_ignorable(char)


def normalise_name(value: str, *, max_length: int | None = None) -> str:
    """The name as stored (NFC, spaces trimmed and collapsed), or ``NameRefused``."""
    text = unicodedata.normalize("NFC", value)
    found: dict[str, tuple[str, int]] = {}
    for i, char in enumerate(text):
        why = _why_refused(text, i)
        if why is not None and char not in found:
            found[char] = (why, i + 1)
    if found:
        shown = [f"{_label(c)} ({why}, at character {at})"
                 for c, (why, at) in list(found.items())[:_SHOWN_AT_MOST]]
        more = len(found) - len(shown)
        raise NameRefused("remove " + "; ".join(shown) + (f"; and {more} more" if more else "")
                          + ": a name holds no control or invisible formatting characters")
    text = _SPACES.sub(" ", text).strip()
    if not any(_visible(c) for c in text):
        raise NameRefused("the name has no visible character")
    if max_length is not None and len(text) > max_length:
        raise NameRefused(f"at most {max_length} characters (this one has {len(text)})")
    return text


def checked_name(value: str, pointer: str, errors: list[FieldError], *,
                 max_length: int | None = None) -> str:
    """The name as stored; a refusal is added to ``errors`` at ``pointer`` (the caller
    raises them together) and the value comes back unchanged."""
    try:
        return normalise_name(value, max_length=max_length)
    except NameRefused as refused:
        errors.append(FieldError(pointer, str(refused)))
        return value


def clean_name(value: str, pointer: str, *, max_length: int | None = None) -> str:
    """The name as stored, or ``InvalidInput`` (422) naming the field by its JSON pointer."""
    errors: list[FieldError] = []
    name = checked_name(value, pointer, errors, max_length=max_length)
    if errors:
        raise InvalidInput("the name cannot be accepted as written", errors=errors)
    return name
