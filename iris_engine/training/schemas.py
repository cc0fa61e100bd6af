"""Request and response shapes of sessions, enrolments and the learner's own record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from iris_engine import bounds

__all__ = [
    "SECTORS",
    "BulkEnrolled",
    "BulkRow",
    "CertificateSummary",
    "EnrolmentConfirm",
    "EnrolmentConfirmed",
    "EnrolmentRequested",
    "EnrolmentView",
    "LearnerEnrolment",
    "LearnerRecord",
    "NameCorrection",
    "OpenSession",
    "SelfEnrolment",
    "SessionCreate",
    "SessionView",
]

#: the sectors a learner works in (frontline professionals, and recruiters); statistics count by them
SECTORS = ("social_care", "housing", "police", "faith", "health", "home_office", "recruitment",
           "other")
Sector = Literal["social_care", "housing", "police", "faith", "health", "home_office",
                 "recruitment", "other"]
Venue = Annotated[str, Meta(min_length=1, max_length=200, pattern=bounds.SOME_TEXT,
                            description='A place, or "online"; never personal data')]
Language = Annotated[str, Meta(min_length=2, max_length=bounds.LANGUAGE_TAG,
                               pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$",
                               description="BCP 47 language tag, e.g. en or ne-NP")]
Id = Annotated[int, Meta(ge=1, le=bounds.MAX_ID)]
#: an RFC 3339 time with its offset
Moment = Annotated[datetime, Meta(tz=True, extra_json_schema={"maxLength": 40},
                                  description="RFC 3339 with its offset, e.g. 2027-03-01T09:00:00Z")]
#: the tokens we e-mail (secrets.token_urlsafe(32): 43 characters)
Token = Annotated[str, Meta(min_length=1, max_length=bounds.TOKEN, pattern=r"^[A-Za-z0-9_-]+$")]


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True):
    course_id: Id
    starts_at: Moment
    ends_at: Moment
    venue: Venue
    language: Language
    capacity: Annotated[int, Meta(ge=1, le=10_000)]
    trainer_id: Id


class SessionView(msgspec.Struct):
    id: int
    state: str
    revision: int
    course_id: int
    course_key: str
    course_title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    language: str
    capacity: int
    seats_taken: int
    trainer_id: int | None


class OpenSession(msgspec.Struct):
    """A session open for registration, as the public sees it (no one's name)."""

    id: int
    course_key: str
    course_title: str
    cpd_hours: float
    format: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    language: str
    seats_left: int
    #: where to enrol (POST name, email, organisation, sector)
    enrol_href: str


class SelfEnrolment(msgspec.Struct, forbid_unknown_fields=True):
    name: bounds.PersonName
    email: bounds.Email
    sector: Sector
    organisation: bounds.OrganisationName | None = None


class EnrolmentRequested(msgspec.Struct):
    """The same answer whoever asks: whether the address is new, known or already enrolled
    is told only to the address itself."""

    state: str
    confirm_within_hours: int
    message: str


class EnrolmentConfirm(msgspec.Struct, forbid_unknown_fields=True):
    token: Token


class EnrolmentConfirmed(msgspec.Struct):
    enrolment_id: int
    #: confirmed (a seat is held) or waitlisted
    state: str
    #: shown once (and e-mailed): send it as X-Learner-Token to GET record_href
    link_token: str
    record_href: str


class CertificateSummary(msgspec.Struct):
    number: str
    course_title: str
    awarded_on: date
    cpd_hours: float
    valid_until: date | None
    revoked_at: datetime | None
    superseded_by: str | None


class EnrolmentView(msgspec.Struct):
    id: int
    state: str
    revision: int
    session_id: int
    learner_id: int
    #: the learner's name (opened for the staff who reach the enrolment); None once erased
    learner_name: str | None
    sector: str
    organisation_id: int | None
    enrolled_by: int | None
    requested_at: datetime
    waitlisted_at: datetime | None
    minutes_present: int | None
    score: int | None
    passed: bool | None
    certificates: list[CertificateSummary]


class LearnerEnrolment(msgspec.Struct):
    id: int
    state: str
    revision: int
    session: OpenSession
    minutes_present: int | None
    passed: bool | None
    certificates: list[CertificateSummary]


class LearnerRecord(msgspec.Struct):
    """What a learner's link token opens: their enrolments and certificates."""

    name: str | None
    enrolments: list[LearnerEnrolment]


class BulkRow(msgspec.Struct):
    line: int
    enrolment_id: int
    state: str


class BulkEnrolled(msgspec.Struct):
    enrolled: list[BulkRow]
    confirmed: int
    waitlisted: int


class NameCorrection(msgspec.Struct, forbid_unknown_fields=True):
    name: bounds.PersonName
    expected_revision: Annotated[int, Meta(ge=0, le=bounds.MAX_ID)]
