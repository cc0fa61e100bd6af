"""Where each sealed value of a return case lives: the vault binds its ciphertext to that place,
so a value copied to another row or column does not open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iris_engine.domain import SealedColumn
from iris_engine.returns.models import MonitoringReport, ReturnCase, ReturnConsent

__all__ = ["SEALED", "sealed_place"]


def sealed_place(case_id: int, what: str) -> str:
    return f"return:{case_id}:{what}"


def _place(what: str) -> Callable[[Any], str]:
    return lambda row: sealed_place(row.case_id, what)


def _row_place(what: str) -> Callable[[Any], str]:
    return lambda row: sealed_place(row.case_id, f"{what}:{row.id}")


#: what ``iris keys rotate`` re-seals for this domain
SEALED = (
    SealedColumn(ReturnCase, "identity_sealed", _place("identity")),
    SealedColumn(ReturnCase, "narrative_sealed", _place("narrative")),
    SealedColumn(ReturnCase, "risk_assessment_sealed", _place("risk_assessment")),
    SealedColumn(ReturnConsent, "witness_sealed", _row_place("witness")),
    SealedColumn(MonitoringReport, "report_sealed", _row_place("monitoring_report")),
)
