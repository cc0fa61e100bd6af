"""Where the rate limiter counts, chosen by ``IRIS_RATE_LIMIT_STORE``: Litestar's ``RedisStore``,
its per-process ``MemoryStore``, or ``DatabaseStore``, a Litestar store over the configured
database. Redis and the database are shared, so every instance counts against one limit."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from iris_engine.errors import ConfigurationError
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import StoreEntry

__all__ = ["DatabaseStore", "rate_limit_store"]

_KEY_LENGTH = 300  # StoreEntry.key
#: expired entries are swept once every this many writes, by whichever instance makes it
_SWEEP_EVERY = 200


def _upsert(insert: Callable[[Any], Any]) -> Any:
    """The entry written whatever was there (built once: building costs more than running)."""
    stmt = insert(StoreEntry).values(key=bindparam("key"), value=bindparam("value"),
                                      expires_at=bindparam("expires_at"))
    return stmt.on_conflict_do_update(index_elements=["key"], set_={
        "value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at})


_UPSERT = {True: _upsert(sqlite.insert), False: _upsert(postgresql.insert)}
_READ = select(col(StoreEntry.value), col(StoreEntry.expires_at)).where(
    col(StoreEntry.key) == bindparam("key"))
#: every other operation on one key is one statement too, committed alone (``write_one``)
_RENEW = update(StoreEntry).where(col(StoreEntry.key) == bindparam("of_key")).values(
    expires_at=bindparam("until"))
_DELETE = delete(StoreEntry).where(col(StoreEntry.key) == bindparam("key"))


def _now() -> datetime:
    # the rate limiter's windows are wall-clock time (time.time()); so are the entries'
    return datetime.now(UTC)


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class DatabaseStore(Store):
    """A Litestar store in the ``store_entry`` table; ``namespace`` prefixes its keys."""

    __slots__ = ("_db", "_mine", "_namespace", "_writes")

    def __init__(self, db: Database, namespace: str = "iris") -> None:
        self._db = db
        self._namespace = namespace
        self._writes = 0
        #: this store's entries (the sweep and ``delete_all``)
        self._mine = col(StoreEntry.key).startswith(f"{namespace}:", autoescape=True)

    def _key(self, key: str) -> str:
        full = f"{self._namespace}:{key}"
        if len(full) <= _KEY_LENGTH:
            return full
        return f"{self._namespace}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
                  ) -> None:
        now = _now()
        data = value.encode() if isinstance(value, str) else value
        expires_at = now + timedelta(seconds=_seconds(expires_in)) if expires_in else None
        # one statement, atomic alone (the rate limiter writes one on every counted request)
        await self._db.write_one(_UPSERT[self._db.is_sqlite], {
            "key": self._key(key), "value": data, "expires_at": expires_at})
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            await self._db.write_one(delete(StoreEntry).where(
                col(StoreEntry.expires_at) < now, self._mine))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        now = _now()
        stored = self._key(key)
        row = await self._db.fetch_one(_READ, {"key": stored})
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            return None
        if renew_for and row.expires_at is not None:
            await self._db.write_one(_RENEW, {
                "of_key": stored, "until": now + timedelta(seconds=_seconds(renew_for))})
        return bytes(row.value)

    async def delete(self, key: str) -> None:
        await self._db.write_one(_DELETE, {"key": self._key(key)})

    async def delete_all(self) -> None:
        await self._db.write_one(delete(StoreEntry).where(self._mine))

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await self._db.fetch_one(_READ, {"key": self._key(key)})
        if row is None or row.expires_at is None:
            return None
        return max(int((row.expires_at - _now()).total_seconds()), 0)


def rate_limit_store(settings: Settings, db: Database) -> Store:
    """The store ``IRIS_RATE_LIMIT_STORE`` names (settings have checked the name)."""
    if settings.rate_limit_store == "redis":
        try:
            from litestar.stores.redis import RedisStore
        except ImportError:
            raise ConfigurationError("IRIS_RATE_LIMIT_STORE=redis needs the redis package: "
                                     "pip install 'iris-engine[redis]'") from None
        return RedisStore.with_client(settings.redis_url, namespace="IRIS_RATE_LIMIT")
    if settings.rate_limit_store == "memory":
        return MemoryStore()
    return DatabaseStore(db, namespace="rate_limit")
