"""Re-sealing every sealed value under the current data key (``iris keys rotate``).

Each sealed column is listed once here with the place its values are bound to, so rotation
and any future audit of sealed data walk the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from iris_engine.disclosure.models import Authority
from iris_engine.grievances.models import Grievance, GrievanceMessage
from iris_engine.grievances.service import sealed_place
from iris_engine.outbox.store import authority_secret_place, subscription_secret_place
from iris_engine.roster.models import Subscription
from iris_engine.store.db import Database
from iris_engine.vault import Vault

__all__ = ["SEALED", "rotate"]


@dataclass(frozen=True, slots=True)
class SealedColumn:
    model: Any
    column: str
    place: Callable[[Any], str]
    #: values stored in clear before this column was sealed get sealed by rotation
    plaintext_ok: bool = False


def _grievance(what: str) -> Callable[[Any], str]:
    return lambda row: sealed_place(row.case_id, what)


SEALED = (
    SealedColumn(Grievance, "identity_sealed", _grievance("identity")),
    SealedColumn(Grievance, "narrative_sealed", _grievance("narrative")),
    SealedColumn(GrievanceMessage, "body_sealed", _grievance("message")),
    SealedColumn(Authority, "webhook_secret_sealed", lambda row: authority_secret_place(row.id)),
    SealedColumn(Subscription, "secret", lambda row: subscription_secret_place(row.id),
                 plaintext_ok=True),
)


async def rotate(db: Database, vault: Vault, *, batch: int = 500) -> dict[str, int]:
    """Re-seal values not under the current key, a batch per transaction; answers how many
    values moved per column. Safe to interrupt and run again."""
    moved: dict[str, int] = {}
    for sealed in SEALED:
        name = f"{sealed.model.__tablename__}.{sealed.column}"
        column = getattr(sealed.model, sealed.column)
        key = next(iter(sealed.model.__table__.primary_key.columns)).name
        last: Any = None
        moved[name] = 0
        while True:
            async with db.write() as session:
                stmt = select(sealed.model).where(column.is_not(None))
                if last is not None:
                    stmt = stmt.where(getattr(sealed.model, key) > last)
                rows = (await session.scalars(stmt.order_by(getattr(sealed.model, key))
                                              .limit(batch))).all()
                for row in rows:
                    value = getattr(row, sealed.column)
                    fresh = vault.reseal(value, place=sealed.place(row),
                                         plaintext_ok=sealed.plaintext_ok)
                    if fresh != value:
                        setattr(row, sealed.column, fresh)
                        moved[name] += 1
            if len(rows) < batch:
                break
            last = getattr(rows[-1], key)
    return moved
