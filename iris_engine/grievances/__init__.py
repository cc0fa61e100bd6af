"""The grievance mechanism: anonymous filing, deadlines, referral, findings, remedy, appeal."""

from __future__ import annotations

from iris_engine.grievances import hooks as _hooks  # registers the workflow's named hooks
from iris_engine.grievances.service import WORKFLOW, GrievanceService

__all__ = ["WORKFLOW", "GrievanceService"]

del _hooks
