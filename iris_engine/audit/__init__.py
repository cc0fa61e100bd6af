"""The audit trail beyond each chain: replayed to the case rows and the read models, and held
to anchors (signed digests of every chain head) kept outside the database."""

from __future__ import annotations

from iris_engine.audit.anchors import ANCHOR_TOPIC, Anchor, AnchorError, Head
from iris_engine.audit.folder import AnchorFolder, read_anchor
from iris_engine.audit.service import AnchorRefused, AuditTrail
from iris_engine.audit.signing import AnchorSigner, generate_signing_key
from iris_engine.audit.verify import Finding, TrailReport, verify_trail

__all__ = [
    "ANCHOR_TOPIC",
    "Anchor",
    "AnchorError",
    "AnchorFolder",
    "AnchorRefused",
    "AnchorSigner",
    "AuditTrail",
    "Finding",
    "Head",
    "TrailReport",
    "generate_signing_key",
    "read_anchor",
    "verify_trail",
]
