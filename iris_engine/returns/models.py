"""Tables of the return domain: the detail of a return case, consents per purpose, the
reintegration services, the monitoring reports and the origin-country partners.

This is the most sensitive data the engine holds: what identifies a survivor (name, date of
birth, contact), their account, the risk assessment, the witness of a consent and each
monitoring report are sealed by the vault (``returns.sealing``), bound to their row; the clear
columns are the classification that routing, guards, deadlines and statistics need. Costs are
integers in minor units (pence) of one currency, so sums are exact on both databases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from iris_engine import bounds

__all__ = ["MonitoringReport", "ReturnCase", "ReturnConsent", "ReturnPartner", "ReturnService"]


class ReturnCase(SQLModel, table=True):
    """Detail of a ``return`` case: one survivor's voluntary return and reintegration."""

    __tablename__ = "return_case"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    #: what the referrer and staff quote (``IRIS-RR-`` and a number), never the survivor's name
    reference: str = Field(max_length=bounds.REFERENCE, unique=True)
    #: the organisation that referred (a charity, the police, ...); None from a grievance
    referrer_organisation_id: int | None = Field(default=None, foreign_key="organisation.id",
                                                 index=True)
    #: the case it was referred from (a grievance), linked both ways through ``source_case_id``
    source_case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    #: ISO 3166-1 alpha-2: the survivor's nationality, checked against the workflow's
    #: ``eligible_nationalities``, and the country they return to
    nationality: str = Field(max_length=2, index=True)
    return_country: str = Field(max_length=2, index=True)
    age_group: str = Field(max_length=5)  # adult | child
    language: str = Field(max_length=bounds.LANGUAGE_TAG)
    #: the referrer says the survivor is in immediate danger: the return officer acts first
    in_danger: bool = False
    #: sealed {name, date_of_birth, phone, email, other}; None once erased
    identity_sealed: str | None = None
    #: the referrer's account of what happened (sealed); None once erased
    narrative_sealed: str | None = None
    #: none | referred | positive_reasonable_grounds | positive_conclusive_grounds | withdrawn |
    #: duty_to_notify_only: recorded (its history is the case's events), never a gate
    nrm_status: str = Field(default="none", max_length=40)
    nrm_status_at: datetime | None = None
    #: the origin-country partner the case is shared with (``share_with_partner``)
    partner_organisation_id: int | None = Field(default=None, foreign_key="organisation.id",
                                                index=True)
    #: proceed | proceed_with_measures | not_advised; the form itself is sealed
    risk_outcome: str | None = Field(default=None, max_length=30)
    risk_assessment_sealed: str | None = None
    risk_assessed_at: datetime | None = None
    #: the budget (minor units of ``currency``) fixed when the plan was approved, and what a
    #: supervisor approved beyond it
    budget_minor: int | None = None
    approved_excess_minor: int = 0
    currency: str = Field(default="GBP", max_length=3)
    scheduled_departure_at: datetime | None = None
    scheduled_arrival_at: datetime | None = None
    departed_at: datetime | None = None
    arrived_at: datetime | None = None
    escalations: int = 0
    enquiry_at: datetime
    #: closed, withdrawn, not eligible or not advised: the retention period runs from here
    ended_at: datetime | None = None
    legal_hold: bool = False
    legal_hold_reason: str | None = None
    purged_at: datetime | None = None


class ReturnConsent(SQLModel, table=True):
    """Informed consent for one purpose, as given: the text's version and language, whether an
    interpreter was used, who witnessed it (sealed). A re-confirmation is a new row; a
    withdrawal sets ``withdrawn_at`` on every live row of the purpose."""

    __tablename__ = "return_consent"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    #: return_assistance | share_with_partner | share_with_services
    purpose: str = Field(max_length=30)
    #: for share_with_services: the service kinds it covers
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text_version: str = Field(max_length=40)
    language: str = Field(max_length=bounds.LANGUAGE_TAG)
    interpreter_used: bool = False
    witness_sealed: str | None = None
    recorded_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    given_at: datetime
    withdrawn_at: datetime | None = None


class ReturnService(SQLModel, table=True):
    """One service of the reintegration plan, with its provider, status and costs."""

    __tablename__ = "return_service"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    #: travel_documents | flight | land_transport | shelter | medical_care | psychosocial_care |
    #: labour_market_orientation | education | family | legal
    kind: str = Field(max_length=30)
    #: the organisation that provides it (never a person's name)
    provider: str = Field(max_length=bounds.ORGANISATION_NAME)
    status: str = Field(max_length=12)  # planned | booked | delivered | cancelled
    planned_cost_minor: int
    actual_cost_minor: int | None = None
    currency: str = Field(max_length=3)
    planned_at: datetime
    updated_at: datetime


class MonitoringReport(SQLModel, table=True):
    """A monitoring report filed by the partner (or the return officer) 3, 6 or 12 months after
    arrival: the form sealed, a classification beside it for statistics."""

    __tablename__ = "return_monitoring_report"
    __table_args__ = (UniqueConstraint("case_id", "due", name="uq_return_monitoring_due"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    due: str = Field(max_length=10)  # first | second | third
    filed_at: datetime
    filed_by_role: str = Field(max_length=30)
    report_sealed: str | None = None
    #: stable | temporary | none
    housing: str = Field(max_length=12)
    #: employed | self_employed | training | support | none
    income: str = Field(max_length=15)
    #: good | fair | poor
    wellbeing: str = Field(max_length=6)
    retrafficking_concern: bool = False


class ReturnPartner(SQLModel, table=True):
    """An origin-country partner (an NGO, a social service): its users sign in with role
    ``partner`` and reach only the cases shared with ``organisation_id``."""

    __tablename__ = "return_partner"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", unique=True)
    name: str = Field(max_length=bounds.ORGANISATION_NAME)
    #: space-separated ISO codes of the countries it receives survivors in
    countries: str = Field(max_length=400)
    #: space-separated service kinds it provides
    services: str = Field(max_length=400)
    active: bool = True
    created_at: datetime
