"""Names of people and organisations: what one may hold (checked where it comes in), and when
one may pass for another (UTS #39 skeletons and scripts). Pure: no web, no database."""

from __future__ import annotations

from iris_engine.names.lookalike import (
    LookAlikeKeys,
    MixedWord,
    look_alike_digests,
    look_alike_keys,
    mixed_script_words,
)
from iris_engine.names.rules import NameRefused, checked_name, clean_name, normalise_name

__all__ = [
    "LookAlikeKeys",
    "MixedWord",
    "NameRefused",
    "checked_name",
    "clean_name",
    "look_alike_digests",
    "look_alike_keys",
    "mixed_script_words",
    "normalise_name",
]
