"""The generic case engine: access, the transition pipeline, the audit chain."""

from __future__ import annotations

from iris_engine.cases.access import Principal
from iris_engine.cases.context import TransitionContext
from iris_engine.cases.engine import SYSTEM, CaseEngine, TransitionOutcome, utcnow
from iris_engine.errors import Refusal

__all__ = ["SYSTEM", "CaseEngine", "Principal", "Refusal", "TransitionContext", "TransitionOutcome",
           "utcnow"]
