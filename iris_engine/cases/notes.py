"""Personal notes: what the person a case is about writes, and what staff write about them;
and the personal data fields of a transition's data (``personal_data`` in a workflow file: a
risk assessment, a monitoring report), sealed the same way with the note.

A note is personal when its author acts in a role whose scope on the workflow is ``case`` (the
person the case is about, e.g. someone holding the case's access code), or when the workflow
file marks the transition ``personal_note`` (``WorkflowSpec.note_is_personal``). Its text never
reaches ``case_event.note``: the vault seals it with a random salt, bound to its event
(``case:<id>:event:<seq>:note``), into ``note_sealed``, and the audit chain hashes
``note_commitment = sha256(salt + note)`` in its stead. Erasing the note (``note_sealed`` set to
NULL) and re-sealing it under a new key leave the chain as it was; while the note exists,
``iris audit verify`` opens it and checks it against the commitment. Without the salt, which
is erased with the note, the commitment cannot be used to guess a short note.

Personal data fields go into the same sealed value (``{"salt", "note"?, "data"}``); the event's
clear ``data`` names them under ``sealed`` and the commitment covers note and fields together
(``sha256(salt + canonical JSON of {"note", "data"})``; a note alone keeps the old form).

E-mail and webhooks never carry a personal note: they say one was written and where to read it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.errors import ConfigurationError
from iris_engine.store.db import erased
from iris_engine.store.models import CaseEvent
from iris_engine.vault import SealedValueError, Vault

__all__ = ["SEALED_FIELDS", "EventNotes", "SealedNote", "commitment", "erase_notes",
           "note_place"]

#: the key of an event's clear data that names the personal data fields sealed with it
SEALED_FIELDS = "sealed"

_SALT_BYTES = 32


def note_place(case_id: int, seq: int) -> str:
    """Where a sealed note lives: the vault binds it to its event."""
    return f"case:{case_id}:event:{seq}:note"


def commitment(salt: str, note: str | None, data: Mapping[str, Any] | None = None) -> str:
    """sha256 over the salt's bytes and the note (UTF-8), as hex: what the chain hashes. With
    personal data fields, over the canonical JSON of the note and the fields instead."""
    if not data:
        return hashlib.sha256(bytes.fromhex(salt) + (note or "").encode()).hexdigest()
    text = json.dumps({"note": note, "data": dict(data)}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(bytes.fromhex(salt) + text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SealedNote:
    sealed: str
    commitment: str


class EventNotes:
    """Seals, opens and checks personal notes with the vault."""

    def __init__(self, vault: Vault | None) -> None:
        self.vault = vault

    def _vault(self) -> Vault:
        if self.vault is None:  # closed: a personal note is never stored in clear instead
            raise ConfigurationError("a personal note must be sealed, and this engine was "
                                     "built without the vault")
        return self.vault

    def seal(self, case_id: int, seq: int, note: str | None,
             data: Mapping[str, Any] | None = None) -> SealedNote:
        salt = secrets.token_hex(_SALT_BYTES)
        body: dict[str, Any] = {"salt": salt}
        if note is not None:
            body["note"] = note
        if data:
            body["data"] = dict(data)
        sealed = self._vault().seal(body, place=note_place(case_id, seq))
        return SealedNote(sealed, commitment(salt, note, data))

    def seal_into(self, event: CaseEvent, note: str | None,
                  data: Mapping[str, Any] | None = None) -> None:
        """Put ``note`` (a personal note, or None) and the personal ``data`` fields on
        ``event`` sealed; the clear note column stays empty when the note is sealed."""
        sealed = self.seal(event.case_id, event.seq, note, data)
        if note is not None:
            event.note = None
        event.note_sealed, event.note_commitment = sealed.sealed, sealed.commitment

    def _body(self, event: CaseEvent) -> dict[str, Any] | None:
        if event.note_sealed is None:
            return None
        return dict(self._vault().open(event.note_sealed,
                                       place=note_place(event.case_id, event.seq)))

    def read(self, event: CaseEvent) -> str | None:
        """The event's note as its readers see it: the clear one, the personal one opened, or
        None (none written, or erased)."""
        body = self._body(event)
        if body is None or "note" not in body:
            return event.note
        return str(body["note"])

    def read_data(self, event: CaseEvent) -> dict[str, Any]:
        """The event's data as its readers see it: the clear data with the personal fields
        opened (those erased are absent; ``sealed`` still names them)."""
        body = self._body(event)
        if body is None or not body.get("data"):
            return event.data
        return {**event.data, **body["data"]}

    def defect(self, event: CaseEvent) -> str | None:
        """Why the event's personal note does not match the commitment the chain holds, or
        None when it does (or was erased: the commitment alone remains)."""
        if event.note_sealed is None:
            return None
        if event.note_commitment is None:
            return "a sealed note without its commitment"
        try:
            body = self._vault().open(event.note_sealed,
                                      place=note_place(event.case_id, event.seq))
            note = body.get("note")
            expected = commitment(str(body["salt"]), None if note is None else str(note),
                                  body.get("data"))
        except (SealedValueError, KeyError, TypeError, ValueError) as exc:
            return f"its sealed note does not open ({exc})"
        if not hmac.compare_digest(expected, event.note_commitment):
            return "its sealed note does not match its commitment (altered)"
        return None


async def erase_notes(session: AsyncSession, case_ids: Iterable[int]) -> int:
    """Erase the personal notes of these cases' events (their commitments stay, so the chains
    still verify); answers how many were erased. Events are only ever appended, and key
    rotation locks the rows it re-seals, so nothing written meanwhile brings a note back."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    result = await session.execute(
        update(CaseEvent).where(col(CaseEvent.case_id).in_(ids),
                                col(CaseEvent.note_sealed).is_not(None))
        .values(note_sealed=None).execution_options(synchronize_session="fetch"))
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        erased(session, CaseEvent.__tablename__)
    return count
