"""Request and response shapes of the accreditation API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

__all__ = [
    "ApplicationCreate",
    "ApplicationView",
    "AvailableTransition",
    "CaseEventView",
    "DeadlineView",
    "NonConformityView",
    "TransitionRequest",
]


class ApplicationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new application in draft; the self-assessment may follow later."""

    self_assessment: dict[str, Any] | None = None
    code_of_conduct: str = "iris-standard/1.2"


class TransitionRequest(msgspec.Struct, forbid_unknown_fields=True):
    event: str
    expected_revision: int
    reason_code: str | None = None
    note: str | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)


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


class DeadlineView(msgspec.Struct):
    """A deadline on the case: pending, done (fired or told), cancelled or discarded."""

    name: str
    description: str
    due_at: datetime
    status: str
    outcome: str | None
    #: the event the system fires when it falls due (None: a notice only)
    fires: str | None


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


class CaseEventView(msgspec.Struct):
    seq: int
    event: str
    from_state: str | None
    to_state: str
    actor_id: int | None
    actor_role: str
    reason_code: str | None
    note: str | None
    data: dict[str, Any]
    at: datetime
    prev_hash: str
    hash: str


class AvailableTransition(msgspec.Struct):
    event: str
    to: str
    as_role: str
    reason_codes: list[str]
    note_required: bool
    data_schema: dict[str, Any] | None
    blocked_by: list[dict[str, str]]
