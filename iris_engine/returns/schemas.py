"""Shapes of a return case as the API shows it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from iris_engine import bounds

__all__ = ["Audience", "Language", "NrmStatus", "ReturnAccountView", "ReturnIdentityView",
           "ReturnPartnerCreate", "ReturnPartnerView", "ReturnReferral", "ReturnView", "Survivor"]


#: which shape of a return case the caller is shown: ``staff`` (return officers and
#: supervisors: all of it), ``referrer`` (the organisation that referred: how its referral is
#: going) or ``partner`` (the origin-country partner: what it needs to receive the survivor)
Audience = Literal["staff", "referrer", "partner"]


class ReturnView(msgspec.Struct):
    """A return case without what identifies the survivor (``/identity`` opens that, recorded).

    One shape for every reader; a field a reader is not told is ``null`` (``shown_as`` says
    whose shape it is). A referrer sees the stage, reference, NRM status and the enquiry,
    departure, arrival and end dates, never the partner, the risk outcome, the travel plans or
    who holds the case. A partner sees what it needs to receive the survivor: stage,
    reference, nationality, country of return, language, age group, danger, the risk outcome
    and the travel dates; never who referred, the NRM status or the case it came from."""

    id: int
    state: str
    revision: int
    reference: str
    shown_as: Audience
    enquiry_at: datetime
    departed_at: datetime | None
    arrived_at: datetime | None
    ended_at: datetime | None
    #: the survivor's personal data was erased at the end of the retention period
    erased: bool
    nationality: str | None = None
    return_country: str | None = None
    age_group: str | None = None
    language: str | None = None
    in_danger: bool | None = None
    nrm_status: str | None = None
    assignee_id: int | None = None
    referrer_organisation_id: int | None = None
    source_case_id: int | None = None
    partner_organisation_id: int | None = None
    risk_outcome: str | None = None
    scheduled_departure_at: datetime | None = None
    scheduled_arrival_at: datetime | None = None
    escalations: int | None = None
    legal_hold: bool | None = None


class ReturnIdentityView(msgspec.Struct):
    """Who the survivor is and how to reach them; each read is recorded (``basis``: the scope
    through which the reader reaches the case)."""

    name: str
    date_of_birth: str | None
    phone: str | None
    email: str | None
    other: str | None
    basis: str


class ReturnAccountView(msgspec.Struct):
    """What happened and why the survivor wants to go home, as the referrer heard it; each
    read is recorded."""

    account: str
    language: str
    basis: str


Language = Annotated[str, Meta(min_length=2, max_length=bounds.LANGUAGE_TAG,
                               pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                               description="BCP 47 language tag, e.g. bg, ro, hu, cs")]
NrmStatus = Literal["none", "referred", "positive_reasonable_grounds",
                    "positive_conclusive_grounds", "withdrawn", "duty_to_notify_only"]


class Survivor(msgspec.Struct, forbid_unknown_fields=True):
    """Who the survivor is and how to reach them: sealed at rest; ``/identity`` opens it for
    those entitled, each read recorded. Only the name is required."""

    name: bounds.PersonName
    date_of_birth: Annotated[date, Meta(extra_json_schema={"maxLength": 10})] | None = None
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
