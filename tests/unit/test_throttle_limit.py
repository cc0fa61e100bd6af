"""The back-off of failed attempts: free failures, then doubling waits, never past the bound."""

from __future__ import annotations

from datetime import timedelta

from iris_engine.throttle import Limit


def test_free_failures_then_doubling_up_to_the_bound() -> None:
    limit = Limit(free=5, first=1, longest=900, window=86400)
    waits = [limit.lock_for(n) for n in range(1, 20)]
    assert waits[:4] == [None] * 4
    assert [w.total_seconds() for w in waits[4:] if w] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
                                                          900, 900, 900, 900, 900]


def test_the_bound_holds_for_any_number_of_failures() -> None:
    limit = Limit(free=1, first=1, longest=60, window=60)
    assert limit.lock_for(10**9) == timedelta(seconds=60)


def test_a_lockout_is_a_fixed_wait_after_its_free_failures() -> None:
    limit = Limit.lockout(5, 900)
    assert limit.lock_for(4) is None
    assert limit.lock_for(5) == limit.lock_for(50) == timedelta(seconds=900)
    assert limit.window == 900
