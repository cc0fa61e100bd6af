"""Shapes of the referral API."""

from __future__ import annotations

from datetime import datetime

import msgspec

from iris_engine.cases.schemas import DeadlineView
from iris_engine.disclosure.schemas import ReferralPacket

__all__ = ["ReferralView"]



class ReferralView(msgspec.Struct):
    id: int
    state: str
    revision: int
    authority_id: int
    authority_name: str
    remit: str
    identity_disclosed: bool
    disclosed_fields: list[str]
    created_at: datetime
    delivered_at: datetime | None
    received_at: datetime | None
    acknowledged_at: datetime | None
    external_reference: str | None
    outcome: str | None
    packet: ReferralPacket | None = None
    deadlines: list[DeadlineView] | None = None
