"""Training: CPD courses, their sessions, enrolments, attendance and verifiable certificates."""

from __future__ import annotations

from iris_engine.domain import Domain
from iris_engine.training.models import Certificate, Course, Learner
from iris_engine.workflow import HookRegistry

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="training",
    hooks=HookRegistry(),
    tables=(Course, Learner, Certificate),
)
