"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<body>``.

Every webhook request carries::

    IRIS-Signature: t=1767225600,v1=5f0c...e1   (hex HMAC-SHA256 of b"1767225600." + body)
    Idempotency-Key: 2b1f...                      (the same on every attempt of one message)

A receiver recomputes the HMAC with the secret it was given when subscribing, compares in
constant time, rejects timestamps older than a few minutes (replays), and ignores a repeated
Idempotency-Key (a message may arrive more than once: delivery is at-least-once).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "sign", "verify"]

SIGNATURE_HEADER = "IRIS-Signature"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the IRIS-Signature header."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` s old."""
    pairs = [p.strip().split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in pairs if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body)
    # several v1 values let a sender sign with an old and a new secret while rotating
    return any(hmac.compare_digest(expected, v) for k, v in pairs if k == "v1")
