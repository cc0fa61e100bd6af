"""Personal data sealed at rest: AES-256-GCM, each value tagged with the id of its key.

A sealed value is ``v1.<key id>.<base64url(nonce + ciphertext)>``. The associated data binds it
to its place (e.g. ``grievance:12:identity``), so a value copied into another row or column
does not open. Keys come from ``IRIS_DATA_KEYS`` (``id:key,id:key``; the first seals, all open),
which is how keys rotate: put a new key first, run ``iris keys rotate``, then drop the old one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from iris_engine.errors import ApplicationError, ConfigurationError

__all__ = ["DEV_KEY_ID", "SealedValueError", "Vault", "generate_key"]

log = logging.getLogger(__name__)

#: the key used when none is configured: fine for a laptop, never for real complaints
DEV_KEY_ID = "dev"
_DEV_KEY = hashlib.sha256(b"iris-engine development data key; set IRIS_DATA_KEYS").digest()
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class SealedValueError(ApplicationError):
    """A sealed value cannot be opened: unknown key, wrong place or tampered with."""

    title = "Sealed data cannot be opened"
    slug = "sealed-data"


def generate_key(key_id: str) -> str:
    """A fresh ``id:key`` entry for IRIS_DATA_KEYS."""
    if not _KEY_ID.fullmatch(key_id):
        raise ValueError("a key id is 1 to 32 letters, digits, _ or -")
    return f"{key_id}:{base64.urlsafe_b64encode(AESGCM.generate_key(256)).decode().rstrip('=')}"


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_keys(spec: str) -> list[tuple[str, bytes]]:
    """``id:key,id:key`` -> [(id, 32-byte key)]; malformed entries are configuration errors."""
    keys: list[tuple[str, bytes]] = []
    for n, entry in enumerate(e.strip() for e in spec.split(",") if e.strip()):
        key_id, sep, text = entry.partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise ConfigurationError(f"IRIS_DATA_KEYS entry {n + 1}: expected id:base64key with an "
                                     "id of letters, digits, _ or - (make one: iris keys generate)")
        try:
            key = _b64decode(text)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ConfigurationError(f"IRIS_DATA_KEYS key {key_id!r}: not a base64url 256-bit key "
                                     "(make one: iris keys generate)")
        if any(key_id == k for k, _ in keys):
            raise ConfigurationError(f"IRIS_DATA_KEYS: key id {key_id!r} appears twice")
        keys.append((key_id, key))
    return keys


class Vault:
    def __init__(self, spec: str) -> None:
        keys = parse_keys(spec)
        if not keys:
            log.warning("IRIS_DATA_KEYS is not set: personal data is sealed with the built-in "
                        "development key, which anyone can read; set it before real use")
            keys = [(DEV_KEY_ID, _DEV_KEY)]
        self.current_id = keys[0][0]
        self._keys = {key_id: AESGCM(key) for key_id, key in keys}

    def seal(self, value: Any, *, place: str) -> str:
        """Encrypt a JSON-able value for ``place`` with the current key."""
        nonce = os.urandom(12)
        plain = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        box = self._keys[self.current_id].encrypt(nonce, plain, place.encode())
        return f"v1.{self.current_id}.{base64.urlsafe_b64encode(nonce + box).decode().rstrip('=')}"

    def open(self, sealed: str, *, place: str) -> Any:
        _, key_id, body = self._split(sealed)
        key = self._keys.get(key_id)
        if key is None:
            raise SealedValueError(f"{place} is sealed with key {key_id!r}, which IRIS_DATA_KEYS "
                                   "does not hold")
        try:
            raw = _b64decode(body)
            if len(raw) < 28:  # a 12-byte nonce and a 16-byte tag at least: it was cut
                raise InvalidTag
            plain = key.decrypt(raw[:12], raw[12:], place.encode())
        except (InvalidTag, ValueError):  # binascii.Error is a ValueError
            raise SealedValueError(f"{place} does not open: it was altered, or moved from "
                                   "another place") from None
        return json.loads(plain)

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith("v1.") and value.count(".") == 2

    def key_id(self, sealed: str) -> str:
        return self._split(sealed)[1]

    def reseal(self, sealed: str, *, place: str, plaintext_ok: bool = False) -> str:
        """The same value under the current key (rotation); unchanged if already current.
        With ``plaintext_ok``, a value stored before sealing existed is sealed now."""
        if plaintext_ok and not self.is_sealed(sealed):
            return self.seal(sealed, place=place)
        if self.key_id(sealed) == self.current_id:
            return sealed
        return self.seal(self.open(sealed, place=place), place=place)

    @staticmethod
    def _split(sealed: str) -> tuple[str, str, str]:
        parts = sealed.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise SealedValueError("not a sealed value")
        return parts[0], parts[1], parts[2]
