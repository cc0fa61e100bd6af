"""The key that signs audit anchors: Ed25519, so that whoever verifies needs only the public
key, and a copy of the anchors cannot be re-signed by anyone who can read them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from iris_engine.errors import ConfigurationError

__all__ = ["ALGORITHM", "AnchorSigner", "generate_signing_key", "key_id_of", "signature_holds"]

log = logging.getLogger(__name__)

ALGORITHM = "Ed25519"
#: the seed of the key used when none is configured: anyone can sign with it
_DEVELOPMENT_SEED = hashlib.sha256(b"iris-engine development anchor key; set "
                                   b"IRIS_ANCHOR_SIGNING_KEY").digest()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    """base64url with or without padding; ``ValueError`` when it is not."""
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def key_id_of(public_key: str) -> str:
    """A short name for a public key: the first 16 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(_b64decode(public_key)).hexdigest()[:16]


def generate_signing_key() -> tuple[str, str]:
    """A new (private key for IRIS_ANCHOR_SIGNING_KEY, its public key), both base64url."""
    private = Ed25519PrivateKey.generate()
    return _b64encode(private.private_bytes_raw()), _b64encode(
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def signature_holds(public_key: str, message: bytes, signature: str) -> bool:
    """True when ``signature`` (base64url) is ``public_key``'s signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(_b64decode(public_key)).verify(
            _b64decode(signature), message)
    except (ValueError, InvalidSignature):
        return False
    return True


class AnchorSigner:
    """Signs with the configured key (IRIS_ANCHOR_SIGNING_KEY), or the development key."""

    def __init__(self, setting: str) -> None:
        self.is_development = not setting.strip()
        if self.is_development:
            log.warning("IRIS_ANCHOR_SIGNING_KEY is not set: audit anchors are signed with the "
                        "built-in development key, which anyone can sign with; set it before "
                        "real use (iris audit generate-key)")
            seed = _DEVELOPMENT_SEED
        else:
            try:
                seed = _b64decode(setting)
            except ValueError:
                seed = b""
            if len(seed) != 32:
                raise ConfigurationError("IRIS_ANCHOR_SIGNING_KEY is not a base64url Ed25519 "
                                         "private key of 32 bytes (make one: iris audit "
                                         "generate-key)")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = _b64encode(self._key.public_key().public_bytes(Encoding.Raw,
                                                                         PublicFormat.Raw))
        self.key_id = key_id_of(self.public_key)

    def sign(self, message: bytes) -> str:
        return _b64encode(self._key.sign(message))


#: the development key's public half: an anchor signed with it proves nothing about its author
DEVELOPMENT_PUBLIC_KEY = _b64encode(Ed25519PrivateKey.from_private_bytes(_DEVELOPMENT_SEED)
                                    .public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
