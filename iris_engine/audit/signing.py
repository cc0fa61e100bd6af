"""The key that signs audit anchors: Ed25519, so that whoever verifies needs only the public
key, and a copy of the anchors cannot be re-signed by anyone who can read them."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from iris_engine.signing_keys import (
    b64decode,
    b64encode,
    generate_signing_key,
    key_id_of,
    load_signing_key,
)

__all__ = ["ALGORITHM", "AnchorSigner", "generate_signing_key", "key_id_of", "signature_holds"]

ALGORITHM = "Ed25519"
#: the seed of the key used when none is configured: anyone can sign with it
_DEVELOPMENT_SEED = hashlib.sha256(b"iris-engine development anchor key; set "
                                   b"IRIS_ANCHOR_SIGNING_KEY").digest()


def signature_holds(public_key: str, message: bytes, signature: str) -> bool:
    """True when ``signature`` (base64url) is ``public_key``'s signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(b64decode(public_key)).verify(
            b64decode(signature), message)
    except (ValueError, InvalidSignature):
        return False
    return True


class AnchorSigner:
    """Signs with the configured key (IRIS_ANCHOR_SIGNING_KEY), or the development key."""

    def __init__(self, setting: str) -> None:
        key = load_signing_key(setting, variable="IRIS_ANCHOR_SIGNING_KEY",
                               make_one="iris audit generate-key", development=_DEVELOPMENT_SEED)
        self._key = key
        self.is_development = key.is_development
        self.public_key = key.public_key
        self.key_id = key.key_id

    def sign(self, message: bytes) -> str:
        return b64encode(self._key.sign(message))


#: the development key's public half: an anchor signed with it proves nothing about its author
DEVELOPMENT_PUBLIC_KEY = b64encode(Ed25519PrivateKey.from_private_bytes(_DEVELOPMENT_SEED)
                                   .public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
