"""References and access codes: random, readable aloud, typo-tolerant (Crockford base 32)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["access_code_hash", "canonical_reference", "codes_match", "new_access_code", "new_reference",
           "normalise"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _random(n: int) -> str:
    # 32 letters: the low five bits of each random byte pick one, every letter equally likely
    # (one read of the system's randomness, not one per letter as ``secrets.choice`` makes)
    return "".join(_ALPHABET[b & 31] for b in secrets.token_bytes(n))


def new_reference() -> str:
    """``GRV-XXXXX-XXXXX``: 50 random bits, so references cannot be enumerated."""
    return f"GRV-{_random(5)}-{_random(5)}"


def new_access_code() -> str:
    """Four groups of five: 100 random bits, beyond guessing even without the lock-out."""
    return "-".join(_random(5) for _ in range(4))


def normalise(text: str) -> str:
    """What a person typed, as we store it: capitals, no spaces or dashes, O/I/L read as 0/1."""
    return "".join(ch for ch in text.upper().translate(_READS_AS) if ch.isalnum())


def access_code_hash(code: str) -> str:
    # a random 100-bit code needs no slow hash: there is no dictionary to try
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def codes_match(code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(access_code_hash(code), stored_hash)


def canonical_reference(text: str) -> str:
    """A reference as typed (any case, spaces, O for 0) in its stored form."""
    n = normalise(text)
    return f"GRV-{n[3:8]}-{n[8:]}" if len(n) == 13 and n.startswith("GRV") else text
