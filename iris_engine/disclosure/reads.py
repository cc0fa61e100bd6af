"""Every read of a person's sealed data is recorded, in the reader's transaction and before
anything is decrypted: who, in which role, why, on what basis, which fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.cases import Principal
from iris_engine.disclosure.models import PersonalDataRead

__all__ = ["record_read"]


def record_read(session: AsyncSession, *, case_id: int, principal: Principal, role: str,
                purpose: str, basis: str, fields: Sequence[str], now: datetime) -> None:
    session.add(PersonalDataRead(case_id=case_id, reader_user_id=principal.user_id or None,
                                 reader_role=role, purpose=purpose[:50], basis=basis,
                                 fields=list(fields), at=now))
