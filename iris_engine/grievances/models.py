"""Tables of the grievance domain: the case detail (personal data sealed) and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from iris_engine import bounds

__all__ = ["Grievance", "GrievanceMessage"]


class Grievance(SQLModel, table=True):
    """Detail of a grievance case. What identifies the complainant is sealed (``iris_engine.
    vault``): ``identity_sealed`` (name and contact) and ``narrative_sealed``; the rest is the
    classification that routing, deadlines and statistics need."""

    __tablename__ = "grievance"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    reference: str = Field(max_length=bounds.REFERENCE, unique=True)
    #: sha256 of the access code (a random 100-bit code: a slow hash adds nothing)
    access_code_hash: str = Field(max_length=64)
    complainant_role: str = Field(max_length=30)
    language: str = Field(max_length=bounds.LANGUAGE_TAG)
    origin_country: str = Field(max_length=2)
    destination_country: str = Field(max_length=2)
    recruiter_lrn: str | None = Field(default=None, max_length=bounds.LRN, index=True)
    recruiter_name: str | None = Field(default=None, max_length=bounds.ORGANISATION_NAME)
    #: the accreditation case of the recruiter named by LRN, when there is one
    recruiter_case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    allegations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    principles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    criminal: bool = False  # trafficking, forced or child labour: must be referred
    in_danger: bool = False
    fees_amount: str | None = Field(default=None, max_length=20)  # a decimal, as text
    fees_currency: str | None = Field(default=None, max_length=3)
    documents_retained: bool = False
    severity: str = Field(max_length=10)  # high | medium | low
    tier: int = 1  # 1 caseworker, 2 supervisor, 3 scheme manager (appeals)
    consent_share_identity: bool = False  # with the recruiter
    consent_refer: bool = False  # identity to an authority with a referral
    consent_contact: bool = False
    identity_sealed: str | None = None
    narrative_sealed: str | None = None
    filed_at: datetime
    signposted_to: str | None = None
    substantiated: bool | None = None
    finding_principles: list[str] = Field(default_factory=list,
                                          sa_column=Column(JSON, nullable=False))
    findings_summary: str | None = None
    remedies: list[dict[str, Any]] = Field(default_factory=list,
                                           sa_column=Column(JSON, nullable=False))
    escalations: int = 0
    closed_at: datetime | None = None
    legal_hold: bool = False
    legal_hold_reason: str | None = None
    purged_at: datetime | None = None


class GrievanceMessage(SQLModel, table=True):
    """A message between the complainant and the caseworker; the body is sealed."""

    __tablename__ = "grievance_message"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    author: str = Field(max_length=12)  # complainant | caseworker
    author_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    body_sealed: str | None = None  # None once purged
    created_at: datetime
