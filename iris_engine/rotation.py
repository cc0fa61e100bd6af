"""Re-sealing every sealed value under the current data key (``iris keys rotate``).

Each sealed column is declared once with the place its values are bound to (the platform's
here, each domain's in its declaration), so rotation and any audit of sealed data walk the same
list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from iris_engine.cases.notes import note_place
from iris_engine.disclosure.models import Authority
from iris_engine.domain import Domain, SealedColumn
from iris_engine.outbox.store import authority_secret_place, subscription_secret_place
from iris_engine.roster.models import Subscription
from iris_engine.store.db import Database
from iris_engine.store.models import CaseEvent
from iris_engine.vault import Vault

__all__ = ["rotate", "sealed_columns"]

#: sealed by the platform itself, whatever the domains
_PLATFORM = (
    # re-sealing keeps the salt, so the commitment the audit chain hashes stays true
    SealedColumn(CaseEvent, "note_sealed", lambda row: note_place(row.case_id, row.seq)),
    SealedColumn(Authority, "webhook_secret_sealed", lambda row: authority_secret_place(row.id)),
    SealedColumn(Subscription, "secret", lambda row: subscription_secret_place(row.id),
                 plaintext_ok=True),
)


def sealed_columns(domains: Iterable[Domain]) -> list[SealedColumn]:
    """Every sealed column: the platform's own (webhook secrets), then each domain's."""
    return [*_PLATFORM, *(column for domain in domains for column in domain.sealed)]


async def rotate(db: Database, vault: Vault, domains: Iterable[Domain], *,
                 batch: int = 500) -> dict[str, int]:
    """Re-seal values not under the current key, a batch per transaction; answers how many
    values moved per column. Safe to interrupt and run again."""
    moved: dict[str, int] = {}
    for sealed in sealed_columns(domains):
        name = f"{sealed.model.__tablename__}.{sealed.column}"
        column = getattr(sealed.model, sealed.column)
        key = next(iter(sealed.model.__table__.primary_key.columns)).name
        last: Any = None
        moved[name] = 0
        while True:
            async with db.write() as session:
                # locked: a purge erasing a row meanwhile waits, and is not undone by our write
                stmt = select(sealed.model).where(column.is_not(None)).with_for_update()
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
