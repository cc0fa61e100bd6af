"""Durable timers: deadlines are rows, written and cancelled by the transitions that start and
end them, and fired by whichever ticker claims them first."""

from __future__ import annotations

from iris_engine.timers.book import NewDeadline, TimerBook
from iris_engine.timers.store import list_timers
from iris_engine.timers.sweeper import SweepReport, TimerSweeper

__all__ = ["NewDeadline", "SweepReport", "TimerBook", "TimerSweeper", "list_timers"]
