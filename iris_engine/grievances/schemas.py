"""Request and response shapes of the grievance API.

Constraints live on the types (msgspec ``Meta``), so the OpenAPI document states them and a
bad filing is refused with one error per field, before anything is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

import msgspec
from msgspec import Meta

from iris_engine import bounds
from iris_engine.cases.schemas import DeadlineView
from iris_engine.disclosure.schemas import Consents, Country

__all__ = [
    "ALLEGATIONS",
    "CRIMINAL_ALLEGATIONS",
    "ComplainantView",
    "Consents",
    "Contact",
    "Corridor",
    "Fees",
    "Filed",
    "GrievanceFiling",
    "GrievanceUpdate",
    "MessageCreate",
    "MessageView",
    "NamedRecruiter",
    "NarrativeView",
    "PrincipleCount",
    "RecruiterGrievanceStats",
    "StaffGrievanceView",
]

Principle = Literal["A", "B", "1", "2", "3", "4", "5"]
#: what a complainant may allege; the first three are crimes and must be referred
Allegation = Literal["trafficking", "forced_labour", "child_labour", "recruitment_fees",
                     "document_retention", "contract_substitution", "wage_theft",
                     "unlicensed_recruitment", "deception", "threats_or_violence", "other"]
ALLEGATIONS: tuple[str, ...] = get_args(Allegation)
CRIMINAL_ALLEGATIONS = frozenset(ALLEGATIONS[:3])
ComplainantRole = Literal["worker", "job_seeker", "family_member", "representative",
                          "civil_society", "other"]


class Corridor(msgspec.Struct, forbid_unknown_fields=True):
    origin: Country
    destination: Country


class NamedRecruiter(msgspec.Struct, forbid_unknown_fields=True):
    """The recruiter complained about: its LRN from the roster, or its name as known."""

    lrn: Annotated[str, Meta(max_length=bounds.LRN, pattern=r"^[A-Z]{2,5}[0-9]{4,12}$")] | None = None
    name: bounds.OrganisationName | None = None


class Fees(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[str, Meta(max_length=bounds.AMOUNT, pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$",
                                description="Decimal amount, e.g. 1500.00")]
    currency: Annotated[str, Meta(max_length=bounds.CURRENCY, pattern=r"^[A-Z]{3}$",
                                  description="ISO 4217, e.g. NPR")]


class Contact(msgspec.Struct, forbid_unknown_fields=True):
    """Who the complainant is and how to reach them: sealed at rest, never shown to the public."""

    name: bounds.PersonName | None = None
    email: Annotated[str, Meta(pattern=rf"^[^@{bounds.BLANK}]+@[^@{bounds.BLANK}]+\.[^@{bounds.BLANK}]+$",
                               max_length=bounds.EMAIL)] | None = None
    phone: Annotated[str, Meta(max_length=bounds.PHONE, pattern=r"^\+?[0-9 ()-]{6,30}$")] | None = None
    other: Annotated[str, Meta(min_length=1, max_length=bounds.CONTACT_OTHER, pattern=bounds.NO_NUL,
                               description="Another way to reach them (app, address)")] | None = None
    preferred_channel: Literal["email", "phone", "other", "messages"] | None = None


class GrievanceFiling(msgspec.Struct, forbid_unknown_fields=True):
    """A grievance, anonymous unless ``contact`` is given."""

    complainant_role: ComplainantRole
    language: Annotated[str, Meta(max_length=bounds.LANGUAGE_TAG, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                                  description="BCP 47 language tag, e.g. ne, en, hi")]
    corridor: Corridor
    recruiter: NamedRecruiter
    narrative: Annotated[str, Meta(min_length=1, max_length=bounds.NARRATIVE, pattern=bounds.NO_NUL)]
    allegations: Annotated[list[Allegation], Meta(max_length=11)] = msgspec.field(default_factory=list)
    principles: Annotated[list[Principle], Meta(max_length=7)] = msgspec.field(default_factory=list)
    fees_paid: Fees | None = None
    documents_retained: bool = False
    in_danger: bool = False
    contact: Contact | None = None
    consents: Consents = msgspec.field(default_factory=Consents)


class Filed(msgspec.Struct):
    """Keep both: the reference and the access code are the only way back to the case."""

    reference: str
    access_code: str
    state: str
    acknowledge_by: datetime | None
    follow_url: str


class GrievanceUpdate(msgspec.Struct):
    """A step of the case as the complainant sees it."""

    at: datetime
    event: str
    state: str
    description: str
    note: str | None = None
    data: dict[str, Any] | None = None


class MessageCreate(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, Meta(min_length=1, max_length=bounds.MESSAGE, pattern=bounds.NO_NUL)]


class MessageView(msgspec.Struct):
    id: int
    author: str
    body: str | None  # None once purged
    at: datetime


class ComplainantView(msgspec.Struct):
    reference: str
    state: str
    state_description: str
    revision: int
    tier: int
    filed_at: datetime
    updates: list[GrievanceUpdate]
    messages: list[MessageView]
    next_deadline: datetime | None
    #: events the complainant may fire now (withdraw, appeal)
    may: list[str]


class StaffGrievanceView(msgspec.Struct):
    """What staff see: never the complainant's identity (``/identity``) nor their account
    (``/narrative``), whose every read is recorded."""

    id: int
    reference: str
    state: str
    revision: int
    workflow_version: int
    assignee_id: int | None
    severity: str
    tier: int
    complainant_role: str
    language: str
    origin_country: str
    destination_country: str
    recruiter_lrn: str | None
    recruiter_name: str | None
    recruiter_case_id: int | None
    allegations: list[str]
    principles: list[str]
    criminal: bool
    in_danger: bool
    fees_amount: str | None
    fees_currency: str | None
    documents_retained: bool
    consents: Consents
    identity_on_file: bool
    #: the complainant's account is held (``/narrative``); erased with the personal data
    narrative_on_file: bool
    filed_at: datetime
    escalations: int
    substantiated: bool | None
    finding_principles: list[str]
    findings_summary: str | None
    signposted_to: str | None
    remedies: list[dict[str, Any]]
    closed_at: datetime | None
    legal_hold: bool
    purged_at: datetime | None
    referral_case_ids: list[int]
    #: the return cases its complainant was referred to for return assistance
    #: (``refer_for_return``); each names this grievance as its ``source_case_id``
    return_case_ids: list[int]
    deadlines: list[DeadlineView] | None = None


class NarrativeView(msgspec.Struct):
    """What happened, in the complainant's words; each read is recorded with its purpose."""

    narrative: str
    #: the language they wrote in (BCP 47)
    language: str
    filed_at: datetime
    #: the access that let the reader in (``queue``, ``all``, ``last_tier``, ...)
    basis: str


class PrincipleCount(msgspec.Struct):
    principle: str
    alleged: int
    substantiated: int


class RecruiterGrievanceStats(msgspec.Struct):
    """How many grievances name a recruiter, and which principles; never who complained."""

    lrn: str | None
    recruiter_name: str | None
    grievances: int
    open: int
    substantiated: int
    principles: list[PrincipleCount]

