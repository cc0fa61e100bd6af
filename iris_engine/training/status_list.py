"""The revocation list of the certificates, as a W3C Bitstring Status List: one bit per
certificate (its ``status_index``), set once it is revoked; gzip-compressed, then base64url
with the multibase prefix ``u``. At least 16 KB of bits (131,072 entries), so that a list
with few revocations does not tell who was revoked by its size."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from iris_engine.training.credentials import CONTEXT, Issuer, utc_text

__all__ = ["MIN_BITS", "bit_is_set", "decode_bitstring", "encode_bitstring", "status_list_credential"]

#: the specification's floor (16 KB): group privacy among the entries
MIN_BITS = 16 * 1024 * 8


def encode_bitstring(set_bits: Iterable[int]) -> str:
    """The encoded list with ``set_bits`` set (bit 0 is the first byte's most significant)."""
    indices = sorted(set(set_bits))
    if indices and indices[0] < 0:
        raise ValueError("a status index is never negative")
    bits = max(MIN_BITS, -(-((indices[-1] + 1) if indices else 0) // MIN_BITS) * MIN_BITS)
    raw = bytearray(bits // 8)
    for index in indices:
        raw[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same list always encodes the same
    packed = gzip.compress(bytes(raw), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_bitstring(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("not a multibase base64url value")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def bit_is_set(encoded: str, index: int) -> bool:
    raw = decode_bitstring(encoded)
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(list_url: str, revoked: Iterable[int], issuer: Issuer,
                           now: datetime) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` served at ``list_url``."""
    return {
        "@context": CONTEXT[:1],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.profile(),
        "validFrom": utc_text(now),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked),
        },
    }
