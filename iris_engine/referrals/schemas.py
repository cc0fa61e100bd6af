"""Shapes of the authorities directory and the referral API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from iris_engine.cases.schemas import DeadlineView
from iris_engine.grievances.routing import Remit
from iris_engine.grievances.schemas import Country

__all__ = ["AuthorityCreate", "AuthorityView", "ReferralPacket", "ReferralView"]



class AuthorityCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An authority grievances can be referred to; its users sign in with role ``authority``."""

    name: Annotated[str, Meta(min_length=1, max_length=300)]
    countries: Annotated[list[Country], Meta(min_length=1, max_length=60,
                                             description="Jurisdiction, ISO 3166-1 alpha-2")]
    remits: Annotated[list[Remit], Meta(min_length=1)]
    channel: Literal["inbox", "webhook"] = "inbox"
    webhook_url: str | None = None


class AuthorityView(msgspec.Struct):
    id: int
    organisation_id: int
    name: str
    countries: list[str]
    remits: list[str]
    channel: str
    webhook_url: str | None
    active: bool
    #: the key that signs its webhooks: shown once, when the authority is added
    webhook_secret: str | None = None


class ReferralPacket(msgspec.Struct):
    """The minimum the authority needs to act; identity separately, only with consent."""

    complainant_role: str
    language: str
    origin_country: str
    destination_country: str
    recruiter_lrn: str | None
    recruiter_name: str | None
    allegations: list[str]
    principles: list[str]
    severity: str
    in_danger: bool
    fees_amount: str | None
    fees_currency: str | None
    documents_retained: bool
    narrative: str | None  # None once erased at the end of the retention period


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
