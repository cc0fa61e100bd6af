"""The one clock. Every deadline, lease and back-off reads the time through a ``Clock`` so a
test (or the demo seeder) can move time instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "ManualClock", "as_utc", "utcnow"]

#: anything that answers the current time, aware and in UTC
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Aware UTC: every timestamp column stores UTC (SQLModel refuses naive datetimes)."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move (tests, demo seeding, replays)."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or utcnow()
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; time never runs backwards."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards")
        self._now += step
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = when.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC one (SQLite gives back naive times, stored as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
