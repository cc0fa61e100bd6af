"""Where each sealed value of a grievance lives: the vault binds its ciphertext to that place,
so a value copied to another row or column does not open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iris_engine.domain import SealedColumn
from iris_engine.grievances.models import Grievance, GrievanceMessage

__all__ = ["SEALED", "sealed_place"]


def sealed_place(case_id: int, what: str) -> str:
    return f"grievance:{case_id}:{what}"


def _place(what: str) -> Callable[[Any], str]:
    return lambda row: sealed_place(row.case_id, what)


#: what ``iris keys rotate`` re-seals for this domain
SEALED = (
    SealedColumn(Grievance, "identity_sealed", _place("identity")),
    SealedColumn(Grievance, "narrative_sealed", _place("narrative")),
    SealedColumn(GrievanceMessage, "body_sealed", _place("message")),
)
