"""Certificate numbers: ``IRIS-TC-`` then ten characters and a check character, from an
alphabet of 31 (Crockford's base 32 without Z: no I, L, O, U or Z, so nothing is misread as
1, 0, V or 2). The check makes the weighted sum of all eleven characters (weights 1 to 11)
divisible by 31, a prime: every single wrong character and every swap of two neighbours is
caught, so a mistyped number is told apart from one we never issued."""

from __future__ import annotations

import secrets

__all__ = ["PREFIX", "is_well_formed", "new_certificate_number", "normalise"]

PREFIX = "IRIS-TC-"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
_MODULUS = len(_ALPHABET)  # 31, prime
_BODY = 10
#: the inverse of the check character's weight (11) modulo 31
_INVERSE_OF_WEIGHT = pow(_BODY + 1, -1, _MODULUS)


def _check_character(body: str) -> str:
    total = sum(weight * _ALPHABET.index(char) for weight, char in enumerate(body, start=1))
    return _ALPHABET[(-total * _INVERSE_OF_WEIGHT) % _MODULUS]


def new_certificate_number() -> str:
    """A fresh random number (49 bits: guessing one that exists is hopeless)."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY))
    return f"{PREFIX}{body}{_check_character(body)}"


def normalise(text: str) -> str:
    """What a person typed, as we store it: upper case, without spaces or hyphens inside the
    number, and O, I and L read as the digits they look like."""
    raw = "".join(text.split()).upper().replace("-", "")
    bare_prefix = PREFIX.replace("-", "")
    if raw.startswith(bare_prefix):
        raw = raw[len(bare_prefix):]
    return PREFIX + raw.translate(str.maketrans("OIL", "011"))


def is_well_formed(number: str) -> bool:
    """Whether ``number`` (normalised) has our shape and its check character."""
    raw = number[len(PREFIX):] if number.startswith(PREFIX) else ""
    body, check = raw[:-1], raw[-1:]
    return (len(body) == _BODY and all(c in _ALPHABET for c in raw)
            and check == _check_character(body))
