"""The outbox: messages written in the transaction that causes them, delivered afterwards by
the ticker (e-mail over SMTP, signed webhooks), retried with back-off, dead-lettered when they
keep failing, re-drivable by an admin."""

from __future__ import annotations

from iris_engine.outbox.relay import OutboxRelay, RelayReport
from iris_engine.outbox.signing import SIGNATURE_HEADER, sign, verify
from iris_engine.outbox.store import enqueue, forget_recipient, list_messages, redrive

__all__ = [
    "SIGNATURE_HEADER",
    "OutboxRelay",
    "RelayReport",
    "enqueue",
    "forget_recipient",
    "list_messages",
    "redrive",
    "sign",
    "verify",
]
