"""When a certificate may be renewed or restored: the windows the workflow's settings set
(``recertification_window``, ``restoration_period``; ISO 8601 durations)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from iris_engine.workflow.spec import duration_setting

__all__ = ["recertification_opens", "restoration_ends"]


def _period(settings: Mapping[str, Any], name: str, default: str) -> Any:
    return duration_setting(settings, name, default)


def recertification_opens(valid_until: date, settings: Mapping[str, Any]) -> date:
    """The first day a renewal may be applied for: ``recertification_window`` before the end."""
    opens: date = valid_until - _period(settings, "recertification_window", "P1Y")
    return opens


def restoration_ends(valid_until: date, settings: Mapping[str, Any]) -> date:
    """The last day a restoration may be applied for: ``restoration_period`` after the
    certificate ended (it ended the day after ``valid_until``)."""
    first_day_after: date = (valid_until + timedelta(days=1)
                             + _period(settings, "restoration_period", "P6M"))
    return first_day_after - timedelta(days=1)
