"""Shapes every case API shares: transitions, the audit trail, deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from iris_engine import bounds

__all__ = ["AvailableTransition", "CaseEventView", "DeadlineView", "TransitionRequest"]


class TransitionRequest(msgspec.Struct, forbid_unknown_fields=True):
    event: bounds.Name
    expected_revision: Annotated[int, Meta(ge=0, le=bounds.MAX_ID)]
    reason_code: bounds.Name | None = None
    note: Annotated[str, Meta(max_length=bounds.NOTE, pattern=bounds.NO_NUL)] | None = None
    data: bounds.JsonObject = msgspec.field(default_factory=dict)


class DeadlineView(msgspec.Struct):
    """A deadline on the case: pending; overdue (it fell due and was told, nothing fires, and
    it still applies while the case stays); done (fired, or met); cancelled or discarded."""

    name: str
    description: str
    due_at: datetime
    status: str
    outcome: str | None
    #: the event the system fires when it falls due (None: a notice only)
    fires: str | None


class CaseEventView(msgspec.Struct):
    seq: int
    event: str
    from_state: str | None
    to_state: str
    actor_id: int | None
    actor_role: str
    reason_code: str | None
    #: a personal note shows here opened, to those who may read the case
    note: str | None
    data: dict[str, Any]
    at: datetime
    prev_hash: str
    hash: str
    #: the note is personal data: sealed at rest, never copied into e-mail, erased by a purge
    personal_note: bool = False
    #: a personal note was written and has been erased (``note`` is null)
    note_erased: bool = False
    #: what the chain hashes in a personal note's stead: sha256(salt + note), the salt sealed
    #: with the note
    note_commitment: str | None = None


class AvailableTransition(msgspec.Struct):
    event: str
    to: str
    as_role: str
    reason_codes: list[str]
    note_required: bool
    #: a note written now is personal data (sealed, never e-mailed, erased by a purge)
    personal_note: bool
    data_schema: dict[str, Any] | None
    blocked_by: list[dict[str, str]]
