"""Shapes of a return case as the API shows it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from iris_engine import bounds

__all__ = ["Language", "NrmStatus", "ReturnPartnerCreate", "ReturnPartnerView", "ReturnReferral",
           "ReturnView", "Survivor"]


class ReturnView(msgspec.Struct):
    """A return case without what identifies the survivor (``/identity`` opens that, recorded).
    What a role is shown beyond the stage follows its part and the survivor's consents
    (``returns.service``)."""

    id: int
    state: str
    revision: int
    reference: str
    nationality: str
    return_country: str
    age_group: str
    language: str
    in_danger: bool
    nrm_status: str
    assignee_id: int | None
    referrer_organisation_id: int | None
    source_case_id: int | None
    partner_organisation_id: int | None
    risk_outcome: str | None
    scheduled_departure_at: datetime | None
    scheduled_arrival_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    escalations: int
    enquiry_at: datetime
    ended_at: datetime | None
    legal_hold: bool
    #: the survivor's personal data was erased at the end of the retention period
    erased: bool


Language = Annotated[str, Meta(min_length=2, max_length=bounds.LANGUAGE_TAG,
                               pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                               description="BCP 47 language tag, e.g. bg, ro, hu, cs")]
NrmStatus = Literal["none", "referred", "positive_reasonable_grounds",
                    "positive_conclusive_grounds", "withdrawn", "duty_to_notify_only"]


class Survivor(msgspec.Struct, forbid_unknown_fields=True):
    """Who the survivor is and how to reach them: sealed at rest; ``/identity`` opens it for
    those entitled, each read recorded. Only the name is required."""

    name: bounds.PersonName
    date_of_birth: date | None = None
    phone: Annotated[str, Meta(max_length=bounds.PHONE, pattern=r"^\+?[0-9 ()-]{6,30}$")] | None = None
    email: Annotated[str, Meta(pattern=rf"^[^@{bounds.BLANK}]+@[^@{bounds.BLANK}]+\.[^@{bounds.BLANK}]+$",
                               max_length=bounds.EMAIL)] | None = None
    other: Annotated[str, Meta(
        min_length=1, max_length=bounds.CONTACT_OTHER, pattern=bounds.NO_NUL,
        description="Another way to reach them safely (through the referrer, an app)")] | None = None


class ReturnReferral(msgspec.Struct, forbid_unknown_fields=True):
    """A referral for return assistance: the minimum to open an enquiry (DOMAIN.md). The
    nationality must be one returns are arranged to today (the workflow's
    ``eligible_nationalities``); survivors outside the NRM are eligible too."""

    nationality: bounds.CountryCode
    language: Language
    survivor: Survivor
    #: the country of return when it is not the nationality's (default: the nationality)
    return_country: bounds.CountryCode | None = None
    age_group: Literal["adult", "child"] = "adult"
    in_danger: bool = False
    nrm_status: NrmStatus = "none"
    #: what happened and why they want to go home, as the referrer heard it (sealed)
    account: Annotated[str, Meta(min_length=1, max_length=bounds.NARRATIVE,
                                 pattern=bounds.SOME_TEXT)] | None = None


class ReturnPartnerCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An origin-country partner: the countries it receives survivors in (ISO 3166-1 alpha-2)
    and the services it provides (the workflow's service kinds)."""

    name: bounds.OrganisationName
    countries: Annotated[list[bounds.CountryCode], Meta(min_length=1, max_length=60)]
    services: Annotated[list[Annotated[str, Meta(min_length=1, max_length=40)]],
                        Meta(min_length=1, max_length=20)]


class ReturnPartnerView(msgspec.Struct):
    id: int
    organisation_id: int
    name: str
    countries: list[str]
    services: list[str]
    active: bool
