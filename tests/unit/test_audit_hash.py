"""The audit chain's hash: deterministic, sensitive to every recorded field, stable over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from iris_engine.cases.audit import GENESIS, chain_hash, format_time
from iris_engine.store.models import CaseEvent

AT = datetime(2024, 2, 29, 13, 45, 6, 789012, tzinfo=UTC)


def _event(**changes: Any) -> CaseEvent:
    fields: dict[str, Any] = {
        "case_id": 7, "seq": 3, "event": "defer", "from_state": "submitted",
        "to_state": "deferred", "actor_id": 42, "actor_role": "scheme_manager",
        "reason_code": "incomplete_documents", "note": "Licence scan is unreadable",
        "data": {"outcome": {"lrn": "LRN00012201"}, "count": 2}, "created_at": AT,
        "prev_hash": GENESIS, "hash": "",
    }
    fields.update(changes)
    return CaseEvent(**fields)


def test_genesis() -> None:
    assert GENESIS == "0" * 64


def test_hash_is_sha256_hex() -> None:
    digest = chain_hash(GENESIS, _event())
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_hash_is_deterministic() -> None:
    assert chain_hash(GENESIS, _event()) == chain_hash(GENESIS, _event())


def test_hash_is_pinned() -> None:
    """Stored chains must stay verifiable: changing the canonical form breaks every one.

    The value was computed by hand from the documented form: sha256 of the previous hash
    followed by the event as compact, key-sorted JSON with the time as ...Z."""
    assert chain_hash(GENESIS, _event()) == (
        "efd39b951ed23cd0a44657581b4add94571eeea063ed151d7aaa65d2855fda9c"
    )


def test_hash_depends_on_previous_hash() -> None:
    assert chain_hash(GENESIS, _event()) != chain_hash("f" * 64, _event())


@pytest.mark.parametrize(("field", "value"), [
    ("case_id", 8),
    ("seq", 4),
    ("event", "reject_application"),
    ("from_state", None),
    ("from_state", "draft"),
    ("to_state", "rejected"),
    ("actor_id", None),
    ("actor_id", 43),
    ("actor_role", "system"),
    ("reason_code", None),
    ("reason_code", "other"),
    ("note", None),
    ("note", ""),
    ("note", "Licence scan is unreadable."),
    ("data", {}),
    ("data", {"outcome": {"lrn": "LRN00012202"}, "count": 2}),
    ("data", {"outcome": {"lrn": "LRN00012201"}, "count": "2"}),
    ("created_at", AT + timedelta(microseconds=1)),
    ("created_at", AT + timedelta(days=1)),
])
def test_hash_changes_with_every_recorded_field(field: str, value: Any) -> None:
    assert chain_hash(GENESIS, _event(**{field: value})) != chain_hash(GENESIS, _event())


@pytest.mark.parametrize(("field", "value"), [
    ("id", 99),  # assigned by the database after the hash is computed
    ("hash", "a" * 64),
    ("prev_hash", "b" * 64),  # the chain link is the argument, not the attribute
])
def test_hash_ignores_bookkeeping_fields(field: str, value: Any) -> None:
    assert chain_hash(GENESIS, _event(**{field: value})) == chain_hash(GENESIS, _event())


def test_data_key_order_does_not_matter() -> None:
    """JSON columns may hand keys back in another order (PostgreSQL JSONB sorts them)."""
    a = _event(data={"b": 1, "a": {"y": 2, "x": 3}})
    b = _event(data={"a": {"x": 3, "y": 2}, "b": 1})
    assert chain_hash(GENESIS, a) == chain_hash(GENESIS, b)


@pytest.mark.parametrize(("moment", "text"), [
    (AT, "2024-02-29T13:45:06.789012Z"),
    (datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "2025-01-02T03:04:05.000000Z"),
    (datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC), "1999-12-31T23:59:59.000001Z"),
])
def test_format_time(moment: datetime, text: str) -> None:
    assert format_time(moment) == text


def test_same_instant_in_another_zone_hashes_the_same() -> None:
    local = AT.astimezone(timezone(timedelta(hours=5, minutes=45)))
    assert local == AT
    assert format_time(local) == format_time(AT)
    assert chain_hash(GENESIS, _event(created_at=local)) == chain_hash(GENESIS, _event())
