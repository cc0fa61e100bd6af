"""The referral workflow's detail table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

__all__ = ["Referral"]


class Referral(SQLModel, table=True):
    """Detail of a referral case (workflow ``referral``, organisation = the authority's),
    opened from a case of any workflow that refers (its ``source_case_id``)."""

    __tablename__ = "referral"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    source_case_id: int = Field(foreign_key="case_file.id", index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    remit: str = Field(max_length=30)
    identity_disclosed: bool = False
    disclosed_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    delivery_message_id: int | None = Field(default=None, foreign_key="outbox_message.id")
    received_at: datetime | None = None  # the authority first opened it (inbox channel)
    acknowledged_at: datetime | None = None
    external_reference: str | None = Field(default=None, max_length=100)
    outcome: str | None = Field(default=None, max_length=30)
    created_at: datetime
