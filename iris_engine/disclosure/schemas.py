"""Shapes of what leaves a case: the authorities directory, a referral's packet, a person's
identity as disclosed."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

import msgspec
from msgspec import Meta

from iris_engine import bounds

__all__ = ["REMITS", "AuthorityCreate", "AuthorityView", "Consents", "Country", "IdentityView",
           "ReferralPacket", "Remit"]

Country = bounds.CountryCode
#: what an authority can act on
Remit = Literal["trafficking", "labour_exploitation", "child_protection", "licensing", "wages",
                "immigration", "data_protection"]
REMITS: tuple[str, ...] = get_args(Remit)


class AuthorityCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An authority cases can be referred to; its users sign in with role ``authority``."""

    name: bounds.OrganisationName
    countries: Annotated[list[Country], Meta(min_length=1, max_length=60,
                                             description="Jurisdiction, ISO 3166-1 alpha-2")]
    remits: Annotated[list[Remit], Meta(min_length=1)]
    channel: Literal["inbox", "webhook"] = "inbox"
    webhook_url: bounds.Url | None = None


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


class Consents(msgspec.Struct, forbid_unknown_fields=True):
    share_identity_with_recruiter: bool = False
    refer_to_authority: bool = False
    be_contacted: bool = False


class IdentityView(msgspec.Struct):
    """A person's identity and contact, and what they consented to; each read is recorded."""

    name: str | None
    email: str | None
    phone: str | None
    other: str | None
    preferred_channel: str | None
    consents: Consents
    basis: str


class ReferralPacket(msgspec.Struct):
    """The minimum the authority needs to act; identity separately, only with consent. This is
    what a grievance's referral carries (the only source workflow today): a source workflow
    with other data adds its own packet type beside it."""

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
