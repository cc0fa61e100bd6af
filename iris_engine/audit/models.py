"""The record of anchors taken, in the database: it numbers them, says when the next is due
and serves the latest to the public. It is no evidence: the anchors' files and the copies
published to subscribers are (whoever can rewrite this table cannot sign)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

__all__ = ["AuditAnchor"]


class AuditAnchor(SQLModel, table=True):
    __tablename__ = "audit_anchor"

    #: anchors are numbered 1, 2, ...; two processes taking the same number: one fails
    seq: int = Field(primary_key=True)
    taken_at: datetime
    cases: int
    events: int
    heads_digest: str = Field(max_length=64)
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=100)
