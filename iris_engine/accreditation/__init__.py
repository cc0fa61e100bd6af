"""The accreditation domain: applications, audits, non-conformities, decisions."""

from __future__ import annotations

from iris_engine.accreditation import hooks as _hooks  # registers the workflow's named hooks
from iris_engine.accreditation.service import WORKFLOW, AccreditationService

__all__ = ["WORKFLOW", "AccreditationService"]

del _hooks
