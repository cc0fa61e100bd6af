"""Personal notes: what the person a case is about writes, and what staff write about them.

A note is personal when its author acts in a role whose scope on the workflow is ``case`` (the
person the case is about, e.g. someone holding the case's access code), or when the workflow
file marks the transition ``personal_note`` (``WorkflowSpec.note_is_personal``). Its text never
reaches ``case_event.note``: the vault seals it with a random salt, bound to its event
(``case:<id>:event:<seq>:note``), into ``note_sealed``, and the audit chain hashes
``note_commitment = sha256(salt + note)`` in its stead. Erasing the note (``note_sealed`` set to
NULL) and re-sealing it under a new key leave the chain as it was; while the note exists,
``iris audit verify`` opens it and checks it against the commitment. Without the salt, which
is erased with the note, the commitment cannot be used to guess a short note.

E-mail and webhooks never carry a personal note: they say one was written and where to read it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.errors import ConfigurationError
from iris_engine.store.db import erased
from iris_engine.store.models import CaseEvent
from iris_engine.vault import SealedValueError, Vault

__all__ = ["EventNotes", "SealedNote", "commitment", "erase_notes", "note_place"]

_SALT_BYTES = 32


def note_place(case_id: int, seq: int) -> str:
    """Where a sealed note lives: the vault binds it to its event."""
    return f"case:{case_id}:event:{seq}:note"


def commitment(salt: str, note: str) -> str:
    """sha256 over the salt's bytes and the note (UTF-8), as hex: what the chain hashes."""
    return hashlib.sha256(bytes.fromhex(salt) + note.encode()).hexdigest()


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

    def seal(self, case_id: int, seq: int, note: str) -> SealedNote:
        salt = secrets.token_hex(_SALT_BYTES)
        sealed = self._vault().seal({"note": note, "salt": salt}, place=note_place(case_id, seq))
        return SealedNote(sealed, commitment(salt, note))

    def seal_into(self, event: CaseEvent, note: str) -> None:
        """Put ``note`` on ``event`` as a personal note (the clear column stays empty)."""
        sealed = self.seal(event.case_id, event.seq, note)
        event.note = None
        event.note_sealed, event.note_commitment = sealed.sealed, sealed.commitment

    def read(self, event: CaseEvent) -> str | None:
        """The event's note as its readers see it: the clear one, the personal one opened, or
        None (none written, or erased)."""
        if event.note_sealed is None:
            return event.note
        body = self._vault().open(event.note_sealed, place=note_place(event.case_id, event.seq))
        return str(body["note"])

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
            expected = commitment(str(body["salt"]), str(body["note"]))
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
