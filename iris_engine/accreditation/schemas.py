"""Request and response shapes of the accreditation API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from iris_engine import bounds
from iris_engine.cases.schemas import (
    AvailableTransition,
    CaseEventView,
    DeadlineView,
    TransitionRequest,
)

__all__ = [
    "ApplicationCreate",
    "ApplicationView",
    "AvailableTransition",
    "CaseEventView",
    "CorridorView",
    "DeadlineView",
    "NameResemblanceView",
    "NonConformityView",
    "ScopeView",
    "TransitionRequest",
]


class ApplicationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new application in draft; the self-assessment may follow later."""

    self_assessment: bounds.JsonObject | None = None
    code_of_conduct: Annotated[str, Meta(min_length=1, max_length=bounds.CODE_OF_CONDUCT,
                                                pattern=bounds.NO_NUL)] = (
        "iris-standard/1.2")


class NonConformityView(msgspec.Struct):
    id: int
    severity: str
    principle: str
    criterion: str
    description: str
    status: str
    corrective_action: str | None
    evidence_ref: str | None
    raised_at: datetime
    closed_at: datetime | None


class NameResemblanceView(msgspec.Struct):
    """The organisation's name may pass for another recruiter's: not a refusal, a flag for the
    scheme manager, who accepts such an application only with a note saying why."""

    #: look_alike: looks like a name on the roster (UTS #39 skeleton); mixed_script: a word of
    #: it mixes scripts (e.g. a Cyrillic o among Latin letters)
    kind: str
    detail: str
    name: str
    resembles_lrn: str | None
    resembles_name: str | None
    #: registration, or the event it was found on (submit, resubmit)
    found_on: str
    found_at: datetime


class CorridorView(msgspec.Struct):
    #: ISO 3166-1 alpha-2: where workers are recruited, and where they are placed
    origin: str
    destination: str


class ScopeView(msgspec.Struct):
    """What an accreditation covers: corridors and sectors (update_scope; extended after
    accreditation by request_scope_extension and extend_scope)."""

    corridors: list[CorridorView]
    #: identifiers from the workflow's ``sectors`` setting
    sectors: list[str]


class ApplicationView(msgspec.Struct):
    id: int
    state: str
    revision: int
    workflow: str
    workflow_version: int
    organisation_id: int
    organisation_name: str
    assignee_id: int | None
    code_of_conduct: str
    lrn: str | None
    accredited_on: date | None
    valid_until: date | None
    submitted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    non_conformities: list[NonConformityView]
    self_assessment: dict[str, Any] | None = None
    #: the case's deadlines, latest first (full view only)
    deadlines: list[DeadlineView] | None = None
    #: found when the organisation registered and when it submitted (full view only)
    name_resemblances: list[NameResemblanceView] | None = None
    #: the corridors and sectors stated (before accreditation) or granted (after); empty until
    #: update_scope is fired
    scope: ScopeView | None = None
    #: an extension of the scope asked for and not yet decided
    scope_extension: ScopeView | None = None
