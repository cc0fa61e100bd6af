"""The sliding-window estimate and its ``Retry-After``: waiting exactly as long as a refusal
says lets the next request through, and a second less would not have (so the header neither
sends a client away for longer than needed nor invites a retry that is refused again)."""

from __future__ import annotations

import itertools

from iris_engine.web.ratelimit import _SLACK, estimate, retry_after


def _next_request_fits(limit: int, hits: int, before: int, into: float, wait: float) -> bool:
    """Whether one more request, ``wait`` seconds after a refused one, is within the limit."""
    later = into + wait / 60
    if later < 1:
        return estimate(hits + 1, before, later) <= limit + _SLACK
    if later < 2:
        return estimate(1, hits, later - 1) <= limit + _SLACK
    return True


def test_retry_after_is_enough_and_not_a_second_too_long() -> None:
    checked = 0
    for limit, hits, before in itertools.product((1, 3, 10), range(1, 25), range(0, 25)):
        for step in range(60):
            into = step / 60 + 0.0137
            if estimate(hits, before, into) <= limit + _SLACK:
                continue  # this request was let through: nothing to retry
            wait = retry_after(limit, hits, before, into)
            assert _next_request_fits(limit, hits, before, into, wait), (limit, hits, before, into)
            if wait > 1:
                assert not _next_request_fits(limit, hits, before, into, wait - 1), (
                    limit, hits, before, into, wait)
            checked += 1
    assert checked > 10_000


def test_a_minute_boundary_does_not_reset_the_count() -> None:
    # three requests at the end of one minute, one a second into the next: still refused
    assert estimate(1, 3, 1 / 60) > 3
    # with nothing the minute before, a new minute counts from nothing
    assert estimate(1, 0, 0.0) == 1
