"""The generic case engine: access, the transition pipeline, the audit chain."""

from __future__ import annotations

from iris_engine.cases.access import Principal
from iris_engine.cases.engine import SYSTEM, CaseEngine, Refusal, TransitionOutcome, utcnow
from iris_engine.cases.registry import HOOKS

__all__ = ["HOOKS", "SYSTEM", "CaseEngine", "Principal", "Refusal", "TransitionOutcome", "utcnow"]
