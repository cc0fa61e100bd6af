"""The manual clock, webhook signatures, and the outbox's retry back-off."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from iris_engine.clock import ManualClock, utcnow
from iris_engine.outbox import OutboxRelay
from iris_engine.outbox.signing import SIGNATURE_HEADER, sign, verify
from iris_engine.settings import Settings

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


# -- ManualClock --------------------------------------------------------------------------
def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_manual_clock_stands_still() -> None:
    clock = ManualClock(START)
    assert clock() == START
    assert clock() == START


def test_manual_clock_defaults_to_now() -> None:
    before = utcnow()
    clock = ManualClock()
    assert before <= clock() <= utcnow()
    assert clock().tzinfo is not None


def test_manual_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 1, 1, 12, 0))


def test_manual_clock_converts_to_utc() -> None:
    zurich = timezone(timedelta(hours=1))
    clock = ManualClock(datetime(2026, 1, 1, 13, 0, tzinfo=zurich))
    assert clock() == START
    assert clock().utcoffset() == timedelta(0)
    assert clock().hour == 12


def test_advance_by_keywords() -> None:
    clock = ManualClock(START)
    assert clock.advance(days=1, hours=2, minutes=30) == START + timedelta(days=1, hours=2,
                                                                            minutes=30)
    assert clock() == START + timedelta(days=1, hours=2, minutes=30)


def test_advance_by_timedelta() -> None:
    clock = ManualClock(START)
    clock.advance(timedelta(seconds=90))
    clock.advance(timedelta(seconds=30))
    assert clock() == START + timedelta(minutes=2)


def test_advance_by_nothing_stays() -> None:
    clock = ManualClock(START)
    assert clock.advance() == START
    assert clock.advance(timedelta(0)) == START


@pytest.mark.parametrize("step", [{"delta": timedelta(seconds=-1)}, {"days": -1},
                                  {"microseconds": -1}])
def test_a_clock_never_goes_backwards(step: dict[str, Any]) -> None:
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(**step)
    assert clock() == START


def test_set_moves_to_an_aware_moment() -> None:
    clock = ManualClock(START)
    later = datetime(2027, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    clock.set(later)
    assert clock() == later
    assert clock().utcoffset() == timedelta(0) and clock().hour == 6


def test_set_refuses_a_naive_moment() -> None:
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2027, 1, 1))
    assert clock() == START


# -- signing ------------------------------------------------------------------------------
SECRET = "whsec_test_0123456789"
BODY = b'{"id":"abc","type":"roster.status_changed"}'
T = 1_767_225_600


def test_header_name() -> None:
    assert SIGNATURE_HEADER == "IRIS-Signature"


def test_sign_format() -> None:
    header = sign(SECRET, T, BODY)
    t, v1 = header.split(",")
    assert t == f"t={T}"
    assert v1.startswith("v1=") and len(v1) == 3 + 64
    int(v1[3:], 16)
    assert sign(SECRET, T, BODY) == header  # deterministic


def test_sign_matches_an_independent_hmac() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, T, BODY) == f"t={T},v1={expected}"


def test_round_trip() -> None:
    assert verify(SECRET, sign(SECRET, T, BODY), BODY, now=T)
    assert verify(SECRET, sign(SECRET, T, BODY), BODY, now=T + 300)
    assert verify(SECRET, sign(SECRET, T, BODY), BODY, now=T - 300)


def test_wrong_secret() -> None:
    assert not verify("another secret", sign(SECRET, T, BODY), BODY, now=T)


@pytest.mark.parametrize("body", [BODY + b" ", BODY.replace(b"abc", b"abd"), b""])
def test_tampered_body(body: bytes) -> None:
    assert not verify(SECRET, sign(SECRET, T, BODY), body, now=T)


def test_tampered_timestamp() -> None:
    header = sign(SECRET, T, BODY).replace(f"t={T}", f"t={T + 1}")
    assert not verify(SECRET, header, BODY, now=T)


@pytest.mark.parametrize("now", [T + 301, T - 301, T + 86_400])
def test_timestamp_outside_tolerance(now: int) -> None:
    assert not verify(SECRET, sign(SECRET, T, BODY), BODY, now=now)


def test_custom_tolerance() -> None:
    header = sign(SECRET, T, BODY)
    assert verify(SECRET, header, BODY, now=T + 30, tolerance=30)
    assert not verify(SECRET, header, BODY, now=T + 31, tolerance=30)


@pytest.mark.parametrize("header", [
    "", "garbage", "t=,v1=00", "t=abc,v1=00", f"v1={'0' * 64}", "t=1767225600",
    f"t={T}", f"t={T};v1=00", ",,,", "=",
])
def test_malformed_header(header: str) -> None:
    assert not verify(SECRET, header, BODY, now=T)


def test_malformed_header_with_a_real_digest_is_refused() -> None:
    digest = sign(SECRET, T, BODY).split("v1=")[1]
    assert not verify(SECRET, f"v1={digest}", BODY, now=T)  # no timestamp
    assert not verify(SECRET, f"t={T} v1={digest}", BODY, now=T)


@pytest.mark.parametrize("position", ["last", "first", "middle"])
def test_several_v1_values_one_valid(position: str) -> None:
    """Receivers rotating secrets may see several v1 signatures; one valid one is enough."""
    good = sign(SECRET, T, BODY).split("v1=")[1]
    stale = sign("old secret", T, BODY).split("v1=")[1]
    values = {"last": [stale, stale, good], "first": [good, stale, stale],
              "middle": [stale, good, stale]}[position]
    header = f"t={T}," + ",".join(f"v1={v}" for v in values)
    assert verify(SECRET, header, BODY, now=T)


def test_several_v1_values_none_valid() -> None:
    stale = sign("old secret", T, BODY).split("v1=")[1]
    assert not verify(SECRET, f"t={T},v1={stale},v1={'0' * 64}", BODY, now=T)
    assert not verify(SECRET, f"t={T},v1={'0' * 64},v1={stale}", BODY, now=T)


def test_unknown_schemes_are_ignored() -> None:
    good = sign(SECRET, T, BODY)
    assert verify(SECRET, good + ",v0=deadbeef", BODY, now=T)
    digest = good.split("v1=")[1]
    assert not verify(SECRET, f"t={T},v2={digest}", BODY, now=T)


# -- back-off -----------------------------------------------------------------------------
def _relay(settings: Settings, seed: int = 7) -> OutboxRelay:
    services: Any = SimpleNamespace(settings=settings, clock=ManualClock(START))
    return OutboxRelay(services, "test-worker", rng=random.Random(seed))


def _ceiling(settings: Settings, attempts: int) -> float:
    return float(min(settings.outbox_backoff_max_seconds,
                     settings.outbox_backoff_seconds * 2 ** (attempts - 1)))


async def test_backoff_doubles_within_jitter_and_is_capped() -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db", outbox_backoff_seconds=30.0,
                        outbox_backoff_max_seconds=3600.0)
    relay = _relay(settings)
    try:
        capped = 0
        for attempts in range(1, 16):
            ceiling = _ceiling(settings, attempts)
            for _ in range(50):
                delay = relay.backoff(attempts).total_seconds()
                assert ceiling / 2 <= delay <= ceiling, (attempts, delay, ceiling)
                assert delay <= settings.outbox_backoff_max_seconds
            if ceiling == settings.outbox_backoff_max_seconds:
                capped += 1
        assert capped >= 5  # attempts 8..15 are all at the cap
        assert _ceiling(settings, 1) == 30.0 and _ceiling(settings, 4) == 240.0
    finally:
        await relay.aclose()


async def test_backoff_first_delay_and_cap_exactly() -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db", outbox_backoff_seconds=10.0,
                        outbox_backoff_max_seconds=100.0)
    relay = _relay(settings)
    try:
        first = [relay.backoff(1).total_seconds() for _ in range(200)]
        assert all(5.0 <= d <= 10.0 for d in first)
        assert max(first) - min(first) > 1.0  # jittered, not constant
        late = [relay.backoff(n).total_seconds() for n in (5, 10, 50, 1000)]
        assert all(50.0 <= d <= 100.0 for d in late)
    finally:
        await relay.aclose()


async def test_backoff_for_zero_attempts_is_the_base() -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db", outbox_backoff_seconds=10.0,
                        outbox_backoff_max_seconds=100.0)
    relay = _relay(settings)
    try:
        assert 5.0 <= relay.backoff(0).total_seconds() <= 10.0
    finally:
        await relay.aclose()


async def test_backoff_is_reproducible_with_a_seed() -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db")
    one, two = _relay(settings, seed=42), _relay(settings, seed=42)
    try:
        assert [one.backoff(n) for n in range(1, 12)] == [two.backoff(n) for n in range(1, 12)]
    finally:
        await one.aclose()
        await two.aclose()


async def test_backoff_with_the_default_settings() -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db")
    relay = _relay(settings)
    try:
        assert relay.settings is settings
        assert 15.0 <= relay.backoff(1).total_seconds() <= 30.0
        assert relay.backoff(40).total_seconds() <= 6 * 3600.0
        assert relay.backoff(40).total_seconds() >= 3 * 3600.0
    finally:
        await relay.aclose()
    assert relay.http.is_closed
