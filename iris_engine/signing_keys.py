"""Ed25519 signing keys read from a setting: the audit anchors' key and the training
credentials' key are loaded the same way, each with its own built-in development key (and a
warning) when the setting is empty, so a laptop works and production is told what to set."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from iris_engine.errors import ConfigurationError

__all__ = ["SigningKey", "b64decode", "b64encode", "development_seed", "generate_signing_key",
           "key_id_of", "load_signing_key"]

log = logging.getLogger(__name__)


def b64encode(raw: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64decode(text: str) -> bytes:
    """base64url with or without padding; ``ValueError`` when it is not."""
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def key_id_of(public_key: str) -> str:
    """A short name for a public key: the first 16 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(b64decode(public_key)).hexdigest()[:16]


def development_seed(variable: str) -> bytes:
    """The seed of the built-in key used when ``variable`` is unset: anyone can sign with it."""
    return hashlib.sha256(f"iris-engine development key; set {variable}".encode()).digest()


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Ed25519PrivateKey
    #: the raw 32-byte public key, base64url
    public_key: str
    key_id: str
    #: the built-in development key, with which anyone can sign
    is_development: bool

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def load_signing_key(setting: str, *, variable: str, make_one: str,
                     development: bytes | None = None) -> SigningKey:
    """The key in ``setting`` (base64url, 32 bytes), or the development key with a warning.

    Args:
        variable: the environment variable's name, for messages.
        make_one: the command that generates a key, for messages.
        development: the development seed (default: ``development_seed(variable)``).
    """
    is_development = not setting.strip()
    if is_development:
        log.warning("%s is not set: signing with the built-in development key, which anyone "
                    "can sign with; set it before real use (%s)", variable, make_one)
        seed = development if development is not None else development_seed(variable)
    else:
        try:
            seed = b64decode(setting)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise ConfigurationError(f"{variable} is not a base64url Ed25519 private key of 32 "
                                     f"bytes (make one: {make_one})")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    return SigningKey(private, public, key_id_of(public), is_development)


def generate_signing_key() -> tuple[str, str]:
    """A new (private key, its public key), both base64url."""
    private = Ed25519PrivateKey.generate()
    return b64encode(private.private_bytes_raw()), b64encode(
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
