"""Tables of the accreditation domain: the application's detail and its findings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from iris_engine import bounds

__all__ = ["Accreditation", "AccreditationScope", "NameResemblance", "NonConformity",
           "RecruiterReference"]


class Accreditation(SQLModel, table=True):
    """Detail of an accreditation case: the self-assessment and the certificate."""

    __tablename__ = "accreditation"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    code_of_conduct: str = Field(max_length=bounds.CODE_OF_CONDUCT)  # e.g. iris-standard/1.2
    self_assessment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    submitted_at: datetime | None = None
    #: the organisation's reference (``RecruiterReference``), copied when the case earns or
    #: keeps it: every case of one organisation that was accredited carries the same LRN
    lrn: str | None = Field(default=None, max_length=bounds.LRN, index=True)
    accredited_on: date | None = None
    valid_until: date | None = None
    #: the answer to the scheme manager's request for information is due by then
    information_due: date | None = None


class RecruiterReference(SQLModel, table=True):
    """An organisation's reference number (LRN), drawn once and kept for good: a renewal, a
    restoration and a new application after a withdrawal all carry it (DOMAIN.md)."""

    __tablename__ = "recruiter_reference"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    lrn: str = Field(max_length=bounds.LRN, unique=True)
    issued_at: datetime
    #: the accreditation case that earned it
    case_id: int = Field(foreign_key="case_file.id")


class NonConformity(SQLModel, table=True):
    __tablename__ = "non_conformity"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    severity: str = Field(max_length=10)  # major | minor
    principle: str = Field(max_length=2)
    criterion: str = Field(max_length=10)
    description: str
    status: str = Field(default="open", max_length=20)  # open | plan_submitted | closed
    corrective_action: str | None = None
    evidence_ref: str | None = None
    raised_by: int | None = None
    raised_at: datetime
    closed_at: datetime | None = None


class NameResemblance(SQLModel, table=True):
    """A recruiter's name that may pass for another's: it looks like a name on the roster (its
    UTS #39 skeleton), or a word of it mixes scripts. Never a refusal (a real recruiter may be
    called much like another); the scheme manager sees it and explains the decision."""

    __tablename__ = "name_resemblance"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    #: the application it was found on; None when found as the organisation registered
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    found_on: str = Field(max_length=50)  # registration, or the event (submit, resubmit)
    kind: str = Field(max_length=20)  # look_alike | mixed_script
    name: str = Field(max_length=300)  # the organisation's name as checked
    resembles_lrn: str | None = Field(default=None, max_length=bounds.LRN)
    resembles_name: str | None = Field(default=None, max_length=300)
    detail: str = Field(max_length=1000)
    found_at: datetime


class AccreditationScope(SQLModel, table=True):
    """What an accreditation covers: its corridors (origin -> destination countries) and
    sectors, stated by the recruiter before submission (``update_scope``) and granted with the
    certificate, grown only by an extension a scheme manager grants; and an extension asked
    for and not yet decided. Scopes are canonical (``accreditation.scope.canonical``)."""

    __tablename__ = "accreditation_scope"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    #: [{"origin": "NP", "destination": "QA"}, ...], sorted, each once
    corridors: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    #: sector identifiers from the workflow's ``sectors`` setting, sorted, each once
    sectors: list[str] = Field(sa_column=Column(JSON, nullable=False))
    #: {"corridors": [...], "sectors": [...]} asked for by ``request_scope_extension``
    extension: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    extension_requested_at: datetime | None = None
