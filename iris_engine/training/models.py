"""Tables of the training domain: courses (versioned data), the detail of a session case and
of an enrolment case, learners (who need no account; what identifies them is sealed) and the
certificates issued to them.

A session pins the course version it runs; an enrolment belongs to one session and one
learner; a certificate is issued from one enrolment and never changes what it certified: a
name corrected is a new certificate that supersedes the old one (which is revoked).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from iris_engine import bounds

__all__ = ["Certificate", "Course", "Enrolment", "Learner", "TrainingSession"]


class Course(SQLModel, table=True):
    """One version of a course. ``key`` names the course across versions (``trafficking-
    awareness``); a change is a new row with the next ``version``, so a session keeps running
    the version it was planned with. ``document`` is the course as validated against its JSON
    Schema; the columns beside it are what queries and certificates need."""

    __tablename__ = "training_course"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_training_course_version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=bounds.NAME, index=True)
    version: int
    title: str = Field(max_length=200)
    topics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    audiences: list[str] = Field(sa_column=Column(JSON, nullable=False))
    format: str = Field(max_length=20)  # in_person | online | blended
    duration_minutes: int
    #: active learning, breaks excluded: the CPD hours are derived from it (1 point an hour)
    active_minutes: int
    cpd_hours: float
    #: share of the active minutes a learner must be present for, in percent
    attendance_threshold: int
    #: the knowledge check's pass mark in percent; None when the course has no check
    pass_mark: int | None = None
    language: str = Field(max_length=bounds.LANGUAGE_TAG)
    #: a certificate of it counts towards the accreditation prerequisite
    accreditation_prerequisite: bool = False
    #: how long a certificate counts as valid (ISO 8601 duration); None: for good
    certificate_validity: str | None = Field(default=None, max_length=20)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="app_user.id")


class TrainingSession(SQLModel, table=True):
    """Detail of a ``training_session`` case: one delivery of a course version."""

    __tablename__ = "training_session"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    course_id: int = Field(foreign_key="training_course.id", index=True)
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    #: a place or "online"; never personal data
    venue: str = Field(max_length=200)
    language: str = Field(max_length=bounds.LANGUAGE_TAG)
    capacity: int
    #: confirmed enrolments now; changed only with the session's case row locked
    seats_taken: int = 0
    trainer_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)


class Learner(SQLModel, table=True):
    """A person who enrols, with or without an account. Name and e-mail are sealed (vault);
    ``email_digest`` (a keyed hash) finds the same person again without storing the address.
    ``organisation_id`` is set when an organisation's coordinator enrolled them (that is what
    the accreditation prerequisite counts); ``organisation_name`` is what a learner typed."""

    __tablename__ = "training_learner"

    id: int | None = Field(default=None, primary_key=True)
    name_sealed: str | None = None  # None once erased
    email_sealed: str | None = None
    email_digest: str | None = Field(default=None, max_length=64, index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    organisation_name: str | None = Field(default=None, max_length=bounds.ORGANISATION_NAME)
    sector: str = Field(max_length=50)
    #: sha256 of the link token that opens the learner's enrolments and certificates
    link_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime
    erased_at: datetime | None = None


class Enrolment(SQLModel, table=True):
    """Detail of an ``enrolment`` case: one learner in one session."""

    __tablename__ = "training_enrolment"
    __table_args__ = (
        # the waitlist is served in the order enrolments were asked for
        Index("ix_training_enrolment_queue", "session_case_id", "waitlisted_at", "case_id"),
    )

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    session_case_id: int = Field(foreign_key="case_file.id")
    learner_id: int = Field(foreign_key="training_learner.id", index=True)
    #: who enrolled them: None for a learner on their own, else the coordinator's account
    enrolled_by: int | None = Field(default=None, foreign_key="app_user.id")
    #: sha256 of the token e-mailed to confirm the address; None once confirmed
    confirmation_hash: str | None = Field(default=None, max_length=64, index=True)
    waitlisted_at: datetime | None = None
    minutes_present: int | None = None
    #: the knowledge check's score in percent, where the course has one
    score: int | None = None
    passed: bool | None = None
    requested_at: datetime


class Certificate(SQLModel, table=True):
    """A certificate, as issued: what it certified is copied here so that it stays true if the
    course changes, and stays verifiable once the learner's name is erased.

    ``id`` is the public certificate number with its check character (``certificates.py``);
    ``status_index`` is its place in the published status list (revocation)."""

    __tablename__ = "training_certificate"

    id: str = Field(primary_key=True, max_length=32)
    enrolment_case_id: int = Field(foreign_key="case_file.id", index=True)
    learner_id: int = Field(foreign_key="training_learner.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    course_id: int = Field(foreign_key="training_course.id", index=True)
    course_key: str = Field(max_length=bounds.NAME, index=True)
    course_title: str = Field(max_length=200)
    topics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    cpd_hours: float
    provider_reference: str = Field(max_length=100)
    #: the day the session was delivered
    awarded_on: date
    valid_until: date | None = None
    learner_name_sealed: str | None = None  # None once erased
    status_index: int = Field(unique=True)
    issued_at: datetime
    revoked_at: datetime | None = None
    #: the certificate that replaced this one (a name corrected)
    superseded_by: str | None = Field(default=None, max_length=32)
